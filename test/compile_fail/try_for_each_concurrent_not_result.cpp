// expect: the stream's items are not boost::system::result<T, E>
#include <futura/core.hpp>
int main() {
  auto f = futura::stream::repeat(1).try_for_each_concurrent(4, [](int) { return futura::ready(1); });
  (void)f;
}
