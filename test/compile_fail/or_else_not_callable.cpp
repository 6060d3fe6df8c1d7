// expect: futura::or_else: the continuation cannot be called with the result's error
#include <futura/core.hpp>
int main() { auto f = futura::ready(boost::system::result<int>(1)).or_else([](int* e) { return e; }); (void)f; }
