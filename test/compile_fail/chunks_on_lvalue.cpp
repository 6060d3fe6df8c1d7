// expect: .chunks consumes the stream: write std::move(s).chunks(n)
#include <futura/core.hpp>
int main() {
  auto s = futura::stream::repeat(1);
  s.chunks(2);
}
