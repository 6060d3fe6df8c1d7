// expect: .buffer_unordered consumes the stream: write std::move(s).buffer_unordered(n)
#include <futura/core.hpp>
int main() {
  auto s = futura::stream::repeat(futura::ready(1));
  s.buffer_unordered(4);
}
