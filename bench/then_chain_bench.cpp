// bench/then_chain_bench.cpp — W1 then-chain: ready(x) followed by 16 then(+1).
//
// Workloads (rows of the report), each with x opaque to the optimiser:
//   W1_then_chain_polled    the chain polled once with noop_waker(): the combinators alone
//   W1_then_chain_block_on  the same chain run by block_on: with the cost of entering block_on
//   W1_block_on_entry       block_on(ready(x)) against ready(x) polled by hand
// Implementations (columns):
//   futura              futura::ready(x).then(+1) x16
//   floor               the same arithmetic written inline (x + 1, 16 times)
//   boost_thread        boost::make_ready_future(x).then(+1) x16, default launch policy (each
//                       continuation runs on a thread of its own), then .get()
//   boost_thread_sync   the same with boost::launch::sync (continuations run inline): the
//                       cheapest Boost.Thread can do
//   std_future          a hand chain of 16 std::promise/std::future pairs (std::future has no
//                       then): each link sets the next promise from the previous future's value
// Counters: allocs and bytes per chain (operator new is counted, see support/alloc_counter.cpp),
// and sizeof of futura's chain type.
#include <support/bench.hpp>
#include <support/boost_thread.hpp>

#include <futura/core.hpp>

#include <future>
#include <string>
#include <utility>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::report_allocations;

constexpr int chain_length = 16;

// The continuation every link runs, for futura and the inline floor alike.
constexpr auto plus_one = [](int v) { return v + 1; };

// The chain, written out as a user would: every .then() moves the chain built so far into the
// new combinator (std::move(f).then(g) consumes f), so building it is part of the workload.
#define FUTURA_BENCH_CHAIN_OF_16(x) \
  futura::ready(x)                  \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)               \
      .then(plus_one)

using futura_chain = decltype(FUTURA_BENCH_CHAIN_OF_16(0));

// ---- the workloads --------------------------------------------------------------------------
//
// Each workload is a function of its own, called by the benchmark loop with an opaque x:
// futura, the floor and the peers are compiled in the same context (a function, as user code
// would be), not inlined into Google Benchmark's loop, where inlining budgets depend on
// whatever else the loop holds.

/// W1_then_chain_polled / futura: the combinators alone.
[[gnu::noinline]] int futura_chain_polled(int x) {
  futura_chain chain = FUTURA_BENCH_CHAIN_OF_16(x);
  futura::waker w = futura::noop_waker();
  futura::poll_result<int> r = chain.poll(w);
  return r.is_ready() ? r.value() : -1;
}

/// W1_then_chain_block_on / futura: the same chain, with the cost of entering block_on.
[[gnu::noinline]] int futura_chain_block_on(int x) { return futura::block_on(FUTURA_BENCH_CHAIN_OF_16(x)); }

/// The floor of both chain rows: the same arithmetic, inline.
[[gnu::noinline]] int inline_chain(int x) {
  int v = x;
  for (int i = 0; i < chain_length; ++i) v = plus_one(v);
  return v;
}

// A Boost.Thread continuation receives the finished future, not its value.
struct boost_link {
  int operator()(boost::future<int> previous) const { return plus_one(previous.get()); }
};

/// Boost.Thread, default launch policy: a ready future's continuation runs on a new thread.
[[gnu::noinline]] int boost_chain(int x) {
  boost::future<int> f = boost::make_ready_future(x);
  // Boost.Thread takes the continuation as an rvalue: a fresh one per link.
  for (int i = 0; i < chain_length; ++i) f = f.then(boost_link{});
  return f.get();
}

/// Boost.Thread with launch::sync: continuations run inline, the cheapest Boost.Thread offers.
[[gnu::noinline]] int boost_chain_sync(int x) {
  boost::future<int> f = boost::make_ready_future(x);
  for (int i = 0; i < chain_length; ++i) f = f.then(boost::launch::sync, boost_link{});
  return f.get();
}

/// std::future has no then: a hand chain of promise/future pairs, each link set from the
/// previous future's value.
[[gnu::noinline]] int std_future_chain(int x) {
  std::promise<int> first;
  std::future<int> f = first.get_future();
  first.set_value(x);
  for (int i = 0; i < chain_length; ++i) {
    std::promise<int> next;
    std::future<int> next_future = next.get_future();
    next.set_value(plus_one(f.get()));
    f = std::move(next_future);
  }
  return f.get();
}

/// W1_block_on_entry / futura.
[[gnu::noinline]] int futura_block_on_ready(int x) { return futura::block_on(futura::ready(x)); }

/// W1_block_on_entry / floor: the same future polled by hand.
[[gnu::noinline]] int ready_polled_by_hand(int x) {
  auto f = futura::ready(x);
  futura::waker w = futura::noop_waker();
  futura::poll_result<int> r = f.poll(w);
  return r.is_ready() ? r.value() : -1;
}

// ---- measuring ------------------------------------------------------------------------------

/// Runs `Workload(x)` per iteration with x opaque, counts its allocations (over `counted_runs`
/// untimed runs, once per benchmark), and checks it returned `x + expected_offset`.
template <int (*Workload)(int)>
void measure(benchmark::State& state, const std::string& key, int expected_offset, int counted_runs,
             bool report_sizeof) {
  int x = 1;
  int v = 0;
  auto run = [&] {
    futura_bench::opaque(x);
    v = Workload(x);
    futura_bench::keep(v);
  };
  const auto allocs = allocations_per_run(key, run, counted_runs);
  for (auto _ : state) run();
  check(state, v == x + expected_offset, (key + ": wrong result").c_str());
  report_allocations(state, allocs);
  if (report_sizeof) state.counters["sizeof"] = sizeof(futura_chain);
}

template <int (*Workload)(int)>
void add_measured(const config& cfg, const std::string& workload, const std::string& implementation,
                  int expected_offset, int counted_runs = 16, bool report_sizeof = false) {
  const std::string key = workload + "/" + implementation;
  add(cfg, workload, implementation,
      [=](benchmark::State& s) { measure<Workload>(s, key, expected_offset, counted_runs, report_sizeof); });
}

/// The floor and the peers of a chain row: they do the same work in both rows.
void add_chain_peers(const config& cfg, const std::string& workload) {
  add_measured<&inline_chain>(cfg, workload, "floor", chain_length);
  add_measured<&boost_chain>(cfg, workload, "boost_thread", chain_length, 2);
  add_measured<&boost_chain_sync>(cfg, workload, "boost_thread_sync", chain_length);
  add_measured<&std_future_chain>(cfg, workload, "std_future", chain_length);
}

void register_w1(const config& cfg) {
  add_measured<&futura_chain_polled>(cfg, "W1_then_chain_polled", "futura", chain_length, 16, true);
  add_chain_peers(cfg, "W1_then_chain_polled");
  add_measured<&futura_chain_block_on>(cfg, "W1_then_chain_block_on", "futura", chain_length, 16, true);
  add_chain_peers(cfg, "W1_then_chain_block_on");
  add_measured<&futura_block_on_ready>(cfg, "W1_block_on_entry", "futura", 0);
  add_measured<&ready_polled_by_hand>(cfg, "W1_block_on_entry", "floor", 0);
}

const bool registered = futura_bench::add_registrar(&register_w1);

}  // namespace
