// The task state word (futura/executor/detail/task_state.hpp) on its own, without a task,
// an executor or Asio: each named transition from each state it can meet, what it returns and
// the word it leaves; then threads racing wakes against a runner, counting submissions.
#include <futura/executor/detail/task_state.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace {

using futura::detail::task_snapshot;
using futura::detail::task_state;
using wake_ref = task_state::wake_by_ref_action;
using wake_val = task_state::wake_by_val_action;
using run = task_state::run_action;
using idle = task_state::idle_action;
using alone = task_state::complete_alone_action;

/// A task whose first runner ran and left it idle: one reference left (the join handle's).
void make_idle(task_state& s) {
  BOOST_REQUIRE(s.transition_to_running() == run::poll);
  BOOST_REQUIRE(s.transition_to_idle() == idle::idle);
  BOOST_REQUIRE(!s.load().is_scheduled());
  BOOST_REQUIRE_EQUAL(s.load().refs(), 1u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_state_word)

BOOST_AUTO_TEST_CASE(a_new_task_is_scheduled_interested_and_has_two_references) {
  task_state s;
  const task_snapshot w = s.load();
  BOOST_TEST(w.is_scheduled());
  BOOST_TEST(w.has_join_interest());
  BOOST_TEST(!w.is_notified());
  BOOST_TEST(!w.is_closed());
  BOOST_TEST(!w.is_complete());
  BOOST_TEST(!w.is_cancelled());
  BOOST_TEST(!w.is_join_waiting());
  BOOST_TEST(!w.has_posters());
  BOOST_TEST(w.refs() == 2u);
}

BOOST_AUTO_TEST_CASE(wake_by_ref_while_scheduled_sets_notified_once_and_submits_nothing) {
  task_state s;
  BOOST_TEST((s.transition_to_notified_by_ref(false) == wake_ref::none));
  BOOST_TEST(s.load().is_notified());
  const auto before = s.load().bits();
  BOOST_TEST((s.transition_to_notified_by_ref(false) == wake_ref::none));
  BOOST_TEST(s.load().bits() == before);  // a second wake changes nothing
  BOOST_TEST(s.load().refs() == 2u);
}

BOOST_AUTO_TEST_CASE(running_absorbs_the_wakes_that_came_while_queued) {
  task_state s;
  (void)s.transition_to_notified_by_ref(true);
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST(!s.load().is_notified());
  BOOST_TEST(s.load().is_scheduled());  // the runner keeps it while it polls
}

BOOST_AUTO_TEST_CASE(idle_after_a_quiet_poll_clears_scheduled_and_drops_the_runner_reference) {
  task_state s;
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_idle() == idle::idle));
  BOOST_TEST(!s.load().is_scheduled());
  BOOST_TEST(s.load().refs() == 1u);
}

BOOST_AUTO_TEST_CASE(a_wake_during_the_poll_makes_the_runner_hand_its_reference_to_a_repoll) {
  task_state s;
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_notified_by_ref(true) == wake_ref::none));
  BOOST_TEST((s.transition_to_idle() == idle::repoll));
  const task_snapshot w = s.load();
  BOOST_TEST(w.is_scheduled());
  BOOST_TEST(!w.is_notified());
  BOOST_TEST(w.refs() == 2u);  // the next runner has the reference
}

BOOST_AUTO_TEST_CASE(idle_with_the_last_reference_says_dealloc) {
  task_state s;
  BOOST_TEST(!s.ref_dec());  // the join handle goes: the runner's remains
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_idle() == idle::idle_dealloc));
}

BOOST_AUTO_TEST_CASE(an_abort_during_the_poll_is_seen_at_idle_and_keeps_the_reference) {
  task_state s;
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST(s.transition_to_cancelled());
  BOOST_TEST((s.transition_to_idle() == idle::cancelled));
  BOOST_TEST(s.load().refs() == 2u);
  BOOST_TEST(s.load().is_scheduled());
}

BOOST_AUTO_TEST_CASE(an_abort_while_queued_is_seen_when_the_runner_starts) {
  task_state s;
  BOOST_TEST(s.transition_to_cancelled());
  BOOST_TEST(!s.transition_to_cancelled());  // only the first request asks for a wake
  BOOST_TEST((s.transition_to_running() == run::cancelled));
}

BOOST_AUTO_TEST_CASE(a_runner_that_finds_the_task_closed_is_gone) {
  task_state s;
  s.close();
  BOOST_TEST((s.transition_to_running() == run::gone));
}

BOOST_AUTO_TEST_CASE(wake_by_ref_of_an_idle_task_submits_with_a_runner_reference_and_a_posting_count) {
  task_state s;
  make_idle(s);
  BOOST_TEST((s.transition_to_notified_by_ref(false) == wake_ref::submit));
  task_snapshot w = s.load();
  BOOST_TEST(w.is_scheduled());
  BOOST_TEST(w.has_posters());
  BOOST_TEST(w.refs() == 2u);
  s.leave_posting();
  BOOST_TEST(!s.load().has_posters());
  // On its own context no posting count is taken.
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_idle() == idle::idle));
  BOOST_TEST((s.transition_to_notified_by_ref(true) == wake_ref::submit));
  BOOST_TEST(!s.load().has_posters());
}

BOOST_AUTO_TEST_CASE(wake_by_val_of_an_idle_task_turns_the_wakers_reference_into_the_runners) {
  task_state s;
  make_idle(s);
  s.ref_inc();  // a waker clone
  BOOST_TEST((s.transition_to_notified_by_val(true) == wake_val::submit));
  BOOST_TEST(s.load().refs() == 2u);  // the handle's and the runner's (was the waker's)
  BOOST_TEST(!s.load().has_posters());
}

BOOST_AUTO_TEST_CASE(wake_by_val_from_outside_keeps_the_wakers_reference_until_it_leaves_execute) {
  task_state s;
  make_idle(s);
  s.ref_inc();  // a waker clone
  BOOST_TEST((s.transition_to_notified_by_val(false) == wake_val::submit));
  BOOST_TEST(s.load().refs() == 3u);  // handle, waker (inside execute), runner
  BOOST_TEST(s.load().has_posters());
  BOOST_TEST(!s.leave_posting_and_release());
  BOOST_TEST(s.load().refs() == 2u);
  BOOST_TEST(!s.load().has_posters());
}

BOOST_AUTO_TEST_CASE(wake_by_val_of_a_scheduled_task_notifies_and_drops_the_reference) {
  task_state s;
  s.ref_inc();
  BOOST_TEST((s.transition_to_notified_by_val(false) == wake_val::none));
  BOOST_TEST(s.load().is_notified());
  BOOST_TEST(s.load().refs() == 2u);
}

BOOST_AUTO_TEST_CASE(wake_by_val_of_a_complete_task_only_drops_the_reference_and_may_dealloc) {
  task_state s;
  (void)s.transition_to_complete();
  s.ref_inc();
  BOOST_TEST((s.transition_to_notified_by_val(false) == wake_val::none));
  BOOST_TEST(!s.ref_dec());
  BOOST_TEST((s.transition_to_notified_by_val(false) == wake_val::none_dealloc));
}

BOOST_AUTO_TEST_CASE(wake_by_ref_of_a_closed_task_does_nothing) {
  task_state s;
  make_idle(s);
  s.close();
  const auto before = s.load().bits();
  BOOST_TEST((s.transition_to_notified_by_ref(false) == wake_ref::none));
  BOOST_TEST(s.load().bits() == before);
}

BOOST_AUTO_TEST_CASE(complete_alone_publishes_and_drops_the_runner_reference_in_one_step) {
  task_state s;
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_complete_alone() == alone::done));
  const task_snapshot w = s.load();
  BOOST_TEST(w.is_complete());
  BOOST_TEST(w.is_closed());
  BOOST_TEST(w.refs() == 1u);
  BOOST_TEST(s.is_complete_and_alone());  // the join handle may free it without an RMW
}

BOOST_AUTO_TEST_CASE(complete_alone_of_a_detached_task_says_dealloc) {
  task_state s;
  (void)s.drop_join_interest();
  BOOST_TEST(!s.ref_dec());
  BOOST_TEST((s.transition_to_running() == run::poll));
  BOOST_TEST((s.transition_to_complete_alone() == alone::done_dealloc));
}

BOOST_AUTO_TEST_CASE(complete_alone_defers_to_the_general_path_when_a_joiner_waits) {
  task_state s;
  BOOST_TEST(!s.set_join_waiting().is_complete());
  const auto before = s.load().bits();
  BOOST_TEST((s.transition_to_complete_alone() == alone::joiner_waiting));
  BOOST_TEST(s.load().bits() == before);
  const task_snapshot prev = s.transition_to_complete();
  BOOST_TEST(prev.has_join_interest());
  BOOST_TEST(prev.is_join_waiting());
  BOOST_TEST(!s.is_complete_and_alone());  // a registered waker: the handle takes the RMW path
}

BOOST_AUTO_TEST_CASE(a_cancel_after_completion_asks_for_nothing) {
  task_state s;
  (void)s.transition_to_complete();
  BOOST_TEST(!s.transition_to_cancelled());
}

BOOST_AUTO_TEST_CASE(the_join_handle_sees_a_completion_that_raced_its_announcement) {
  task_state s;
  (void)s.transition_to_complete();
  BOOST_TEST(s.set_join_waiting().is_complete());
  const task_snapshot prev = s.drop_join_interest();
  BOOST_TEST(prev.is_complete());
  BOOST_TEST(!s.load().has_join_interest());
}

BOOST_AUTO_TEST_CASE(wait_for_posters_returns_once_every_poster_left) {
  task_state s;
  make_idle(s);
  BOOST_TEST((s.transition_to_notified_by_ref(false) == wake_ref::submit));
  s.close();
  std::thread poster([&] { s.leave_posting(); });
  s.wait_for_posters();  // returns only after the poster left (or it would spin forever)
  poster.join();
  BOOST_TEST(!s.load().has_posters());
}

BOOST_AUTO_TEST_CASE(wakes_racing_a_runner_submit_exactly_one_runner_at_a_time_and_lose_no_wake) {
  // Three wakers (by reference and by value, from outside the context) race one runner that
  // polls whenever a runner was submitted. Invariants: never two runners; no wake is left
  // unserved at the end (a wake that found the task scheduled left `notified`, which the runner
  // turns into a repoll); the references and posting counts balance out.
  task_state s;
  std::atomic<int> runners{0};
  std::atomic<int> queued{1};  // the first runner
  std::atomic<int> wakes_done{0};
  std::atomic<bool> overlap{false};
  std::atomic<bool> freed_early{false};
  constexpr int wakers = 3;
  constexpr int wakes_each = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < wakers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1u);
      for (int i = 0; i < wakes_each; ++i) {
        if (rng() % 2 == 0) {
          if (s.transition_to_notified_by_ref(false) == wake_ref::submit) {
            queued.fetch_add(1);
            s.leave_posting();
          }
        } else {
          s.ref_inc();  // a clone, consumed by the wake
          switch (s.transition_to_notified_by_val(false)) {
            case wake_val::submit:
              queued.fetch_add(1);
              if (s.leave_posting_and_release()) freed_early = true;  // (no Boost.Test in threads)
              break;
            case wake_val::none_dealloc:
              freed_early = true;  // the handle's reference is held throughout: cannot be last
              break;
            case wake_val::none:
              break;
          }
        }
        wakes_done.fetch_add(1);
      }
    });
  }
  for (;;) {
    if (queued.load() == 0) {
      if (wakes_done.load() == wakers * wakes_each && queued.load() == 0) break;
      std::this_thread::yield();
      continue;
    }
    queued.fetch_sub(1);
    if (runners.fetch_add(1) != 0) overlap = true;
    BOOST_REQUIRE((s.transition_to_running() == run::poll));
    runners.fetch_sub(1);
    const idle r = s.transition_to_idle();
    if (r == idle::repoll) queued.fetch_add(1);
    BOOST_REQUIRE((r == idle::repoll || r == idle::idle));
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(!overlap.load());
  BOOST_TEST(!freed_early.load());
  BOOST_TEST(!s.load().is_scheduled());
  BOOST_TEST(!s.load().is_notified());
  BOOST_TEST(s.load().refs() == 1u);  // only the join handle's
  BOOST_TEST(!s.load().has_posters());
}

BOOST_AUTO_TEST_SUITE_END()
