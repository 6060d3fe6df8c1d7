// Prints 30: a promise fulfilled from another thread, continued with then, run by block_on.
#include <futura/core.hpp>

#include <iostream>
#include <thread>

int main() {
  futura::promise<int> p;
  auto f = p.get_future().then([](int x) { return x * 3; });
  std::thread t([p = std::move(p)]() mutable { p.set_value(10); });
  int v = futura::block_on(std::move(f));
  t.join();
  std::cout << v << '\n';
  return v == 30 ? 0 : 1;
}
