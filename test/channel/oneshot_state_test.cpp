// detail::oneshot_state<T> and oneshot_receiver<T> on their own (futura/channel/detail/oneshot_state.hpp),
// the state behind promise<T> and from_callback<T>: one test per transition of the diagram at
// the top of that header.
//
//   result:  none --value | exception | broken--> set (final)
//   waker:   empty --receiver registers--> set --sender completes: takes it--> gone
//                                           set --receiver leaves: takes it back--> gone
//   owners:  tx_alive | rx_alive; whoever clears the last one deletes the state
//   from_callback: senders counted (add_sender / release_sender), the first claim completes
//
// Each test checks the wakes and the clones alive of the wakers involved (strict_waker: a
// clone dropped twice is caught), and that the state is freed: the value (tracked) and the
// exception (counted_error) the state holds are destroyed with it, and ASan reports a leaked
// or doubly freed state. The races run at fixed points in FUTURA_CHAOS builds (gates), and as a
// bounded multi-thread stress with exact accounting in every build.
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/channel/detail/oneshot_state.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace {

using futura::detail::oneshot_receiver;
using futura::detail::oneshot_state;
using futura_test::strict_waker;
using futura_test::tracked;

/// An exception that counts the objects of it alive (the state holds one through its
/// exception_ptr until it is freed).
struct counted_error : std::runtime_error {
  static inline std::atomic<int> alive{0};
  explicit counted_error(const char* what) : std::runtime_error(what) { ++alive; }
  counted_error(const counted_error& o) : std::runtime_error(o) { ++alive; }
  ~counted_error() override { --alive; }
};

#if FUTURA_HAS_EXCEPTIONS
/// A value whose construction throws.
struct throws_on_construction {
  explicit throws_on_construction(int) { throw counted_error("constructor failed"); }
};
#endif  // FUTURA_HAS_EXCEPTIONS

template <class T>
futura::poll_result<T> poll_with(oneshot_receiver<T>& rx, const strict_waker& target) {
  futura::waker w = target.make();
  return rx.poll(w);
}

#if FUTURA_HAS_EXCEPTIONS
bool is_broken(const futura::future_error& e) { return e.code() == futura::error::broken_promise; }
#endif  // FUTURA_HAS_EXCEPTIONS

struct reset_counts {
  reset_counts() {
    tracked::reset();
    counted_error::alive = 0;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(oneshot_state_protocol, reset_counts)

// ---- result: none -> set ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_value_set_before_the_first_poll_is_ready_at_once_and_no_waker_is_kept) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  s->complete_with_value(true, tracked(7));  // completes, and the sender leaves
  {
    auto r = poll_with(rx, a);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(r.take().value == 7);
  }
  BOOST_TEST(!rx.valid());  // the receiver let go with the result; it freed the state
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_value_set_after_a_pending_poll_wakes_the_registered_waker_once) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  BOOST_TEST(a.live_clones() == 1);  // empty -> set: the slot's clone
  s->complete_with_value(true, tracked(8));
  BOOST_TEST(a.wakes() == 1);        // set -> taken by the sender, woken
  BOOST_TEST(a.live_clones() == 0);  // and dropped with the wake
  {
    auto r = poll_with(rx, a);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(r.take().value == 8);
  }
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(a.underflows() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_set_before_the_first_poll_is_rethrown_and_freed_with_the_state) {
  strict_waker a;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  s->complete_with_exception(std::make_exception_ptr(counted_error("boom")), true);
  BOOST_TEST(counted_error::alive >= 1);
  BOOST_CHECK_THROW((void)poll_with(rx, a), counted_error);
  BOOST_TEST(!rx.valid());
  BOOST_TEST(counted_error::alive == 0);  // the state (and its exception_ptr) is gone
  BOOST_TEST(a.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(an_exception_set_after_a_pending_poll_wakes_once_then_is_rethrown) {
  strict_waker a;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  s->complete_with_exception(std::make_exception_ptr(counted_error("boom")), true);
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_CHECK_THROW((void)poll_with(rx, a), counted_error);
  BOOST_TEST(counted_error::alive == 0);
}

BOOST_AUTO_TEST_CASE(a_sender_leaving_without_a_result_breaks_the_receiver) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  s->complete_broken();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  try {
    (void)poll_with(rx, a);
    BOOST_ERROR("a broken state must throw");
  } catch (const futura::future_error& e) {
    BOOST_TEST(is_broken(e));
  }
  BOOST_TEST(!rx.valid());
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_sender_leaving_without_a_result_before_the_first_poll_breaks_it_at_once) {
  strict_waker a;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  s->complete_broken();
  BOOST_CHECK_THROW((void)poll_with(rx, a), futura::future_error);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(a_value_whose_constructor_throws_completes_with_that_exception) {
  strict_waker a;
  auto* s = new oneshot_state<throws_on_construction>();
  oneshot_receiver<throws_on_construction> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  s->complete_with_value(true, 1);
  BOOST_TEST(a.wakes() == 1);
  BOOST_CHECK_THROW((void)poll_with(rx, a), counted_error);
  BOOST_TEST(counted_error::alive == 0);
  BOOST_TEST(a.live_clones() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

// ---- waker: registration --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(registering_the_same_waker_again_costs_nothing) {
  // The word comes back unchanged (no CAS, no new generation) and no clone is made.
  strict_waker a;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  futura::waker w = a.make();
  const auto first = s->poll(w);
  BOOST_TEST(!oneshot_state<int>::is_complete(first));
  BOOST_TEST(a.live_clones() == 2);  // w and the slot's
  const auto again = s->poll(w);
  BOOST_TEST(again == first);
  BOOST_TEST(s->poll(a.make()) == first);  // another handle of the same target: the same
  BOOST_TEST(a.live_clones() == 2);
  s->complete_with_value(true, 1);
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 1);
  BOOST_TEST(futura_test::value_of(rx.poll(w)) == 1);
}

BOOST_AUTO_TEST_CASE(registering_another_waker_releases_the_first_and_completion_wakes_only_the_second) {
  strict_waker a, b;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  const auto with_a = s->poll(a.make());
  BOOST_TEST(a.live_clones() == 1);
  const auto with_b = s->poll(b.make());  // set -> taken back by the receiver -> set again
  BOOST_TEST(!oneshot_state<int>::is_complete(with_b));
  BOOST_TEST(with_b != with_a);  // a new registration: a new generation
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(b.live_clones() == 1);
  s->complete_with_value(true, 2);
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(b.wakes() == 1);
  BOOST_TEST(b.live_clones() == 0);
  BOOST_TEST(futura_test::value_of(poll_with(rx, b)) == 2);
  BOOST_TEST(a.underflows() + b.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(switching_back_and_forth_keeps_exactly_one_clone_in_the_slot) {
  strict_waker a, b;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  auto previous = s->poll(a.make());
  for (int i = 0; i < 100; ++i) {
    const auto next = s->poll((i % 2) == 0 ? b.make() : a.make());
    BOOST_TEST(next != previous);
    previous = next;
    BOOST_TEST(a.live_clones() + b.live_clones() == 1);
  }
  s->complete_with_value(true, 3);  // the slot holds a (100 switches: even)
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(b.wakes() == 0);
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)) == 3);
  BOOST_TEST(a.live_clones() + b.live_clones() == 0);
}

// ---- owners: who leaves first ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_receiver_leaving_while_registered_takes_its_waker_back_at_once) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  {
    oneshot_receiver<tracked> rx(s);
    BOOST_TEST(poll_with(rx, a).is_pending());
    BOOST_TEST(a.live_clones() == 1);
  }  // rx leaves: set -> taken back, and dropped now (it may own a task)
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.wakes() == 0);
  s->complete_with_value(true, tracked(1));  // the sender leaves last: it frees the state
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(a.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(the_receiver_leaving_before_any_poll_then_a_broken_sender_frees_the_state) {
  auto* s = new oneshot_state<tracked>();
  { oneshot_receiver<tracked> rx(s); }
  s->complete_broken();                   // ASan: freed exactly once
  BOOST_TEST(tracked::constructed == 0);  // no value was ever made
}

BOOST_AUTO_TEST_CASE(the_sender_leaving_first_then_the_receiver_dropping_unpolled_frees_the_value) {
  auto* s = new oneshot_state<tracked>();
  {
    oneshot_receiver<tracked> rx(s);
    s->complete_with_value(true, tracked(4));
    BOOST_TEST(tracked::alive() == 1);  // in the state, waiting for the receiver
  }
  BOOST_TEST(tracked::alive() == 0);  // the receiver left last and freed it
}

BOOST_AUTO_TEST_CASE(the_sender_leaving_first_after_a_pending_poll_then_the_receiver_dropping_frees_it) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  {
    oneshot_receiver<tracked> rx(s);
    BOOST_TEST(poll_with(rx, a).is_pending());
    s->complete_with_value(true, tracked(5));
    BOOST_TEST(a.wakes() == 1);
  }
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(a.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(a_sender_that_stays_after_completing_frees_the_state_when_it_leaves_last) {
  // from_callback's sender completes without leaving (complete_with_value(false, ...)); its
  // last release_sender leaves for it.
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  BOOST_TEST(s->try_claim());
  s->complete_with_value(false, tracked(6));
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)).value == 6);
  BOOST_TEST(!rx.valid());
  s->release_sender();  // the last owner: frees the state
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(a.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(a_sender_that_stays_and_leaves_before_the_receiver_takes_the_value) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(s->try_claim());
  s->complete_with_value(false, tracked(7));
  s->release_sender();  // tx leaves, rx still there: the state stays
  BOOST_TEST(tracked::alive() == 1);
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)).value == 7);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(the_receiver_leaving_before_a_staying_sender_completes_and_leaves) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  {
    oneshot_receiver<tracked> rx(s);
    BOOST_TEST(poll_with(rx, a).is_pending());
  }
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(s->try_claim());
  s->complete_with_value(false, tracked(8));
  BOOST_TEST(a.wakes() == 0);  // the waker went with the receiver
  BOOST_TEST(tracked::alive() == 1);
  s->release_sender();
  BOOST_TEST(tracked::alive() == 0);
}

// ---- from_callback: claims and senders ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(only_the_first_claim_wins) {
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  s->add_sender();
  BOOST_TEST(s->try_claim());
  BOOST_TEST(!s->try_claim());
  BOOST_TEST(!s->try_claim());
  s->complete_with_value(false, 1);
  s->release_sender();
  s->release_sender();
  strict_waker a;
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)) == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(the_last_sender_leaving_unclaimed_breaks_the_future_and_wakes_it) {
  strict_waker a;
  auto* s = new oneshot_state<int>();
  oneshot_receiver<int> rx(s);
  s->add_sender();
  s->add_sender();  // three senders
  BOOST_TEST(poll_with(rx, a).is_pending());
  s->release_sender();
  s->release_sender();
  BOOST_TEST(a.wakes() == 0);  // one sender left: nothing happens
  BOOST_TEST(poll_with(rx, a).is_pending());
  s->release_sender();  // the last: none -> broken, the waker taken and woken
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_CHECK_THROW((void)poll_with(rx, a), futura::future_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(the_last_sender_leaving_after_a_claim_does_not_break_the_value) {
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  s->add_sender();
  BOOST_TEST(poll_with(rx, a).is_pending());
  BOOST_TEST(s->try_claim());
  s->complete_with_value(false, tracked(9));
  s->release_sender();
  s->release_sender();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)).value == 9);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(the_last_sender_leaving_unclaimed_after_the_receiver_left_frees_the_state) {
  auto* s = new oneshot_state<tracked>();
  { oneshot_receiver<tracked> rx(s); }
  s->add_sender();
  s->release_sender();
  s->release_sender();  // broken and freed (ASan)
  BOOST_TEST(tracked::constructed == 0);
}

// ---- races at a fixed point (chaos builds) --------------------------------------------------

#if FUTURA_CHAOS_ENABLED

BOOST_AUTO_TEST_CASE(a_sender_that_read_the_slot_while_the_receiver_rewrote_it_wakes_only_the_new_waker) {
  // The sender read A from the slot and is about to CAS; the receiver takes the slot back,
  // drops A, stores B and bumps the generation: the sender's CAS fails, it reads again and
  // takes B. A is never woken, never dropped twice.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& before_cas = gates.add("oneshot.complete.before_cas");
  strict_waker a, b;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  futura_test::joining_thread sender([&] {
    before_cas.bind_this_thread();
    s->complete_with_value(true, tracked(1));
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(before_cas), "oneshot.complete.before_cas never reached");
  BOOST_TEST(poll_with(rx, b).is_pending());  // re-registers under the sender's nose
  BOOST_TEST(a.live_clones() == 0);
  before_cas.open();
  sender.join();
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(b.wakes() == 1);
  BOOST_TEST(futura_test::value_of(poll_with(rx, b)).value == 1);
  BOOST_TEST(a.live_clones() + b.live_clones() == 0);
  BOOST_TEST(a.underflows() + b.underflows() == 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_receiver_leaving_while_the_sender_completes_releases_its_waker_once) {
  // The receiver read its waker to take it back; the sender's CAS comes first and takes it
  // (and wakes it). The receiver's CAS fails, it sees the result, and frees the state (the
  // sender has left). The waker is dropped once, by the sender's wake.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& slot_read = gates.add("oneshot.leave_receiver.slot_read");
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  std::optional<oneshot_receiver<tracked>> rx(std::in_place, s);
  BOOST_TEST(poll_with(*rx, a).is_pending());
  futura_test::joining_thread leaving([&] {
    slot_read.bind_this_thread();
    rx.reset();
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(slot_read), "oneshot.leave_receiver.slot_read never reached");
  s->complete_with_value(true, tracked(2));
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  slot_read.open();
  leaving.join();
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.underflows() == 0);
  BOOST_TEST(tracked::alive() == 0);  // the receiver freed the state with the value
}

BOOST_AUTO_TEST_CASE(a_completion_landing_after_the_receiver_took_the_slot_back_is_seen_by_that_poll) {
  // The receiver cleared waker_set to rewrite the slot; the sender completes and finds no
  // waker; the receiver's poll then sees the result, drops the clone it was storing, and
  // returns ready in the same poll (rule 3: nothing is lost, nothing leaks).
  futura_test::chaos_gates gates;
  strict_waker a, b;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());  // (passes the point itself: armed only after)
  futura_test::chaos_gate& taken = gates.add("oneshot.register.slot_taken");
  std::optional<futura::poll_result<tracked>> r;
  futura_test::joining_thread receiver([&] {
    taken.bind_this_thread();
    r.emplace(poll_with(rx, b));
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(taken), "oneshot.register.slot_taken never reached");
  s->complete_with_value(true, tracked(3));
  taken.open();
  receiver.join();
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE(r->is_ready());
  BOOST_TEST(r->take().value == 3);
  r.reset();
  BOOST_TEST(a.wakes() + b.wakes() == 0);  // the sender found no waker to wake
  BOOST_TEST(a.live_clones() + b.live_clones() == 0);
  BOOST_TEST(a.underflows() + b.underflows() == 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_completion_landing_after_the_slot_was_written_but_not_published_is_seen_by_that_poll) {
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& written = gates.add("oneshot.register.slot_written");
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  std::optional<futura::poll_result<tracked>> r;
  futura_test::joining_thread receiver([&] {
    written.bind_this_thread();
    r.emplace(poll_with(rx, a));  // empty -> (slot written) ... -> set, interrupted
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(written), "oneshot.register.slot_written never reached");
  s->complete_with_value(true, tracked(4));  // waker_set is clear: the sender takes nothing
  written.open();
  receiver.join();
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE(r->is_ready());
  BOOST_TEST(r->take().value == 4);
  r.reset();
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(the_receiver_freeing_the_state_while_the_sender_is_still_waking_is_safe) {
  // After its CAS the sender touches only the waker it took: the receiver may take the value
  // and free the state before the sender's wake runs (ASan checks the sender touches no
  // freed memory).
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& published = gates.add("oneshot.complete.published");
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  oneshot_receiver<tracked> rx(s);
  BOOST_TEST(poll_with(rx, a).is_pending());
  futura_test::joining_thread sender([&] {
    published.bind_this_thread();
    s->complete_with_value(true, tracked(5));
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(published), "oneshot.complete.published never reached");
  BOOST_TEST(futura_test::value_of(poll_with(rx, a)).value == 5);  // frees the state
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(a.live_clones() == 1);  // still in the sender's hands
  published.open();
  sender.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(the_last_sender_leaving_while_the_receiver_leaves_frees_the_state_once) {
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& last = gates.add("oneshot.release_sender.last");
  strict_waker a;
  auto* s = new oneshot_state<tracked>();
  std::optional<oneshot_receiver<tracked>> rx(std::in_place, s);
  BOOST_TEST(poll_with(*rx, a).is_pending());
  futura_test::joining_thread sender([&] {
    last.bind_this_thread();
    s->release_sender();  // unclaimed: about to break the future
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(last), "oneshot.release_sender.last never reached");
  rx.reset();  // the receiver leaves first: takes its waker back
  BOOST_TEST(a.live_clones() == 0);
  last.open();
  sender.join();  // broken, and the sender frees the state (ASan: once)
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(a.underflows() == 0);
}

#endif  // FUTURA_CHAOS_ENABLED

// ---- the same races as a bounded stress (every build) ------------------------------------------

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(completion_racing_re_registration_and_leaving_delivers_once_and_leaks_nothing) {
  // Sender: value, exception or broken (a promise: it leaves as it completes). Receiver: one to
  // three polls switching between A and B, then maybe leaving. After the round: if the receiver
  // is still there and its last poll was pending, the waker of that poll was woken (no lost
  // wakeup) and the next poll completes; the value is received at most once and destroyed
  // exactly once; no clone is left or dropped twice.
  const futura_test::stress_seed seed("oneshot.complete_vs_register_vs_leave");
  const long n = futura_test::rounds(30000, 15000);
  futura_test::thread_team team(2);
  strict_waker a, b;
  for (long r = 0; r < n; ++r) {
    auto g = seed.round(r);
    const int outcome = futura_test::pick(g, 0, 2);  // value, exception, broken
    const int polls = futura_test::pick(g, 1, 3);
    const bool leave = futura_test::chance(g, 30);
    const int skew_tx = futura_test::pick(g, 0, 300), skew_rx = futura_test::pick(g, 0, 300);
    auto* s = new oneshot_state<tracked>();
    std::optional<oneshot_receiver<tracked>> rx(std::in_place, s);
    int received = 0;
    bool threw = false;
    bool last_pending = false;
    strict_waker* last_waker = nullptr;
    int last_wakes_before = 0;
    team.run({[&] {
                futura_test::spin_for(skew_tx);
                if (outcome == 0) {
                  s->complete_with_value(true, tracked(static_cast<int>(r)));
                } else if (outcome == 1) {
                  s->complete_with_exception(std::make_exception_ptr(counted_error("stress")), true);
                } else {
                  s->complete_broken();
                }
              },
              [&] {
                futura_test::spin_for(skew_rx);
                for (int i = 0; i < polls && rx->valid(); ++i) {
                  strict_waker& x = ((r + i) % 2) == 0 ? a : b;
                  last_waker = &x;
                  last_wakes_before = x.wakes();
                  try {
                    auto p = poll_with(*rx, x);
                    last_pending = p.is_pending();
                    if (p.is_ready() && p.take().value == static_cast<int>(r)) ++received;
                  } catch (...) {
                    threw = true;
                    last_pending = false;
                  }
                }
                if (leave) rx.reset();
              }});
    bool lost_wakeup = false;
    if (rx && rx->valid()) {
      if (last_pending && last_waker && last_waker->wakes() == last_wakes_before) lost_wakeup = true;
      try {
        auto p = poll_with(*rx, a);
        if (p.is_pending()) lost_wakeup = true;
        if (p.is_ready() && p.take().value == static_cast<int>(r)) ++received;
      } catch (...) {
        threw = true;
      }
    }
    rx.reset();
    const bool delivered_ok =
        (outcome == 0) ? (received <= 1 && !threw && (leave || received == 1)) : (received == 0 && (leave || threw));
    if (lost_wakeup || !delivered_ok || tracked::alive() != 0 || counted_error::alive != 0 || a.live_clones() != 0 ||
        b.live_clones() != 0) {
      BOOST_TEST_CONTEXT(seed.describe(r)
                         << ": outcome " << outcome << ", polls " << polls << (leave ? ", leaves" : "")) {
        BOOST_TEST(!lost_wakeup);
        BOOST_TEST(delivered_ok);
        BOOST_TEST(tracked::alive() == 0);
        BOOST_TEST(counted_error::alive == 0);
        BOOST_TEST(a.live_clones() == 0);
        BOOST_TEST(b.live_clones() == 0);
      }
      break;
    }
  }
  BOOST_TEST(a.underflows() + b.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(two_callback_senders_racing_each_other_and_the_receiver_complete_it_once) {
  // from_callback's protocol: two senders each claim-and-complete or release; the receiver
  // polls, switches wakers, or leaves. Exactly one value reaches a receiver that stays, or it
  // is broken when neither sender completed; every value made is destroyed once.
  const futura_test::stress_seed seed("oneshot.two_senders_vs_receiver");
  const long n = futura_test::rounds(30000, 15000);
  futura_test::thread_team team(3);
  strict_waker a, b;
  for (long r = 0; r < n; ++r) {
    auto g = seed.round(r);
    const bool first_calls = futura_test::chance(g, 60), second_calls = futura_test::chance(g, 60);
    const bool leave = futura_test::chance(g, 25);
    const int polls = futura_test::pick(g, 1, 3);
    const int s0 = futura_test::pick(g, 0, 300), s1 = futura_test::pick(g, 0, 300), s2 = futura_test::pick(g, 0, 300);
    auto* s = new oneshot_state<tracked>();
    s->add_sender();  // two senders
    std::optional<oneshot_receiver<tracked>> rx(std::in_place, s);
    int received = -1;
    bool broken = false;
    auto sender = [&](bool calls, int value, int skew) {
      return [&, calls, value, skew] {
        futura_test::spin_for(skew);
        if (calls && s->try_claim()) s->complete_with_value(false, tracked(value));
        s->release_sender();
      };
    };
    auto poll_once = [&](strict_waker& x) {
      try {
        auto p = poll_with(*rx, x);
        if (p.is_ready()) received = p.take().value;
      } catch (const futura::future_error&) {
        broken = true;
      }
    };
    team.run({sender(first_calls, 1, s0), sender(second_calls, 2, s1), [&] {
                futura_test::spin_for(s2);
                for (int i = 0; i < polls && rx->valid(); ++i) poll_once(((r + i) % 2) == 0 ? a : b);
                if (leave) rx.reset();
              }});
    if (rx && rx->valid()) poll_once(a);
    const bool stayed = !leave;
    bool ok = true;
    if (stayed) {
      if (first_calls || second_calls) {
        ok = !broken && ((received == 1 && first_calls) || (received == 2 && second_calls));
      } else {
        ok = broken && received == -1;
      }
    }
    rx.reset();
    if (!ok || tracked::alive() != 0 || a.live_clones() != 0 || b.live_clones() != 0) {
      BOOST_TEST_CONTEXT(seed.describe(r) << ": calls " << first_calls << second_calls << (leave ? ", leaves" : "")) {
        BOOST_TEST(ok, "received " << received << (broken ? ", broken" : ""));
        BOOST_TEST(tracked::alive() == 0);
        BOOST_TEST(a.live_clones() == 0);
        BOOST_TEST(b.live_clones() == 0);
      }
      break;
    }
  }
  BOOST_TEST(a.underflows() + b.underflows() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_SUITE_END()
