// expect: the continuation cannot be called with the future's output
#include <futura/core.hpp>
#include <string>
int main() { auto f = futura::ready(1).then([](std::string) { return 0; }); (void)f; }
