// expect: this argument is not a future
#include <futura/core.hpp>
int main() { auto f = futura::select(futura::ready(1), 42); (void)f; }
