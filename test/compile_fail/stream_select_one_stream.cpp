// expect: futura::stream::select merges two or more streams
#include <futura/core.hpp>
int main() { auto s = futura::stream::select(futura::stream::repeat(1)); }
