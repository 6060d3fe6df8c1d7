// expect: the combinator consumes the vector of futures: pass a non-const std::move(v)
#include <futura/core.hpp>
int main() { std::vector<futura::ready_future<int>> v; auto f = futura::select_all(v); (void)f; }
