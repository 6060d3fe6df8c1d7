// expect: the stream's items are not boost::system::result<T, E>
#include <futura/core.hpp>
int main() { auto f = futura::stream::repeat(1).try_collect(); }
