// expect: a join needs at least one future
#include <futura/core.hpp>
int main() { auto f = futura::join(); (void)f; }
