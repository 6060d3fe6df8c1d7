// expect: this argument is not a future
#include <futura/core.hpp>
int main() { auto f = futura::join(futura::ready(1), 42); (void)f; }
