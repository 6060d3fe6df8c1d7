// bench/join_all_bench.cpp — W2 join-all: N promise futures joined, fulfilled in reverse order.
//
// One run: make N promises and their futures, join them, poll once (everything pending),
// fulfil the promises from the last to the first, then collect the N values in input order
// into a vector. N = 10k, 100k, 1M (100 and 1000 in smoke mode). Time is reported per element.
// Implementations (columns):
//   futura        futura::join_all over N futura::promise_future<int>, polled by hand with a
//                 counting waker: pending at the first poll, ready at the second
//   floor         the same memory pattern by hand: one heap state per element (a value and a
//                 release/acquire ready flag, as a promise must have), set in reverse, read in
//                 order into a vector
//   floor_thread_safe  the floor with the synchronisation a join of promises that may be set on
//                 other threads needs (support/bench.hpp, synced_state): each state registers
//                 a waker of its child, each set wakes it, which marks the child in the join's
//                 ready words; the collection visits the marked children in input order. Three
//                 read-modify-writes per element (futura pays a fourth: releasing the waker
//                 clone, rule 7's wakers that may outlive the join)
//   boost_thread  boost::when_all over N boost::promise<int> futures, then .get() of each
// Counters: allocs and bytes per run, items (= N) and bytes per item.
//
// W9 fan-in, in the same process: the same N promise futures pushed to a
// stream::futures_unordered, polled until every child has been polled once (the set's budget
// makes that several polls), fulfilled in reverse, then drained (the outputs come in wake order,
// N-1 first, into a vector reserved for N). Columns: futura (the set) and join_all (W2's futura
// run above), so the table prints join_all / futura; design.md's target: within 1.3x.
#include <support/bench.hpp>
#include <support/boost_thread.hpp>

#include <futura/combinator/join_all.hpp>
#include <futura/core.hpp>
#include <futura/stream/futures_unordered.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::hand_state;
using futura_bench::report_allocations;

const char* const workload = "W2_join_all";

/// True when `values` is 0, 1, ..., n-1: every element arrived, in input order.
bool in_input_order(const std::vector<int>& values, std::int64_t n) {
  if (static_cast<std::int64_t>(values.size()) != n) return false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (values[static_cast<std::size_t>(i)] != static_cast<int>(i)) return false;
  }
  return true;
}

std::string key_of(const char* implementation, std::int64_t n) {
  return std::string(workload) + "/" + implementation + "/" + std::to_string(n);
}

void futura_join_all(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  std::vector<int> out;
  bool pending_at_first_poll = true;
  auto run = [&] {
    std::vector<futura::promise<int>> promises(count);
    std::vector<futura::promise_future<int>> futures;
    futures.reserve(count);
    for (auto& p : promises) futures.push_back(p.get_future());
    auto all = futura::join_all(std::move(futures));
    futura_bench::wake_counter parent;
    futura::waker w = parent.make();
    pending_at_first_poll = all.poll(w).is_pending() && pending_at_first_poll;
    for (std::size_t i = count; i-- > 0;) promises[i].set_value(static_cast<int>(i));
    futura::poll_result<std::vector<int>> r = all.poll(w);
    out = r.is_ready() ? r.take() : std::vector<int>{};
  };
  const auto allocs = allocations_per_run(key_of("futura", n), run);
  for (auto _ : state) run();
  check(state, pending_at_first_poll, "W2 futura: join_all is pending at its first poll");
  check(state, in_input_order(out, n), "W2 futura: values collected in input order");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// True when `values` is n-1, n-2, ..., 0: every element arrived, in the order of the wakes.
bool in_reverse_order(const std::vector<int>& values, std::int64_t n) {
  if (static_cast<std::int64_t>(values.size()) != n) return false;
  for (std::int64_t i = 0; i < n; ++i) {
    if (values[static_cast<std::size_t>(i)] != static_cast<int>(n - 1 - i)) return false;
  }
  return true;
}

void futura_futures_unordered(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  std::vector<int> out;
  bool pending_until_set = true;
  auto run = [&] {
    std::vector<futura::promise<int>> promises(count);
    futura::stream::futures_unordered<futura::promise_future<int>> set;
    for (auto& p : promises) set.push(p.get_future());
    futura_bench::wake_counter parent;
    futura::waker w = parent.make();
    for (int yields = parent.wakes();; yields = parent.wakes()) {  // a poll that yielded woke w
      pending_until_set = set.poll_next(w).is_pending() && pending_until_set;
      if (parent.wakes() == yields) break;  // every child polled once, all pending
    }
    for (std::size_t i = count; i-- > 0;) promises[i].set_value(static_cast<int>(i));
    std::vector<int> values;
    values.reserve(count);
    for (futura::poll_result<std::optional<int>> r = set.poll_next(w); r.is_ready() && r.value();
         r = set.poll_next(w)) {
      values.push_back(*r.value());
    }
    out = std::move(values);
  };
  const auto allocs = allocations_per_run("W9/futures_unordered/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, pending_until_set, "W9 futura: futures_unordered is pending before the promises are set");
  check(state, in_reverse_order(out, n), "W9 futura: every value drained, in wake order");
  report_allocations(state, allocs, static_cast<double>(n));
}

void floor_by_hand(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  std::vector<int> out;
  auto run = [&] {
    std::vector<hand_state*> states(count);
    for (auto& s : states) s = new hand_state;
    futura_bench::escape(states.data());  // the states escape, as a promise's state does
    for (std::size_t i = count; i-- > 0;) {
      states[i]->value = static_cast<int>(i);
      states[i]->ready.store(true, std::memory_order_release);
    }
    std::vector<int> values;
    values.reserve(count);
    for (hand_state* s : states) {
      values.push_back(s->ready.load(std::memory_order_acquire) ? s->value : -1);
      delete s;
    }
    out = std::move(values);
    futura_bench::keep(out.data());
  };
  const auto allocs = allocations_per_run(key_of("floor", n), run);
  for (auto _ : state) run();
  check(state, in_input_order(out, n), "W2 floor: values collected in input order");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// What a thread-safe join leaves in each child's state to be woken: the child's bit in the
/// join's ready words (a read-modify-write per wake, so that the join's next poll visits only
/// woken children and stays linear), and the join's own waker, woken by the first child of a
/// word.
struct child_waker {
  std::atomic<std::uint64_t>* word = nullptr;
  std::uint64_t bit = 0;
  const futura::waker* parent = nullptr;

  void wake() const noexcept {
    if (word->fetch_or(bit, std::memory_order_acq_rel) == 0) parent->wake();
  }
};

void floor_thread_safe(benchmark::State& state) {
  using child_state = futura_bench::synced_state<child_waker>;
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  std::vector<int> out;
  bool pending_at_first_poll = true;
  futura_bench::wake_counter parent;
  auto run = [&] {
    std::vector<child_state*> states(count);
    for (auto& s : states) s = new child_state;
    futura_bench::escape(states.data());
    const futura::waker w = parent.make();
    std::vector<std::atomic<std::uint64_t>> ready((count + 63) / 64);
    // First poll: every child registers (a read-modify-write each); none is complete.
    for (std::size_t i = 0; i < count; ++i) {
      const child_waker cw{&ready[i / 64], std::uint64_t{1} << (i % 64), &w};
      if (states[i]->register_or_complete(cw)) pending_at_first_poll = false;
    }
    for (std::size_t i = count; i-- > 0;) states[i]->set(static_cast<int>(i));
    // Second poll: the woken children, word by word, in input order.
    std::vector<int> values;
    values.reserve(count);
    for (std::size_t k = 0; k < ready.size(); ++k) {
      for (std::uint64_t bits = ready[k].exchange(0, std::memory_order_acq_rel); bits != 0; bits &= bits - 1) {
        child_state* s = states[k * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))];
        values.push_back(s->is_complete() ? s->value : -1);
        delete s;  // its promise completed and left: the future frees it
      }
    }
    out = std::move(values);
    futura_bench::keep(out.data());
  };
  const auto allocs = allocations_per_run(key_of("floor_thread_safe", n), run);
  for (auto _ : state) run();
  check(state, pending_at_first_poll, "W2 thread-safe floor: nothing is complete at the first poll");
  check(state, in_input_order(out, n), "W2 thread-safe floor: values collected in input order");
  report_allocations(state, allocs, static_cast<double>(n));
}

void boost_when_all(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto count = static_cast<std::size_t>(n);
  std::vector<int> out;
  auto run = [&] {
    std::vector<boost::promise<int>> promises(count);
    std::vector<boost::future<int>> futures;
    futures.reserve(count);
    for (auto& p : promises) futures.push_back(p.get_future());
    auto all = boost::when_all(futures.begin(), futures.end());
    for (std::size_t i = count; i-- > 0;) promises[i].set_value(static_cast<int>(i));
    auto done = all.get();
    std::vector<int> values;
    values.reserve(count);
    for (auto& f : done) values.push_back(f.get());
    out = std::move(values);
  };
  const auto allocs = allocations_per_run(key_of("boost_thread", n), run);
  for (auto _ : state) run();
  check(state, in_input_order(out, n), "W2 Boost.Thread: values collected in input order");
  report_allocations(state, allocs, static_cast<double>(n));
}

void register_w2(const config& cfg) {
  // W2 (and W9, in the same process) holds 1M promise states at once and frees them all in every
  // iteration, as W7 does its tasks: without this, whether glibc gave the freed states back to the
  // kernel decided whether an iteration paid ~20k page faults, and W2 at 1M landed near 58 or near
  // 76-87 ms per process (docs/performance.md, "Change 10").
  benchmark::AddCustomContext("futura_heap_held_at_peak", futura_bench::hold_heap_at_peak() ? "yes" : "no");
  const std::vector<std::int64_t> sizes =
      cfg.smoke ? std::vector<std::int64_t>{100, 1000} : std::vector<std::int64_t>{10'000, 100'000, 1'000'000};
  auto with_sizes = [&](benchmark::internal::Benchmark* b) {
    for (std::int64_t n : sizes) b->Arg(n);
    b->ArgName("N");
  };
  with_sizes(add(cfg, workload, "futura", &futura_join_all));
  with_sizes(add(cfg, workload, "floor", &floor_by_hand));
  with_sizes(add(cfg, workload, "floor_thread_safe", &floor_thread_safe));
  with_sizes(add(cfg, workload, "boost_thread", &boost_when_all));
}

void register_w9_fan_in(const config& cfg) {
  const std::vector<std::int64_t> sizes =
      cfg.smoke ? std::vector<std::int64_t>{100, 1000} : std::vector<std::int64_t>{100'000, 1'000'000};
  for (std::int64_t n : sizes) {
    add(cfg, "W9_futures_unordered", "futura", &futura_futures_unordered)->Arg(n)->ArgName("N");
    add(cfg, "W9_futures_unordered", "join_all", &futura_join_all)->Arg(n)->ArgName("N");
  }
}

const bool registered = futura_bench::add_registrar(&register_w2);
const bool registered_w9 = futura_bench::add_registrar(&register_w9_fan_in);

}  // namespace
