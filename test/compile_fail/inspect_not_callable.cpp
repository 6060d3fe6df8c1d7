// expect: futura::inspect: the function cannot be called with the future's output
#include <futura/core.hpp>
int main() { auto f = futura::ready(1).inspect([](int* v) { (void)v; }); (void)f; }
