// expect: the combinator takes a std::vector<F> of futures
#include <futura/core.hpp>
int main() { auto f = futura::join_all(futura::ready(1)); (void)f; }
