// expect: this argument is not a stream: it has no `using item_type = T
#include <futura/core.hpp>
#include <vector>
int main() { auto s = futura::stream::iter(std::vector<int>{1}).chain(futura::ready(2)); (void)s; }
