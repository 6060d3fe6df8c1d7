// expect: the result's error type E must be copy- and default-constructible
#include <futura/core.hpp>
struct err { explicit err(int) {} }; int main() { auto f = futura::ready(boost::system::result<int, err>(boost::system::in_place_value, 1)).map_err([](err) { return 0; }); (void)f; }
