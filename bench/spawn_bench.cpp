// bench/spawn_bench.cpp — W7 spawn: spawn and join 1M trivial tasks on one io_context
// (1,000 in smoke mode).
//
// Implementations (columns):
//   futura  futura::spawn(ctx, futura::ready(i)) for every i, handles kept in a vector;
//           ctx.run(); then each handle's output collected into a vector, in order
//   asio    boost::asio::post(ctx, handler) for every i, the handler storing i into its slot of
//           a vector; ctx.run()
// Both run on an io_context with concurrency hint 1, re-run (restart()) for every iteration.
// Time is per task; counters: allocs and bytes per task.
#include <support/bench.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::report_allocations;

const char* const workload = "W7_spawn";

bool in_order(const std::vector<int>& values, std::int64_t n) {
  if (static_cast<std::int64_t>(values.size()) != n) return false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (values[static_cast<std::size_t>(i)] != static_cast<int>(i)) return false;
  }
  return true;
}

void futura_spawn(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  boost::asio::io_context ctx(1);
  std::vector<int> out;
  auto run = [&] {
    std::vector<futura::join_handle<int>> handles;
    handles.reserve(count);
    for (std::size_t i = 0; i < count; ++i) handles.push_back(futura::spawn(ctx, futura::ready(static_cast<int>(i))));
    ctx.run();
    ctx.restart();
    std::vector<int> values;
    values.reserve(count);
    futura::waker w = futura::noop_waker();
    for (auto& h : handles) {
      futura::poll_result<int> r = h.poll(w);
      values.push_back(r.is_ready() ? r.value() : -1);
    }
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/futura/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, in_order(out, n), "W7 futura: every task ran and its handle gave its output");
  report_allocations(state, allocs, static_cast<double>(n));
}

void asio_post(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  boost::asio::io_context ctx(1);
  std::vector<int> out;
  auto run = [&] {
    std::vector<int> values(count, -1);
    for (std::size_t i = 0; i < count; ++i) {
      boost::asio::post(ctx, [&values, i] { values[i] = static_cast<int>(i); });
    }
    ctx.run();
    ctx.restart();
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/asio/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, in_order(out, n), "W7 asio: every handler ran");
  report_allocations(state, allocs, static_cast<double>(n));
}

void register_w7(const config& cfg) {
  const std::int64_t tasks = cfg.smoke ? 1'000 : 1'000'000;
  add(cfg, workload, "futura", &futura_spawn)->Arg(tasks)->ArgName("tasks");
  add(cfg, workload, "asio", &asio_post)->Arg(tasks)->ArgName("tasks");
}

const bool registered = futura_bench::add_registrar(&register_w7);

}  // namespace
