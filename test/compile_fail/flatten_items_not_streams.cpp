// expect: .flatten(): the stream's items must be streams
#include <futura/core.hpp>
int main() { auto s = futura::stream::repeat(1).flatten(); }
