// expect: futura::stream::select consumes the streams: pass std::move(s)
#include <futura/core.hpp>
int main() {
  auto a = futura::stream::repeat(1);
  auto s = futura::stream::select(a, futura::stream::repeat(2));
}
