// expect: branch takes makers, not futures
#include <futura/core.hpp>
int main() { auto f = futura::branch(true, futura::ready(1), [] { return 0; }); (void)f; }
