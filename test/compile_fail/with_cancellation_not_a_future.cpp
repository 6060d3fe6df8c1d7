// expect: this argument is not a future
#include <futura/core.hpp>
int main() { auto f = futura::with_cancellation(futura::cancellation_token(), 42); (void)f; }
