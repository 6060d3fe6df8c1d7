// expect: it copies an lvalue vector only when the futures can be copied
#include <futura/core.hpp>
int main() { std::vector<futura::promise_future<int>> v; auto f = futura::join_all(v); (void)f; }
