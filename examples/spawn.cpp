// Tasks on an io_context: the C++17 counterpart of a small `#[tokio::main]` program.
//
// An io_context is the runtime; `futura::spawn` turns a future into a task on it and hands back
// a join handle (itself a future); `ctx.run()` returns once every task has finished. One task
// is a .then chain, one waits for a value that a plain std::thread delivers through a promise,
// one is fire-and-forget, one fails, and a last one joins two others.
#include <futura/asio/spawn.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

int main() {
  boost::asio::io_context ctx;  // the runtime: its handlers run on the thread that calls run()

  // A task whose future is a chain of continuations.
  auto sum = futura::spawn(ctx, futura::ready(20).then([](int x) { return x + 1; }).then([](int x) { return x * 2; }));

  // A task that waits for a value produced on another thread.
  futura::promise<std::string> reply;
  auto reply_future = reply.get_future();
  std::thread producer([reply = std::move(reply)]() mutable { reply.set_value("hello from a std::thread"); });
  auto greeting =
      futura::spawn(ctx, std::move(reply_future).then([](std::string s) { return s + ", seen by a task"; }));

  // Fire-and-forget: nobody joins it; it still keeps run() going until it has finished.
  futura::spawn_detached(ctx, futura::lazy([] { std::cout << "a detached task ran\n"; }));

  // A task that fails: its join handle rethrows.
  auto failing = futura::spawn(ctx, futura::lazy([]() -> int { throw std::runtime_error("no such user"); }));

  // A task that joins two others: a join handle is a future like any other.
  auto report = futura::spawn(ctx, std::move(sum).then([greeting = std::move(greeting)](int n) mutable {
    return std::move(greeting).then([n](std::string g) { return g + " / sum = " + std::to_string(n); });
  }));

  ctx.run();  // returns when every task has finished (or was aborted)
  producer.join();

  std::string result = futura::block_on(std::move(report));  // finished: ready at once
  std::cout << result << '\n';
  try {
    futura::block_on(std::move(failing));
  } catch (const std::exception& e) {
    std::cout << "the failing task threw: " << e.what() << '\n';
  }
  return result == "hello from a std::thread, seen by a task / sum = 42" ? 0 : 1;
}
