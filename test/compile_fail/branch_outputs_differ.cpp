// expect: make both branches yield the same type
#include <futura/core.hpp>
int main() { auto f = futura::branch(true, [] { return futura::ready(1); }, [] { return 2.5; }); (void)f; }
