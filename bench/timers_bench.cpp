// bench/timers_bench.cpp — W5 timers: 100k timers of 0–10 ms, all awaited (1,000 in smoke mode).
//
// Timer i waits i % 11 milliseconds, so the run cannot end before 10 ms have passed: the
// time reported is the wall time of the whole run minus those 10 ms, i.e. what the timer
// machinery costs on top of waiting (manual timing). A run is everything a program pays for
// its timers: made, awaited and destroyed (each column's timers, and futura's task and output,
// are gone before the clock is read). Both run on an io_context with
// concurrency hint 1, re-run (restart()) for every iteration.
// Implementations (columns):
//   futura  futura::join_all over the sleep_for(ctx, d) futures, spawned as one task; ctx.run()
//   asio    one boost::asio::steady_timer per wait, async_wait with a callback that counts;
//           ctx.run()
// Counters: allocs and bytes per run.
#include <support/bench.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::report_allocations;
using futura_bench::timing;

const char* const workload = "W5_timers";
using steady = std::chrono::steady_clock;
constexpr std::chrono::milliseconds longest_wait{10};

std::chrono::milliseconds wait_of(std::size_t i) { return std::chrono::milliseconds(i % 11); }

/// What one run found, for the checks.
struct timers_outcome {
  std::size_t fired = 0;
  steady::duration elapsed{};
};

/// Reports the wall time of a run minus the 10 ms it must wait.
void set_time_beyond_waiting(benchmark::State& state, steady::duration elapsed) {
  state.SetIterationTime(std::chrono::duration<double>(elapsed - longest_wait).count());
}

void futura_sleeps(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  boost::asio::io_context ctx(1);
  timers_outcome out;
  auto run = [&] {
    const steady::time_point start = steady::now();
    using sleep_type = decltype(futura::sleep_for(ctx, wait_of(0)));
    std::vector<sleep_type> sleeps;
    sleeps.reserve(count);
    for (std::size_t i = 0; i < count; ++i) sleeps.push_back(futura::sleep_for(ctx, wait_of(i)));
    {
      auto all = futura::spawn(ctx, futura::join_all(std::move(sleeps)));
      ctx.run();
      ctx.restart();
      futura::waker w = futura::noop_waker();
      futura::poll_result<std::vector<futura::unit>> r = all.poll(w);
      out.fired = r.is_ready() ? r.value().size() : 0;
    }  // the output and the task go inside the measured time, as the callbacks' timers do
    out.elapsed = steady::now() - start;
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/futura/" + std::to_string(count), run);
  for (auto _ : state) {
    run();
    set_time_beyond_waiting(state, out.elapsed);
  }
  check(state, out.fired == count, "W5 futura: every sleep completed");
  check(state, out.elapsed >= longest_wait, "W5 futura: the run lasted at least the longest wait");
  report_allocations(state, allocs);
}

void asio_timers(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  boost::asio::io_context ctx(1);
  timers_outcome out;
  auto run = [&] {
    const steady::time_point start = steady::now();
    std::size_t fired = 0;
    {
      std::vector<boost::asio::steady_timer> timers;
      timers.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        timers.emplace_back(ctx, wait_of(i));
        timers.back().async_wait([&fired](boost::system::error_code ec) {
          if (!ec) ++fired;
        });
      }
      ctx.run();
      ctx.restart();
    }  // the timers are destroyed inside the measured time, as futura's sleep entries are
    out.elapsed = steady::now() - start;
    out.fired = fired;
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/asio/" + std::to_string(count), run);
  for (auto _ : state) {
    run();
    set_time_beyond_waiting(state, out.elapsed);
  }
  check(state, out.fired == count, "W5 asio: every timer fired");
  check(state, out.elapsed >= longest_wait, "W5 asio: the run lasted at least the longest wait");
  report_allocations(state, allocs);
}

void register_w5(const config& cfg) {
  const std::int64_t timers = cfg.smoke ? 1'000 : 100'000;
  add(cfg, workload, "futura", &futura_sleeps, timing::manual)->Arg(timers)->ArgName("timers");
  add(cfg, workload, "asio", &asio_timers, timing::manual)->Arg(timers)->ArgName("timers");
}

const bool registered = futura_bench::add_registrar(&register_w5);

}  // namespace
