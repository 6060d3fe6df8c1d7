// expect: futura::select_ok: the futures' output must be boost::system::result<T, E>
#include <futura/core.hpp>
int main() { std::vector<futura::ready_future<int>> v; auto f = futura::select_ok(std::move(v)); (void)f; }
