// expect: the combinator consumes the future: pass std::move(f), or a temporary
#include <futura/core.hpp>
int main() {
  auto f = futura::ready(1);
  auto g = futura::with_cancellation(futura::cancellation_token(), f);
  (void)g;
}
