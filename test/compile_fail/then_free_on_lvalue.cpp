// expect: the combinator consumes the future: pass std::move(f), or a temporary
#include <futura/core.hpp>
int main() { auto f = futura::ready(1); auto g = futura::then(f, [](int x) { return x; }); (void)g; }
