// bench/select_bench.cpp — W3 select-race: the first of two promise futures, the second wins.
//
// One race: make two promises and their futures, race them, poll once (both pending), fulfil
// the second, poll again: the second wins and the first is dropped. Time is per race.
// Implementations (columns):
//   futura        futura::select over two futura::promise_future<int>, polled by hand with a
//                 counting waker
//   floor         two heap states (value + release/acquire ready flag) checked by hand, in the
//                 same order: both checked, the second set, both checked again
//   floor_thread_safe  the floor with the synchronisation a promise that may be set on another
//                 thread needs (support/bench.hpp, synced_state): both states register the
//                 counting waker, the second is set and wakes it, the loser's future leaves;
//                 four read-modify-writes and a wake, as in futura's race
//   boost_thread  boost::when_any over two boost::promise<int> futures, then .get()
// Counters: allocs and bytes per race.
#include <support/bench.hpp>
#include <support/boost_thread.hpp>

#include <futura/combinator/select.hpp>
#include <futura/core.hpp>

#include <tuple>
#include <utility>
#include <variant>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::hand_state;
using futura_bench::report_allocations;
using synced_state = futura_bench::synced_state<>;

const char* const workload = "W3_select_race";

struct race_outcome {
  int winner = -1;  // index of the future that won
  int value = -1;   // its value
};

void futura_select(benchmark::State& state) {
  race_outcome out;
  bool pending_at_first_poll = true;
  auto run = [&] {
    futura::promise<int> first;
    futura::promise<int> second;
    auto race = futura::select(first.get_future(), second.get_future());
    futura_bench::wake_counter parent;
    futura::waker w = parent.make();
    pending_at_first_poll = race.poll(w).is_pending() && pending_at_first_poll;
    second.set_value(2);
    futura::poll_result<std::variant<int, int>> r = race.poll(w);
    race_outcome o;
    if (r.is_ready()) {
      o.winner = static_cast<int>(r.value().index());
      o.value = o.winner == 1 ? std::get<1>(r.value()) : -1;
    }
    out = o;
    futura_bench::keep(out);
  };
  const auto allocs = allocations_per_run("W3/futura", run, 16);
  for (auto _ : state) run();
  check(state, pending_at_first_poll, "W3 futura: select is pending at its first poll");
  check(state, out.winner == 1 && out.value == 2, "W3 futura: the second future wins with 2");
  report_allocations(state, allocs);
}

void floor_by_hand(benchmark::State& state) {
  race_outcome out;
  auto run = [&] {
    auto* first = new hand_state;
    auto* second = new hand_state;
    futura_bench::escape(first);  // both states escape, as a promise's state does
    futura_bench::escape(second);
    race_outcome r;
    // First look: neither is ready.
    if (first->ready.load(std::memory_order_acquire))
      r = {0, first->value};
    else if (second->ready.load(std::memory_order_acquire))
      r = {1, second->value};
    if (r.winner < 0) {
      second->value = 2;
      second->ready.store(true, std::memory_order_release);
      if (first->ready.load(std::memory_order_acquire))
        r = {0, first->value};
      else if (second->ready.load(std::memory_order_acquire))
        r = {1, second->value};
    } else {
      r = {};  // a winner before anything was set: the check below fails
    }
    delete first;
    delete second;
    out = r;
    futura_bench::keep(out);
  };
  const auto allocs = allocations_per_run("W3/floor", run, 16);
  for (auto _ : state) run();
  check(state, out.winner == 1 && out.value == 2, "W3 floor: the second state wins with 2");
  report_allocations(state, allocs);
}

void floor_thread_safe(benchmark::State& state) {
  race_outcome out;
  futura_bench::wake_counter parent;
  auto run = [&] {
    auto* first = new synced_state;
    auto* second = new synced_state;
    futura_bench::escape(first);
    futura_bench::escape(second);
    futura::waker w = parent.make();
    race_outcome r;
    // First look: each state gets the waker (two read-modify-writes), neither is ready.
    if (first->register_or_complete(w))
      r = {0, first->value};
    else if (second->register_or_complete(w))
      r = {1, second->value};
    if (r.winner < 0) {
      second->set(2);  // one read-modify-write, and the wake
      if (first->is_complete())
        r = {0, first->value};
      else if (second->is_complete())
        r = {1, second->value};
    } else {
      r = {};
    }
    // The loser's future leaves before its promise (one read-modify-write); the promise then
    // frees the state, and the winner's future frees the state its promise already left.
    first->leave();
    delete first;
    delete second;
    out = r;
    futura_bench::keep(out);
  };
  const auto allocs = allocations_per_run("W3/floor_thread_safe", run, 16);
  for (auto _ : state) run();
  check(state, out.winner == 1 && out.value == 2, "W3 thread-safe floor: the second state wins with 2");
  check(state, parent.wakes() > 0, "W3 thread-safe floor: the completion woke the poller");
  report_allocations(state, allocs);
}

void boost_when_any(benchmark::State& state) {
  race_outcome out;
  auto run = [&] {
    boost::promise<int> first;
    boost::promise<int> second;
    auto any = boost::when_any(first.get_future(), second.get_future());
    second.set_value(2);
    auto futures = any.get();
    race_outcome r;
    if (std::get<0>(futures).is_ready())
      r = {0, -1};
    else if (std::get<1>(futures).is_ready())
      r = {1, std::get<1>(futures).get()};
    out = r;
  };
  const auto allocs = allocations_per_run("W3/boost_thread", run, 4);
  for (auto _ : state) run();
  check(state, out.winner == 1 && out.value == 2, "W3 Boost.Thread: the second future wins with 2");
  report_allocations(state, allocs);
}

void register_w3(const config& cfg) {
  add(cfg, workload, "futura", &futura_select);
  add(cfg, workload, "floor", &floor_by_hand);
  add(cfg, workload, "floor_thread_safe", &floor_thread_safe);
  add(cfg, workload, "boost_thread", &boost_when_any);
}

const bool registered = futura_bench::add_registrar(&register_w3);

}  // namespace
