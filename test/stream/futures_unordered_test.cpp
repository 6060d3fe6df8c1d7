// The sets of futures, futures_unordered and futures_ordered: the empty set's answer, the order of
// their outputs, the wakes (one per batch, O(1): a poll polls only the woken children, each at
// most once), the budget, exceptions, drops and slot reuse, and children completed from other
// threads while the set is polled or dropped.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>
#include <support/probe_stream.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace futura_test;
using futura::stream::futures_ordered;
using futura::stream::futures_unordered;

namespace {

constexpr int budget = static_cast<int>(futura::detail::coop_budget);

/// Pending forever, waking its waker at every poll.
struct self_waking : futura::future_ext<self_waking> {
  using output_type = int;
  int* polls;
  explicit self_waking(int* p) : polls(p) {}
  futura::poll_result<int> poll(futura::waker& w) {
    ++*polls;
    w.wake();
    return futura::pending;
  }
};

std::vector<probe<int>> make_probes(int n) { return std::vector<probe<int>>(static_cast<std::size_t>(n)); }

template <class Set>
void push_all(Set& set, const std::vector<probe<int>>& probes) {
  for (const auto& p : probes) set.push(p.future());
}

/// `n` probes' futures pushed to a `Set` and polled once with `w` (every child pending).
template <class Set>
struct started_set {
  std::vector<probe<int>> probes;
  Set set;
  futura::waker w;
  explicit started_set(int n, futura::waker waker = {}) : probes(make_probes(n)), w(std::move(waker)) {
    push_all(set, probes);
    BOOST_TEST(set.poll_next(w).is_pending());
  }
};

using unordered_probes = futures_unordered<probe_future<int>>;
using ordered_probes = futures_ordered<probe_future<int>>;

/// Rounds of: push `n` probes' futures, poll once, complete them from the last to the first,
/// drain the set (the unordered set answers in wake order, the last first). The first round
/// makes the slots; the next ones must not allocate.
template <class Set>
void check_steady_state_allocates_nothing(int n, bool push_order) {
  auto probes = make_probes(n);
  Set set;
  futura::waker w;
  auto round = [&] {
    push_all(set, probes);
    bool ok = set.poll_next(w).is_pending();
    for (int i = n - 1; i >= 0; --i) probes[static_cast<std::size_t>(i)].complete(i);
    for (int k = 0; k < n; ++k) ok = ok && yields(set.poll_next(w), push_order ? k : n - 1 - k);
    return ok && set.empty();
  };
  BOOST_TEST(round());
  bool ok = true;
  const long allocations = allocations_during([&] {
    for (int r = 0; r < 50; ++r) ok = round() && ok;
  });
  BOOST_TEST(ok);
  BOOST_TEST(allocations == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(futures_unordered_set)

BOOST_AUTO_TEST_CASE(an_empty_set_answers_the_end_at_every_poll_and_yields_again_after_a_push) {
  futures_unordered<probe_future<int>> set;
  futura::waker w;
  BOOST_TEST(set.empty());
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
  probe<int> p;
  set.push(p.future());
  BOOST_TEST(set.size() == 1u);
  BOOST_TEST(p.polls() == 0);  // push polls nothing
  BOOST_TEST(set.poll_next(w).is_pending());
  BOOST_TEST(p.polls() == 1);  // the first poll of a child is the set's next poll
  p.complete(7);
  BOOST_TEST(yields(set.poll_next(w), 7));
  BOOST_TEST(p.drops() == 1);  // destroyed before its output left
  BOOST_TEST(set.empty());
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(children_ready_at_their_first_poll_come_out_in_push_order) {
  futures_unordered<futura::ready_future<int>> set;
  for (int i = 0; i < 5; ++i) set.push(futura::ready(i));
  futura::waker w;
  BOOST_TEST(drain_ready(set, w) == (std::vector<int>{0, 1, 2, 3, 4}));
}

BOOST_AUTO_TEST_CASE(outputs_come_in_completion_order) {
  started_set<unordered_probes> started(3);
  auto& [probes, set, w] = started;
  probes[2].complete(2);
  probes[0].complete(0);
  BOOST_TEST(yields(set.poll_next(w), 2));
  BOOST_TEST(yields(set.poll_next(w), 0));
  BOOST_TEST(set.poll_next(w).is_pending());
  probes[1].complete(1);
  BOOST_TEST(yields(set.poll_next(w), 1));
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(a_batch_of_child_wakes_wakes_the_set_once) {
  counting_waker parent;
  started_set<unordered_probes> started(3, parent.make());
  auto& [probes, set, w] = started;
  probes[1].waker().wake();
  BOOST_TEST(parent.wakes() == 1);
  probes[2].waker().wake();
  probes[1].waker().wake();
  BOOST_TEST(parent.wakes() == 1);
  BOOST_TEST(set.poll_next(w).is_pending());
  probes[0].waker().wake();  // a new batch after the poll
  BOOST_TEST(parent.wakes() == 2);
}

BOOST_AUTO_TEST_CASE(a_poll_after_one_child_wake_polls_exactly_that_child) {
  started_set<unordered_probes> started(64);
  auto& [probes, set, w] = started;
  probes[37].waker().wake();
  BOOST_TEST(set.poll_next(w).is_pending());
  for (int i = 0; i < 64; ++i) BOOST_TEST(probes[static_cast<std::size_t>(i)].polls() == (i == 37 ? 2 : 1));
  BOOST_TEST(set.poll_next(w).is_pending());  // nothing woken: nothing polled
  BOOST_TEST(probes[37].polls() == 2);
}

BOOST_AUTO_TEST_CASE(a_self_waking_child_is_polled_once_per_poll_and_wakes_the_set) {
  int polls = 0;
  futures_unordered<self_waking> set;
  set.push(self_waking(&polls));
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(set.poll_next(w).is_pending());  // returns: no livelock
  BOOST_TEST(polls == 1);
  BOOST_TEST(parent.wakes() == 1);
  BOOST_TEST(set.poll_next(w).is_pending());
  BOOST_TEST(polls == 2);
  BOOST_TEST(parent.wakes() == 2);
}

BOOST_AUTO_TEST_CASE(one_poll_polls_at_most_the_budget_of_pending_children_then_yields) {
  counting_waker parent;
  started_set<unordered_probes> started(budget + 72, parent.make());
  auto& [probes, set, w] = started;
  BOOST_TEST(parent.wakes() == 1);  // it yielded
  BOOST_TEST(probes[budget - 1].polls() == 1);
  BOOST_TEST(probes[budget].polls() == 0);
  BOOST_TEST(set.poll_next(w).is_pending());
  for (const auto& p : probes) BOOST_TEST(p.polls() == 1);
}

BOOST_AUTO_TEST_CASE(wakes_reach_the_set_after_it_moved) {
  probe<int> p;
  futures_unordered<probe_future<int>> set;
  set.push(p.future());
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(set.poll_next(w).is_pending());
  futures_unordered<probe_future<int>> moved(std::move(set));
  p.complete(3);
  BOOST_TEST(parent.wakes() == 1);
  BOOST_TEST(yields(moved.poll_next(w), 3));
}

BOOST_AUTO_TEST_CASE(dropping_the_set_drops_every_running_child_exactly_once) {
  auto probes = make_probes(5);
  futura::waker kept;
  {
    futures_unordered<probe_future<int>> set;
    push_all(set, probes);
    futura::waker w;
    BOOST_TEST(set.poll_next(w).is_pending());
    probes[3].complete(3);
    BOOST_TEST(yields(set.poll_next(w), 3));
    kept = probes[1].waker();  // a child's waker that outlives the set
  }
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
  kept.wake();  // rule 7: does nothing
}

BOOST_AUTO_TEST_CASE(clear_drops_every_child_and_the_set_can_be_used_again) {
  started_set<unordered_probes> started(3);
  auto& [probes, set, w] = started;
  set.clear();
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
  BOOST_TEST(set.empty());
  set.push(futura_test::probe_future<int>(std::make_shared<probe_state<int>>()));
  BOOST_TEST(set.size() == 1u);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_throwing_child_is_dropped_and_its_exception_propagates_the_others_stay) {
  started_set<unordered_probes> started(3);
  auto& [probes, set, w] = started;
  probes[1].fail();
  BOOST_CHECK_THROW((void)set.poll_next(w), std::runtime_error);
  BOOST_TEST(probes[1].drops() == 1);
  BOOST_TEST(probes[0].drops() == 0);
  BOOST_TEST(set.size() == 2u);
  probes[2].complete(2);
  BOOST_TEST(yields(set.poll_next(w), 2));
  probes[0].complete(0);
  BOOST_TEST(yields(set.poll_next(w), 0));
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
}
#endif

BOOST_AUTO_TEST_CASE(slots_are_reused_a_steady_state_allocates_nothing) {
  check_steady_state_allocates_nothing<unordered_probes>(16, false);
}

BOOST_AUTO_TEST_CASE(children_completed_from_other_threads_all_arrive) {
  constexpr int n = 2000;
  std::vector<futura::promise<int>> promises(n);
  futures_unordered<futura::promise_future<int>> set;
  for (auto& p : promises) set.push(p.get_future());
  std::thread odd([&] {
    for (int i = 1; i < n; i += 2) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  std::thread even([&] {
    for (int i = n - 2; i >= 0; i -= 2) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  std::vector<int> values = futura::block_on(std::move(set).collect());
  odd.join();
  even.join();
  std::sort(values.begin(), values.end());
  bool all = values.size() == static_cast<std::size_t>(n);
  for (int i = 0; all && i < n; ++i) all = values[static_cast<std::size_t>(i)] == i;
  BOOST_TEST(all);
}

BOOST_AUTO_TEST_CASE(wakes_from_other_threads_may_race_with_the_drop_of_the_set) {
  for (int round = 0; round < 20; ++round) {
    constexpr int n = 200;
    std::vector<futura::promise<int>> promises(n);
    std::atomic<bool> started{false};
    std::thread setter;
    {
      futures_unordered<futura::promise_future<int>> set;
      for (auto& p : promises) set.push(p.get_future());
      futura::waker w;
      BOOST_TEST(set.poll_next(w).is_pending());  // every child registered its waker
      setter = std::thread([&] {
        started.store(true);
        for (auto& p : promises) p.set_value(1);
      });
      while (!started.load()) std::this_thread::yield();
      // the set is dropped here, while the setter wakes its children
    }
    setter.join();
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(futures_ordered_set)

BOOST_AUTO_TEST_CASE(outputs_come_in_push_order_whatever_the_completion_order) {
  started_set<ordered_probes> started(4);
  auto& [probes, set, w] = started;
  probes[3].complete(3);
  probes[1].complete(1);
  BOOST_TEST(set.poll_next(w).is_pending());  // the oldest is still running
  BOOST_TEST(probes[3].drops() == 1);         // a finished child is destroyed; its output waits
  BOOST_TEST(set.size() == 4u);
  probes[0].complete(0);
  BOOST_TEST(yields(set.poll_next(w), 0));
  BOOST_TEST(yields(set.poll_next(w), 1));
  BOOST_TEST(set.poll_next(w).is_pending());
  probes[2].complete(2);
  BOOST_TEST(yields(set.poll_next(w), 2));
  BOOST_TEST(yields(set.poll_next(w), 3));  // waiting: no child polled
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_it_destroys_running_children_and_waiting_outputs_once) {
  tracked::reset();
  {
    std::vector<probe<tracked>> probes(3);
    futures_ordered<probe_future<tracked>> set;
    for (const auto& p : probes) set.push(p.future());
    futura::waker w;
    BOOST_TEST(set.poll_next(w).is_pending());
    probes[2].complete(tracked(2));
    BOOST_TEST(set.poll_next(w).is_pending());
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(ordered_slots_and_ring_are_reused_in_a_steady_state) {
  check_steady_state_allocates_nothing<ordered_probes>(8, true);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_throwing_child_s_place_in_the_order_is_skipped) {
  started_set<ordered_probes> started(3);
  auto& [probes, set, w] = started;
  probes[0].fail();
  BOOST_CHECK_THROW((void)set.poll_next(w), std::runtime_error);
  BOOST_TEST(probes[0].drops() == 1);
  BOOST_TEST(set.size() == 2u);
  probes[2].complete(2);
  probes[1].complete(1);
  BOOST_TEST(yields(set.poll_next(w), 1));
  BOOST_TEST(yields(set.poll_next(w), 2));
  BOOST_TEST(!next_of(set.poll_next(w)).has_value());
}
#endif

BOOST_AUTO_TEST_CASE(ordered_children_completed_from_another_thread_arrive_in_push_order) {
  constexpr int n = 1000;
  std::vector<futura::promise<int>> promises(n);
  futures_ordered<futura::promise_future<int>> set;
  for (auto& p : promises) set.push(p.get_future());
  std::thread setter([&] {
    for (int i = n - 1; i >= 0; --i) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  std::vector<int> values = futura::block_on(std::move(set).collect());
  setter.join();
  bool in_order = values.size() == static_cast<std::size_t>(n);
  for (int i = 0; in_order && i < n; ++i) in_order = values[static_cast<std::size_t>(i)] == i;
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_SUITE_END()
