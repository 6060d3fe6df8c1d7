// bench/stream_bench.cpp — W8 stream pipeline: the items of a range, +1, the even ones, summed.
//
// One run folds N = 1M ints (1000 in smoke mode) read from a vector built once:
//   futura        block_on(stream::iter(v.begin(), v.end()).map(+1).filter(even).fold(0, +))
//   floor         the same loop written by hand over the same vector
//   floor_scalar  the hand loop with each item made opaque to the optimiser, so that it runs one
//                 item at a time as the pipeline does (GCC -O2 may vectorise the plain floor)
// Time is reported per item; counters: allocs and bytes per run (the target is none).
//
// W9 fan-out: N = 1M ready futures (ready(i), copied from a vector built once) through
// buffer_unordered(64), folded into their sum through block_on:
//   futura        block_on(stream::iter(v.begin(), v.end()).buffer_unordered(64).fold(0, +))
//   floor         the same futures polled once each by hand and summed
// Time per item; allocs per run (the set's slots: 8, 16, 32, 64, made once per run).
#include <support/bench.hpp>

#include <futura/core.hpp>
#include <futura/stream/buffer_unordered.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::report_allocations;

const char* const workload = "W8_stream_pipeline";

std::vector<std::int64_t> make_input(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

// The sum of the even values of 1..n, which every implementation must produce.
std::int64_t expected_sum(std::int64_t n) {
  const std::int64_t m = n / 2;  // the even numbers 2, 4, ..., 2m
  return m * (m + 1);
}

void futura_pipeline(benchmark::State& state) {
  const std::vector<std::int64_t> input = make_input(state.range(0));
  std::int64_t sum = 0;
  auto run = [&] {
    sum = futura::block_on(futura::stream::iter(input.begin(), input.end())
                               .map([](std::int64_t x) { return x + 1; })
                               .filter([](std::int64_t x) { return x % 2 == 0; })
                               .fold(std::int64_t{0}, [](std::int64_t acc, std::int64_t x) { return acc + x; }));
    futura_bench::keep(sum);
  };
  const auto allocs = allocations_per_run("W8/futura/" + std::to_string(state.range(0)), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(state.range(0)), "W8 futura: the sum of the even values of 1..N");
  report_allocations(state, allocs, static_cast<double>(state.range(0)));
}

template <bool OneAtATime>
void floor_by_hand(benchmark::State& state) {
  const std::vector<std::int64_t> input = make_input(state.range(0));
  std::int64_t sum = 0;
  auto run = [&] {
    std::int64_t acc = 0;
    for (std::int64_t x : input) {
      if constexpr (OneAtATime) futura_bench::opaque(x);
      const std::int64_t y = x + 1;
      if (y % 2 == 0) acc += y;
    }
    sum = acc;
    futura_bench::keep(sum);
  };
  const auto allocs = allocations_per_run(std::string(OneAtATime ? "W8/floor_scalar/" : "W8/floor/") +
                                              std::to_string(state.range(0)),
                                          run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(state.range(0)), "W8 floor: the sum of the even values of 1..N");
  report_allocations(state, allocs, static_cast<double>(state.range(0)));
}

void register_w8(const config& cfg) {
  const std::int64_t n = cfg.smoke ? 1000 : 1'000'000;
  add(cfg, workload, "futura", &futura_pipeline)->Arg(n)->ArgName("N");
  add(cfg, workload, "floor", &floor_by_hand<false>)->Arg(n)->ArgName("N");
  add(cfg, workload, "floor_scalar", &floor_by_hand<true>)->Arg(n)->ArgName("N");
}

std::vector<futura::ready_future<std::int64_t>> make_ready_futures(std::int64_t n) {
  std::vector<futura::ready_future<std::int64_t>> v;
  v.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v.push_back(futura::ready(i));
  return v;
}

/// Times `run`, which leaves the sum of the N futures' outputs in `sum`, and checks that sum.
template <class Run>
void measure_fan_out(benchmark::State& state, const char* key, const std::int64_t& sum, Run run) {
  const std::int64_t n = state.range(0);
  const auto allocs = allocations_per_run(std::string("W9/") + key + "/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == n * (n - 1) / 2, "W9: the sum of the outputs 0..N-1");
  report_allocations(state, allocs, static_cast<double>(n));
}

void futura_buffer_unordered(benchmark::State& state) {
  const auto input = make_ready_futures(state.range(0));
  std::int64_t sum = 0;
  measure_fan_out(state, "futura", sum, [&] {
    sum = futura::block_on(futura::stream::iter(input.begin(), input.end())
                               .buffer_unordered(64)
                               .fold(std::int64_t{0}, [](std::int64_t acc, std::int64_t x) { return acc + x; }));
    futura_bench::keep(sum);
  });
}

void floor_ready_futures(benchmark::State& state) {
  const auto input = make_ready_futures(state.range(0));
  std::int64_t sum = 0;
  measure_fan_out(state, "floor", sum, [&] {
    futura::waker w;
    std::int64_t acc = 0;
    for (const auto& f : input) {
      futura::ready_future<std::int64_t> copy = f;
      futura::poll_result<std::int64_t> r = copy.poll(w);
      acc += r.is_ready() ? r.value() : -1;
    }
    sum = acc;
    futura_bench::keep(sum);
  });
}

void register_w9_fan_out(const config& cfg) {
  const std::int64_t n = cfg.smoke ? 1000 : 1'000'000;
  add(cfg, "W9_buffer_unordered", "futura", &futura_buffer_unordered)->Arg(n)->ArgName("N");
  add(cfg, "W9_buffer_unordered", "floor", &floor_ready_futures)->Arg(n)->ArgName("N");
}

const bool registered = futura_bench::add_registrar(&register_w8);
const bool registered_w9 = futura_bench::add_registrar(&register_w9_fan_out);

}  // namespace
