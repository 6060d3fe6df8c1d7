// expect: each maker must be callable with no arguments
#include <futura/core.hpp>
int main() { auto f = futura::branch(true, [](int n) { return n; }, [] { return 0; }); (void)f; }
