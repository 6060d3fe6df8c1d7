// expect: .then() consumes the future: write std::move(f).then(g)
#include <futura/core.hpp>
int main() { auto f = futura::ready(1); f.then([](int x) { return x; }); }
