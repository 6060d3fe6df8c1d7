// detail::atomic_waker on its own (futura/core/detail/atomic_waker.hpp): the slot behind a join
// handle's waker, the protocol of futures-rs's AtomicWaker.
//
//   waiting --register--> registering --done--> waiting
//   waiting --wake/take--> waking --taken--> waiting
//   registering --wake lands--> registering|waking: the registrar wakes what it stored
//   waking --register lands--> the registrar wakes its own waker at once (it cannot store it)
//
// Sequences of operations on one thread are checked against a model of the slot, every order
// up to five operations long. The races are checked two ways: in FUTURA_CHAOS builds a gate
// stops one thread at a named point of the protocol so the other lands exactly in the window;
// in every build the same races run as a bounded two-thread stress with exact accounting (each
// wake reaches the registered waker exactly once, or the waker is still registered: never
// both, never neither; no clone leaks, none is dropped twice).
#include <support/chaos_gate.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/core/detail/atomic_waker.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using futura::detail::atomic_waker;
using futura_test::strict_waker;

// ---- the model ----------------------------------------------------------------------------

enum class op { register_a, register_b, wake, take_and_drop, take_and_wake };
constexpr std::array<op, 5> all_ops{op::register_a, op::register_b, op::wake, op::take_and_drop, op::take_and_wake};

const char* name(op o) {
  switch (o) {
    case op::register_a:
      return "register(A)";
    case op::register_b:
      return "register(B)";
    case op::wake:
      return "wake()";
    case op::take_and_drop:
      return "take() then drop";
    case op::take_and_wake:
      return "take() then wake";
  }
  return "?";
}

/// What the slot should hold and how often each waker should have been woken.
struct model {
  int slot = -1;  // -1 empty, 0 A, 1 B
  std::array<int, 2> wakes{0, 0};

  void apply(op o) {
    switch (o) {
      case op::register_a:
        slot = 0;
        break;
      case op::register_b:
        slot = 1;
        break;
      case op::wake:
      case op::take_and_wake:
        if (slot >= 0) ++wakes[static_cast<std::size_t>(slot)];
        slot = -1;
        break;
      case op::take_and_drop:
        slot = -1;
        break;
    }
  }
};

std::string describe(const std::vector<op>& seq, std::size_t upto) {
  std::ostringstream s;
  for (std::size_t i = 0; i <= upto && i < seq.size(); ++i) s << (i ? ", " : "") << name(seq[i]);
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(atomic_waker_protocol)

// ---- one thread ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_new_slot_wakes_nothing_and_takes_a_noop_waker) {
  atomic_waker slot;
  slot.wake();
  futura::waker taken = slot.take();
  BOOST_TEST(taken.is_noop());
}

BOOST_AUTO_TEST_CASE(register_then_wake_wakes_the_registered_waker_once_and_empties_the_slot) {
  strict_waker a;
  atomic_waker slot;
  slot.register_waker(a.make());
  BOOST_TEST(a.live_clones() == 1);  // the slot's clone (the temporary is gone)
  slot.wake();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);  // woken and dropped in one step
  slot.wake();
  BOOST_TEST(a.wakes() == 1);  // empty now
  BOOST_TEST(a.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(register_then_take_hands_the_registered_waker_over_unwoken) {
  strict_waker a;
  atomic_waker slot;
  slot.register_waker(a.make());
  futura::waker taken = slot.take();
  BOOST_TEST(a.is_target_of(taken));
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(a.live_clones() == 1);  // now ours
  BOOST_TEST(slot.take().is_noop());
  taken = futura::waker();
  BOOST_TEST(a.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(registering_the_same_waker_again_clones_nothing) {
  strict_waker a;
  atomic_waker slot;
  futura::waker w = a.make();
  slot.register_waker(w);
  slot.register_waker(w);
  slot.register_waker(a.make());
  BOOST_TEST(a.live_clones() == 2);  // w and the slot's one clone
  slot.wake();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(registering_another_waker_releases_the_first_and_only_the_second_is_woken) {
  strict_waker a, b;
  atomic_waker slot;
  slot.register_waker(a.make());
  slot.register_waker(b.make());
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(b.live_clones() == 1);
  slot.wake();
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(b.wakes() == 1);
  BOOST_TEST(b.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(a_wake_before_any_register_is_not_remembered) {
  // As futures-rs's AtomicWaker: a wake with nothing registered has no one to reach; the
  // consumer checks its condition after registering (rule 3), so nothing is lost.
  strict_waker a;
  atomic_waker slot;
  slot.wake();
  slot.register_waker(a.make());
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(a.live_clones() == 1);
  slot.take();
  BOOST_TEST(a.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(every_sequence_of_up_to_five_operations_matches_the_model) {
  // 5 + 25 + ... + 3125 sequences of register(A|B), wake, take: after every step the wakes
  // and the clones alive are exactly the model's.
  std::vector<op> seq;
  long sequences = 0;
  for (std::size_t length = 1; length <= 5; ++length) {
    std::vector<std::size_t> digits(length, 0);
    for (;;) {
      seq.clear();
      for (std::size_t d : digits) seq.push_back(all_ops[d]);
      strict_waker a, b;
      {
        atomic_waker slot;
        model m;
        for (std::size_t i = 0; i < seq.size(); ++i) {
          switch (seq[i]) {
            case op::register_a:
              slot.register_waker(a.make());
              break;
            case op::register_b:
              slot.register_waker(b.make());
              break;
            case op::wake:
              slot.wake();
              break;
            case op::take_and_drop:
              slot.take();
              break;
            case op::take_and_wake:
              slot.take().wake();
              break;
          }
          m.apply(seq[i]);
          BOOST_TEST_CONTEXT("after " << describe(seq, i)) {
            BOOST_TEST(a.wakes() == m.wakes[0]);
            BOOST_TEST(b.wakes() == m.wakes[1]);
            BOOST_TEST(a.live_clones() == (m.slot == 0 ? 1 : 0));
            BOOST_TEST(b.live_clones() == (m.slot == 1 ? 1 : 0));
          }
        }
      }  // the slot's destruction releases what it holds
      BOOST_TEST_CONTEXT("after destroying the slot: " << describe(seq, seq.size())) {
        BOOST_TEST(a.live_clones() == 0);
        BOOST_TEST(b.live_clones() == 0);
        BOOST_TEST(a.underflows() + b.underflows() == 0);
      }
      ++sequences;
      std::size_t k = 0;
      while (k < length && ++digits[k] == all_ops.size()) digits[k++] = 0;
      if (k == length) break;
    }
  }
  BOOST_TEST(sequences == 5 + 25 + 125 + 625 + 3125);
}

// ---- races at a fixed point (chaos builds) --------------------------------------------------

#if FUTURA_CHAOS_ENABLED

BOOST_AUTO_TEST_CASE(a_wake_landing_during_register_is_delivered_by_the_registrar) {
  // registering --wake--> registering|waking: the wake does not touch the slot; the registrar's
  // closing CAS fails, and it wakes the waker it just stored.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& stored = gates.add("atomic_waker.register.stored");
  strict_waker a;
  atomic_waker slot;
  futura_test::joining_thread registrar([&] {
    stored.bind_this_thread();
    slot.register_waker(a.make());
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(stored), "atomic_waker.register.stored never reached");
  slot.wake();                 // lands in the window
  BOOST_TEST(a.wakes() == 0);  // the wake left the waking to the registrar
  stored.open();
  registrar.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);  // woken and dropped: the slot is empty
  BOOST_TEST(slot.take().is_noop());
  BOOST_TEST(a.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_take_landing_during_register_gets_nothing_and_the_registrar_wakes_its_waker) {
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& stored = gates.add("atomic_waker.register.stored");
  strict_waker a;
  atomic_waker slot;
  futura_test::joining_thread registrar([&] {
    stored.bind_this_thread();
    slot.register_waker(a.make());
  });
  BOOST_REQUIRE(futura_test::reached_within(stored));
  futura::waker taken = slot.take();
  BOOST_TEST(taken.is_noop());  // a register holds the slot: the take leaves it to the registrar
  stored.open();
  registrar.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_wake_landing_while_the_registrar_delivers_a_missed_wake_is_not_delivered_twice) {
  // The registrar took the slot's waker to wake it (woken_meanwhile): another wake landing now
  // finds the slot busy and does nothing; the one wake is delivered once, no clone is lost.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& stored = gates.add("atomic_waker.register.stored");
  futura_test::chaos_gate& delivering = gates.add("atomic_waker.register.woken_meanwhile");
  strict_waker a;
  atomic_waker slot;
  futura_test::joining_thread registrar([&] {
    stored.bind_this_thread();
    delivering.bind_this_thread();
    slot.register_waker(a.make());
  });
  BOOST_REQUIRE(futura_test::reached_within(stored));
  slot.wake();
  stored.open();
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(delivering), "atomic_waker.register.woken_meanwhile never reached");
  slot.wake();
  BOOST_TEST(slot.take().is_noop());
  BOOST_TEST(a.wakes() == 0);
  delivering.open();
  registrar.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(a.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_register_landing_during_a_wake_wakes_the_new_waker_at_once) {
  // waking --register--> the registrar cannot store its waker: it wakes it directly (its owner
  // polls again and registers then); the wake in progress wakes the old one.
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& taken = gates.add("atomic_waker.take.taken");
  strict_waker a, b;
  atomic_waker slot;
  slot.register_waker(a.make());
  futura_test::joining_thread waking([&] {
    taken.bind_this_thread();
    slot.wake();
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(taken), "atomic_waker.take.taken never reached");
  slot.register_waker(b.make());
  BOOST_TEST(b.wakes() == 1);        // woken at once
  BOOST_TEST(b.live_clones() == 0);  // not stored
  BOOST_TEST(a.wakes() == 0);        // still in the waking thread's hands
  taken.open();
  waking.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(slot.take().is_noop());
  BOOST_TEST(a.underflows() + b.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_second_wake_landing_during_a_wake_does_nothing) {
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& taken = gates.add("atomic_waker.take.taken");
  strict_waker a;
  atomic_waker slot;
  slot.register_waker(a.make());
  futura_test::joining_thread waking([&] {
    taken.bind_this_thread();
    slot.wake();
  });
  BOOST_REQUIRE(futura_test::reached_within(taken));
  slot.wake();
  BOOST_TEST(slot.take().is_noop());
  BOOST_TEST(a.wakes() == 0);
  taken.open();
  waking.join();
  BOOST_TEST(a.wakes() == 1);
  BOOST_TEST(a.live_clones() == 0);
  // The slot works as before afterwards.
  slot.register_waker(a.make());
  slot.wake();
  BOOST_TEST(a.wakes() == 2);
  BOOST_TEST(a.live_clones() == 0);
}

#endif  // FUTURA_CHAOS_ENABLED

// ---- the same races as a bounded stress (every build) ------------------------------------------

BOOST_AUTO_TEST_CASE(register_racing_a_wake_or_a_take_accounts_for_every_wakeup_exactly_once) {
  // One thread registers X (A or B, alternating with what is registered), the other wakes or
  // takes, at random offsets. Whatever the interleaving, exactly one of these holds: X was woken
  // (by the wake, or by the registrar on the wake's behalf), X was taken by the taker, or X is
  // still registered. Never two, never none; and every clone is released exactly once.
  const futura_test::stress_seed seed("atomic_waker.register_racing_wake_or_take");
  const long n = futura_test::rounds(30000, 15000);
  futura_test::thread_team team(2);
  strict_waker a, b;
  atomic_waker slot;
  long registrar_woke = 0, taken_back = 0, still_registered = 0;
  for (long r = 0; r < n; ++r) {
    auto g = seed.round(r);
    const bool use_a = (r % 2) == 0;
    const bool by_take = futura_test::chance(g, 40);
    const int skew_register = futura_test::pick(g, 0, 200);
    const int skew_other = futura_test::pick(g, 0, 200);
    strict_waker& x = use_a ? a : b;
    const int wakes_before = x.wakes();
    bool took_x = false;
    bool took_other = false;
    team.run({[&] {
                futura_test::spin_for(skew_register);
                slot.register_waker(x.make());
              },
              [&] {
                futura_test::spin_for(skew_other);
                if (by_take) {
                  futura::waker t = slot.take();
                  took_x = x.is_target_of(t);
                  took_other = !t.is_noop() && !took_x;
                } else {
                  slot.wake();
                }
              }});
    futura::waker left = slot.take();
    const bool registered = x.is_target_of(left);
    const int woken = x.wakes() - wakes_before;
    const int outcomes = woken + (took_x ? 1 : 0) + (registered ? 1 : 0);
    if (outcomes != 1 || took_other || (!left.is_noop() && !registered)) {
      BOOST_TEST_CONTEXT(seed.describe(r) << (by_take ? ": register vs take" : ": register vs wake")) {
        BOOST_TEST(outcomes == 1);
        BOOST_TEST(woken <= 1);
        BOOST_TEST(!took_other);  // the slot was empty before the round
        BOOST_TEST((left.is_noop() || registered));
      }
      break;
    }
    registrar_woke += woken;
    taken_back += took_x ? 1 : 0;
    still_registered += registered ? 1 : 0;
  }
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(b.live_clones() == 0);
  BOOST_TEST(a.underflows() + b.underflows() == 0);
  BOOST_TEST_MESSAGE("woken " << registrar_woke << ", taken " << taken_back << ", left registered "
                              << still_registered);
}

BOOST_AUTO_TEST_CASE(a_consumer_that_registers_then_checks_never_misses_a_producer_that_sets_then_wakes) {
  // The pattern every future follows (rule 3): the consumer registers its waker and then checks
  // its condition; the producer sets the condition and then wakes. If the check misses the
  // value, the wake must reach the waker just registered.
  const futura_test::stress_seed seed("atomic_waker.no_lost_wakeup");
  const long n = futura_test::rounds(30000, 15000);
  futura_test::thread_team team(2);
  strict_waker a, b;
  atomic_waker slot;
  std::atomic<long> flag{-1};
  futura_test::failure_log failures;
  long missed_then_woken = 0;
  for (long r = 0; r < n && failures.empty(); ++r) {
    auto g = seed.round(r);
    strict_waker& x = (r % 2) == 0 ? a : b;
    const int skew_consumer = futura_test::pick(g, 0, 300);
    const int skew_producer = futura_test::pick(g, 0, 300);
    bool missed = false;
    team.run({[&] {
                futura_test::spin_for(skew_consumer);
                const int before = x.wakes();
                slot.register_waker(x.make());
                if (flag.load(std::memory_order_acquire) >= r) return;  // saw the value
                missed = true;
                if (!futura_test::wait_until([&] { return x.wakes() > before; }, 20)) {
                  failures.add(seed.describe(r) + ": the check missed the value and the wake never came");
                }
              },
              [&] {
                futura_test::spin_for(skew_producer);
                flag.store(r, std::memory_order_release);
                slot.wake();
              }});
    if (missed) ++missed_then_woken;
    slot.take();  // a wake that came before the register left the waker registered
  }
  failures.report();
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(b.live_clones() == 0);
  BOOST_TEST(a.underflows() + b.underflows() == 0);
  BOOST_TEST_MESSAGE(missed_then_woken << " rounds delivered by the wake");
}

BOOST_AUTO_TEST_CASE(a_waker_switch_racing_wakes_from_two_threads_leaks_nothing) {
  // The consumer switches between A and B while two producers wake: clones alive at the end
  // are zero, none dropped twice; each wake delivers at most one wakeup.
  const futura_test::stress_seed seed("atomic_waker.switch_vs_two_wakers");
  const long n = futura_test::rounds(15000, 8000);
  futura_test::thread_team team(3);
  strict_waker a, b;
  atomic_waker slot;
  for (long r = 0; r < n; ++r) {
    auto g = seed.round(r);
    const int k = futura_test::pick(g, 1, 4);
    const int s1 = futura_test::pick(g, 0, 200), s2 = futura_test::pick(g, 0, 200);
    const int wakes_before = a.wakes() + b.wakes();
    team.run({[&] {
                for (int i = 0; i < k; ++i) slot.register_waker(((r + i) % 2) == 0 ? a.make() : b.make());
              },
              [&] {
                futura_test::spin_for(s1);
                slot.wake();
              },
              [&] {
                futura_test::spin_for(s2);
                slot.take().wake();
              }});
    slot.take();
    const int delivered = a.wakes() + b.wakes() - wakes_before;
    // Two wakes, plus the direct wakes of registers that landed during a wake (at most k).
    if (delivered > 2 + k || a.live_clones() != 0 || b.live_clones() != 0) {
      BOOST_TEST_CONTEXT(seed.describe(r)) {
        BOOST_TEST(delivered <= 2 + k);
        BOOST_TEST(a.live_clones() == 0);
        BOOST_TEST(b.live_clones() == 0);
      }
      break;
    }
  }
  BOOST_TEST(a.underflows() + b.underflows() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
