// expect: the future's output is not a boost::system::result
#include <futura/core.hpp>
int main() { auto f = futura::ready(1).and_then([](int x) { return x; }); (void)f; }
