// bench/support/tasks.hpp — running a benchmark's io_context on one or more threads, and
// reading the outcome of a spawned task after its context ran.
#pragma once

#include <futura/asio/join_handle.hpp>
#include <futura/core/waker.hpp>

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <thread>
#include <vector>

namespace futura_bench {

/// Runs `ctx` until it runs out of work on `threads` threads: this one and `threads - 1` started
/// here, each calling run() (what a server that runs its io_context from N threads does; the
/// context should be made with concurrency hint `threads`). Returns once every thread left
/// run(), so everything the handlers did is visible here; then restarts the context for the
/// next run. With one thread it is exactly `ctx.run(); ctx.restart();`, so the 1-thread rows
/// compile as they did before the 2-thread rows existed.
template <int threads>
void run_on_threads(boost::asio::io_context& ctx) {
  if constexpr (threads == 1) {
    ctx.run();
    ctx.restart();
  } else {
    std::vector<std::thread> helpers;
    helpers.reserve(static_cast<std::size_t>(threads - 1));
    for (int i = 1; i < threads; ++i) helpers.emplace_back([&ctx] { ctx.run(); });
    ctx.run();
    for (std::thread& t : helpers) t.join();
    ctx.restart();
  }
}

/// The output of the task behind `h`, which the benchmark's context has run to completion; or
/// `if_unfinished`, which the benchmark's result check then rejects.
template <class T>
T output_of(futura::join_handle<T>& h, T if_unfinished) {
  futura::waker w = futura::noop_waker();
  futura::poll_result<T> r = h.poll(w);
  return r.is_ready() ? r.take() : if_unfinished;
}

}  // namespace futura_bench
