// expect: .map_ok(f): f returns a boost::system::result or a future: use .and_then(f)
#include <futura/core.hpp>
int main() {
  using res = boost::system::result<int>;
  auto s = futura::stream::repeat(res(1)).map_ok([](int x) { return res(x); });
}
