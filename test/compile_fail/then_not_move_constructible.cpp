// expect: the function must be move-constructible
#include <futura/core.hpp>
struct stuck { stuck() = default; stuck(stuck&&) = delete; int operator()(int x) { return x; } }; int main() { auto f = futura::ready(1).then(stuck{}); (void)f; }
