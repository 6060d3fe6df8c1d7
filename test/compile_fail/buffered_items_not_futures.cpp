// expect: the stream's items must be futures
#include <futura/core.hpp>
int main() { auto s = futura::stream::repeat(1).buffered(4); (void)s; }
