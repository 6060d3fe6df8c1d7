// bench/spawn_bench.cpp — W7 spawn: spawn and join 1M trivial tasks on one io_context
// (1,000 in smoke mode), run by one thread (W7_spawn) or by two (W7_spawn_2_threads).
//
// Implementations (columns):
//   futura  futura::spawn(ctx, futura::ready(i)) for every i, handles kept in a vector;
//           ctx.run(); then each handle's output collected into a vector, in order
//   asio    boost::asio::post(ctx, handler) for every i, the handler storing i into its slot of
//           a vector; ctx.run()
//   asio_thread_safe  (one thread) the asio column plus the one read-modify-write per task by
//           which a task publishes its output to a join handle that may be on another thread;
//           registered in spawn_bench_extra (support/bench.hpp, binary_extra), so that
//           spawn_bench compiles as before
// W7_spawn: both run on an io_context with concurrency hint 1, re-run (restart()) for every
// iteration. W7_spawn_2_threads (the binary spawn_bench_2_threads, built from this file:
// support/bench.hpp, binary_threads): the same work, the io_context made with concurrency hint 2
// and run by this thread and one more (support/tasks.hpp, run_on_threads): the tasks (handlers)
// are spawned (posted) first, then both threads take them from the context's shared queue.
// Time is per task, thread start and join included; counters: allocs and bytes per task.
// The process keeps its heap at its peak (support/bench.hpp, hold_heap_at_peak): every
// iteration frees a million blocks, and glibc's default policy gave one column's memory back
// to the kernel and faulted it in again, and not the other's.
#include <support/bench.hpp>
#include <support/tasks.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::report_allocations;
using futura_bench::run_on_threads;

const char* const workload = "W7_spawn";
const char* const workload_2_threads = "W7_spawn_2_threads";

/// The row of a run on `threads` threads.
const char* workload_of(int threads) { return threads == 1 ? workload : workload_2_threads; }

bool in_order(const std::vector<int>& values, std::int64_t n) {
  if (static_cast<std::int64_t>(values.size()) != n) return false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (values[static_cast<std::size_t>(i)] != static_cast<int>(i)) return false;
  }
  return true;
}

template <int threads>
void futura_spawn(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  boost::asio::io_context ctx(threads);
  std::vector<int> out;
  auto run = [&] {
    std::vector<futura::join_handle<int>> handles;
    handles.reserve(count);
    for (std::size_t i = 0; i < count; ++i) handles.push_back(futura::spawn(ctx, futura::ready(static_cast<int>(i))));
    run_on_threads<threads>(ctx);
    std::vector<int> values;
    values.reserve(count);
    futura::waker w = futura::noop_waker();
    for (auto& h : handles) {
      futura::poll_result<int> r = h.poll(w);
      values.push_back(r.is_ready() ? r.value() : -1);
    }
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(std::string(workload_of(threads)) + "/futura/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, in_order(out, n), "W7 futura: every task ran and its handle gave its output");
  report_allocations(state, allocs, static_cast<double>(n));
}

template <int threads>
void asio_post(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  boost::asio::io_context ctx(threads);
  std::vector<int> out;
  auto run = [&] {
    std::vector<int> values(count, -1);
    for (std::size_t i = 0; i < count; ++i) {
      boost::asio::post(ctx, [&values, i] { values[i] = static_cast<int>(i); });
    }
    run_on_threads<threads>(ctx);
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(std::string(workload_of(threads)) + "/asio/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, in_order(out, n), "W7 asio: every handler ran");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// Raw Asio plus the one read-modify-write a task that may be joined from another thread pays
/// to publish its output (its state word; here one shared word, as hot in the cache as a task's
/// own): the least design.md's contract allows (docs/performance.md, "What the contract costs").
[[maybe_unused]] void asio_thread_safe(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  boost::asio::io_context ctx(1);
  std::vector<int> out;
  std::atomic<std::uint64_t> published{0};
  auto run = [&] {
    std::vector<int> values(count, -1);
    published.store(0, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
      boost::asio::post(ctx, [&values, &published, i] {
        values[i] = static_cast<int>(i);
        published.fetch_add(1, std::memory_order_acq_rel);
      });
    }
    run_on_threads<1>(ctx);
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/asio_thread_safe/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, in_order(out, n), "W7 asio_thread_safe: every handler ran");
  check(state, published.load(std::memory_order_relaxed) == static_cast<std::uint64_t>(n),
        "W7 asio_thread_safe: every handler published");
  report_allocations(state, allocs, static_cast<double>(n));
}

void register_w7(const config& cfg) {
  // W7 holds 1M task blocks or handlers at once and frees them all in every iteration: without
  // this, glibc gave the raw Asio column's memory back to the kernel at the end of each iteration
  // (and the futura column's not), and the page faults decided the ratio (bench.hpp).
  benchmark::AddCustomContext("futura_heap_held_at_peak", futura_bench::hold_heap_at_peak() ? "yes" : "no");
  const std::int64_t tasks = cfg.smoke ? 1'000 : 1'000'000;
  if constexpr (futura_bench::binary_extra) {
    // The one-thread bound in a binary of its own (support/bench.hpp, binary_extra): in
    // spawn_bench its handler type made GCC compile the raw Asio column differently (647 instead
    // of 635 instructions per task).
    add(cfg, workload, "asio_thread_safe", &asio_thread_safe)->Arg(tasks)->ArgName("tasks");
  } else if constexpr (futura_bench::binary_threads == 1) {
    add(cfg, workload, "futura", &futura_spawn<1>)->Arg(tasks)->ArgName("tasks");
    add(cfg, workload, "asio", &asio_post<1>)->Arg(tasks)->ArgName("tasks");
  } else {
    add(cfg, workload_2_threads, "futura", &futura_spawn<2>)->Arg(tasks)->ArgName("tasks");
    add(cfg, workload_2_threads, "asio", &asio_post<2>)->Arg(tasks)->ArgName("tasks");
  }
}

const bool registered = futura_bench::add_registrar(&register_w7);

}  // namespace
