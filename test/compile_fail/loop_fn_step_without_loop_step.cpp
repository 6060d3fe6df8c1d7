// expect: needs the return type `-> futura::loop_step<T, S>`
#include <futura/core.hpp>
int main() {
  auto f = futura::loop_fn(0, [](int i) { return futura::loop_continue(i + 1); });
  (void)f;
}
