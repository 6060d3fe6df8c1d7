// expect: .for_each_concurrent(limit, f): f must return a future
#include <futura/core.hpp>
int main() { auto f = futura::stream::repeat(1).for_each_concurrent(4, [](int) {}); (void)f; }
