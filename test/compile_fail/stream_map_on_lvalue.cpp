// expect: .map consumes the stream: write std::move(s).map(f)
#include <futura/core.hpp>
int main() {
  auto s = futura::stream::repeat(1);
  s.map([](int x) { return x + 1; });
}
