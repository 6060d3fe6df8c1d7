// expect: futura::map_err: the function cannot be called with the result's error
#include <futura/core.hpp>
int main() { auto f = futura::ready(boost::system::result<int>(1)).map_err([](int* e) { return e; }); (void)f; }
