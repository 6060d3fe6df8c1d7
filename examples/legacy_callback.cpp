// Bridging a callback-style API into a .then() pipeline.
//
// `legacy_lookup` is the kind of function older code is full of: it does its work on a
// worker thread and reports through a std::function. `promise` turns it into a future,
// `from_callback` does the same in one line, and `.then()` chains the rest.
#include <futura/core.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<std::thread> workers;  // joined at the end of main

// The legacy API: answers on another thread.
void legacy_lookup(std::string key, std::function<void(int)> done) {
  workers.emplace_back([key = std::move(key), done = std::move(done)] { done(static_cast<int>(key.size()) * 7); });
}

// Wrapped with a promise: the general bridge (set_value / set_exception from any thread).
futura::promise_future<int> lookup_with_promise(std::string key) {
  auto p = std::make_shared<futura::promise<int>>();
  auto f = p->get_future();
  legacy_lookup(std::move(key), [p](int v) { p->set_value(v); });
  return f;
}

// Wrapped with from_callback: lazy, started at the first poll.
auto lookup(std::string key) {
  return futura::from_callback<int>([key = std::move(key)](auto cb) { legacy_lookup(key, cb); });
}

}  // namespace

int main() {
  auto pipeline = lookup_with_promise("futura")
                      .then([](int v) {
                        std::cout << "first lookup: " << v << '\n';
                        return lookup("then");  // a future: flattened
                      })
                      .then([](int v) {
                        std::cout << "second lookup: " << v << '\n';
                        if (v < 0) throw std::runtime_error("negative");
                        return std::to_string(v);
                      });
  std::string result = futura::block_on(std::move(pipeline));
  std::cout << "pipeline result: " << result << '\n';
  for (auto& t : workers) t.join();
  return result == "28" ? 0 : 1;
}
