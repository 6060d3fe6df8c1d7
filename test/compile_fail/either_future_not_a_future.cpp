// expect: this argument is not a future
#include <futura/core.hpp>
int main() { auto f = futura::either_future<futura::ready_future<int>, int>::left(futura::ready(1)); (void)f; }
