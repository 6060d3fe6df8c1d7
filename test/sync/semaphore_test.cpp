// The semaphore: first its shared core, detail::semaphore_state and semaphore_acquisition (the
// word's fast paths, FIFO hand-out with set-aside permits, drops, close, wakes outside the lock,
// node pooling, races between a release and a poll), then the public futura::semaphore.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/executor_support.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/executor/block_on.hpp>
#include <futura/sync/detail/semaphore_state.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

using namespace futura_test;
using futura::detail::semaphore_acquisition;
using futura::detail::semaphore_state;

namespace {

using acquire_poll = futura::poll_result<boost::system::error_code>;

bool ready_ok(const acquire_poll& r) { return r.is_ready() && !r.value(); }
bool ready_closed(const acquire_poll& r) { return r.is_ready() && r.value() == futura::error::closed; }

/// An acquisition polled once with a waker of its own strict_waker: pending, waiting in the queue.
struct waiting_acquisition {
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition acq;
  waiting_acquisition(semaphore_state& s, std::size_t k) : acq(s, k) { BOOST_TEST(acq.poll(w).is_pending()); }
  acquire_poll poll() { return acq.poll(w); }
};

/// A future around an acquisition, for block_on.
struct acquire_future {
  using output_type = boost::system::error_code;
  semaphore_acquisition acq;
  acquire_future(semaphore_state& s, std::size_t k) : acq(s, k) {}
  acquire_poll poll(futura::waker& w) { return acq.poll(w); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(semaphore_state_suite)

BOOST_AUTO_TEST_CASE(counts_permits_taken_given_back_added_and_forgotten) {
  semaphore_state s(3);
  BOOST_TEST(s.available() == 3u);
  BOOST_TEST(s.total() == 3u);
  BOOST_TEST(s.try_acquire(2));
  BOOST_TEST(!s.try_acquire(2));
  BOOST_TEST(s.available() == 1u);
  s.give_back(1);
  BOOST_TEST(s.available() == 2u);
  BOOST_TEST(s.total() == 3u);
  s.add(4);
  BOOST_TEST(s.available() == 6u);
  BOOST_TEST(s.total() == 7u);
  BOOST_TEST(s.try_acquire(6));
  s.forget(6);
  BOOST_TEST(s.available() == 0u);
  BOOST_TEST(s.total() == 1u);
  BOOST_TEST(!s.try_acquire(1));
  BOOST_TEST(s.try_acquire(0));  // nothing to take
}

BOOST_AUTO_TEST_CASE(an_acquisition_does_nothing_before_its_first_poll_and_takes_at_once_when_it_can) {
  semaphore_state s(2);
  strict_waker target;
  futura::waker w = target.make();
  {
    semaphore_acquisition acq(s, 2);
    BOOST_TEST(s.available() == 2u);  // lazy
    BOOST_TEST(ready_ok(acq.poll(w)));
    BOOST_TEST(s.available() == 0u);
    BOOST_TEST(!acq.is_active());
  }
  BOOST_TEST(s.available() == 0u);  // the finished acquisition's permits are the caller's now
  s.give_back(2);
  semaphore_acquisition zero(s, 0);
  BOOST_TEST(ready_ok(zero.poll(w)));
  BOOST_TEST(s.available() == 2u);
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(target.live_clones() == 1);  // nobody kept a clone
}

BOOST_AUTO_TEST_CASE(a_large_waiter_is_not_overtaken_by_later_small_ones) {
  semaphore_state s(2);
  BOOST_TEST(s.try_acquire(2));
  waiting_acquisition large(s, 3);
  waiting_acquisition small(s, 1);
  BOOST_TEST(!s.try_acquire(1));  // someone waits: the fast path steps aside

  s.give_back(1);  // set aside for `large`, which still misses 2
  BOOST_TEST(s.available() == 0u);
  BOOST_TEST(large.target.wakes() == 0);
  BOOST_TEST(small.target.wakes() == 0);
  BOOST_TEST(large.poll().is_pending());
  BOOST_TEST(small.poll().is_pending());

  s.give_back(1);  // 2 of 3 set aside
  BOOST_TEST(large.target.wakes() == 0);
  s.add(1);  // complete: woken once, and the small one still waits behind it
  BOOST_TEST(large.target.wakes() == 1);
  BOOST_TEST(small.target.wakes() == 0);
  BOOST_TEST(!s.try_acquire(1));
  BOOST_TEST(ready_ok(large.poll()));
  BOOST_TEST(s.total() == 3u);

  s.give_back(3);  // the large one's permits: 1 to the small one, 2 to the word
  BOOST_TEST(small.target.wakes() == 1);
  BOOST_TEST(ready_ok(small.poll()));
  BOOST_TEST(s.available() == 2u);
  BOOST_TEST(s.try_acquire(2));
  BOOST_TEST(large.target.live_clones() == 1);  // the state kept no clone once it woke
  BOOST_TEST(small.target.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(waiters_are_granted_in_the_order_they_queued) {
  semaphore_state s(0);
  std::vector<std::unique_ptr<waiting_acquisition>> waiters;
  const std::size_t sizes[] = {2, 1, 3, 1, 1};
  for (std::size_t k : sizes) waiters.push_back(std::make_unique<waiting_acquisition>(s, k));
  std::size_t granted = 0;
  for (int step = 0; step < 8; ++step) {
    s.give_back(1);
    // Exactly the waiters whose cumulative need is covered by the permits given so far are woken.
    std::size_t covered = 0;
    std::size_t need = 0;
    for (std::size_t k : sizes) {
      need += k;
      if (need <= static_cast<std::size_t>(step + 1)) ++covered;
    }
    for (std::size_t i = 0; i < waiters.size(); ++i) {
      BOOST_TEST(waiters[i]->target.wakes() == (i < covered ? 1 : 0));
    }
    granted = covered;
  }
  BOOST_TEST(granted == waiters.size());
  for (auto& w : waiters) BOOST_TEST(ready_ok(w->poll()));
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(one_release_completes_more_waiters_than_a_wake_batch_each_woken_once) {
  constexpr std::size_t n = 50;  // more than the state's wake batch: the release drops the lock between batches
  semaphore_state s(0);
  std::vector<std::unique_ptr<waiting_acquisition>> waiters;
  for (std::size_t i = 0; i < n; ++i) waiters.push_back(std::make_unique<waiting_acquisition>(s, 1));
  s.give_back(n + 3);
  for (auto& w : waiters) {
    BOOST_TEST(w->target.wakes() == 1);
    BOOST_TEST(ready_ok(w->poll()));
  }
  BOOST_TEST(s.available() == 3u);
  BOOST_TEST(s.try_acquire(3));
}

BOOST_AUTO_TEST_CASE(a_dropped_waiter_hands_what_was_set_aside_to_the_next_ones) {
  semaphore_state s(0);
  auto first = std::make_unique<waiting_acquisition>(s, 3);
  waiting_acquisition second(s, 1);
  waiting_acquisition third(s, 1);
  s.give_back(2);  // set aside for `first`
  BOOST_TEST(s.available() == 0u);
  first.reset();  // leaves: its 2 go on, 1 each
  BOOST_TEST(second.target.wakes() == 1);
  BOOST_TEST(third.target.wakes() == 1);
  BOOST_TEST(ready_ok(second.poll()));
  BOOST_TEST(ready_ok(third.poll()));
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(a_dropped_waiter_that_was_granted_but_not_told_hands_all_its_permits_on) {
  semaphore_state s(0);
  auto first = std::make_unique<waiting_acquisition>(s, 2);
  waiting_acquisition second(s, 1);
  s.give_back(2);
  BOOST_TEST(first->target.wakes() == 1);
  BOOST_TEST(second.target.wakes() == 0);
  first.reset();  // granted, never polled again: its 2 permits were still the queue's
  BOOST_TEST(second.target.wakes() == 1);
  BOOST_TEST(ready_ok(second.poll()));
  BOOST_TEST(s.available() == 1u);
}

BOOST_AUTO_TEST_CASE(the_last_waiter_dropped_gives_its_set_aside_permits_back_to_the_word) {
  semaphore_state s(1);
  {
    waiting_acquisition only(s, 2);  // takes the 1 available as set aside
    BOOST_TEST(s.available() == 0u);
    BOOST_TEST(!s.try_acquire(1));
  }
  BOOST_TEST(s.available() == 1u);
  BOOST_TEST(s.try_acquire(1));  // nobody waits any more: the fast path is back
  s.give_back(1);
  {
    waiting_acquisition middle_only(s, 5);
    waiting_acquisition behind(s, 1);
  }  // `behind` first, then the head: the queue empties either way
  BOOST_TEST(s.available() == 1u);
  BOOST_TEST(s.try_acquire(1));
}

BOOST_AUTO_TEST_CASE(a_waiter_in_the_middle_leaves_without_disturbing_the_others) {
  semaphore_state s(0);
  waiting_acquisition a(s, 1);
  auto b = std::make_unique<waiting_acquisition>(s, 1);
  waiting_acquisition c(s, 1);
  b.reset();
  s.give_back(1);
  BOOST_TEST(a.target.wakes() == 1);
  BOOST_TEST(c.target.wakes() == 0);
  s.give_back(1);
  BOOST_TEST(c.target.wakes() == 1);
  BOOST_TEST(ready_ok(a.poll()));
  BOOST_TEST(ready_ok(c.poll()));
}

BOOST_AUTO_TEST_CASE(close_fails_every_waiter_returns_their_permits_and_fails_later_acquisitions) {
  constexpr std::size_t n = 40;  // more than one wake batch
  semaphore_state s(1);
  std::vector<std::unique_ptr<waiting_acquisition>> waiters;
  waiters.push_back(std::make_unique<waiting_acquisition>(s, 3));  // 1 set aside
  for (std::size_t i = 1; i < n; ++i) waiters.push_back(std::make_unique<waiting_acquisition>(s, 1));
  s.give_back(1);  // 2 set aside for the head
  BOOST_TEST(!s.is_closed());
  s.close();
  BOOST_TEST(s.is_closed());
  for (auto& w : waiters) {
    BOOST_TEST(w->target.wakes() == 1);
    BOOST_TEST(ready_closed(w->poll()));
    BOOST_TEST(w->target.live_clones() == 1);
  }
  BOOST_TEST(s.available() == 2u);  // what the head had set aside
  BOOST_TEST(!s.try_acquire(1));
  strict_waker later_target;
  futura::waker w = later_target.make();
  semaphore_acquisition later(s, 1);
  BOOST_TEST(ready_closed(later.poll(w)));
  semaphore_acquisition zero(s, 0);
  BOOST_TEST(ready_closed(zero.poll(w)));
  s.close();       // idempotent
  s.give_back(1);  // permits may still come back after close
  BOOST_TEST(s.available() == 3u);
  BOOST_TEST(later_target.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(a_waiter_granted_before_close_keeps_its_permits) {
  semaphore_state s(0);
  waiting_acquisition granted(s, 1);
  waiting_acquisition failed(s, 1);
  s.give_back(1);
  s.close();
  BOOST_TEST(ready_ok(granted.poll()));
  BOOST_TEST(ready_closed(failed.poll()));
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(a_waiter_moved_between_polls_is_still_granted) {
  semaphore_state s(0);
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition first(s, 2);
  BOOST_TEST(first.poll(w).is_pending());
  semaphore_acquisition moved(std::move(first));
  BOOST_TEST(!first.is_active());
  semaphore_acquisition assigned;
  assigned = std::move(moved);
  s.give_back(2);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(ready_ok(assigned.poll(w)));
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(a_new_waker_replaces_the_registered_one) {
  semaphore_state s(0);
  strict_waker old_target;
  strict_waker new_target;
  futura::waker old_w = old_target.make();
  futura::waker new_w = new_target.make();
  semaphore_acquisition acq(s, 1);
  BOOST_TEST(acq.poll(old_w).is_pending());
  BOOST_TEST(acq.poll(new_w).is_pending());
  BOOST_TEST(old_target.live_clones() == 1);  // the state dropped its clone of the old one
  s.give_back(1);
  BOOST_TEST(old_target.wakes() == 0);
  BOOST_TEST(new_target.wakes() == 1);
  BOOST_TEST(ready_ok(acq.poll(new_w)));
  BOOST_TEST(new_target.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(assigning_over_a_waiting_acquisition_gives_up_its_place) {
  semaphore_state s(0);
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition acq(s, 1);
  BOOST_TEST(acq.poll(w).is_pending());
  waiting_acquisition next(s, 1);
  acq = semaphore_acquisition(s, 1);  // the old one leaves the queue; the new one is not polled yet
  s.give_back(1);
  BOOST_TEST(next.target.wakes() == 1);
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(target.live_clones() == 1);
  BOOST_TEST(ready_ok(next.poll()));
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_finished_moved_from_or_empty_acquisition_is_a_contract_violation) {
  semaphore_state s(1);
  futura::waker w;
  semaphore_acquisition acq(s, 1);
  BOOST_TEST(ready_ok(acq.poll(w)));
  BOOST_CHECK_THROW((void)acq.poll(w), futura::future_error);
  semaphore_acquisition source(s, 1);
  semaphore_acquisition target(std::move(source));
  BOOST_CHECK_THROW((void)source.poll(w), futura::future_error);
  semaphore_acquisition empty;
  BOOST_CHECK_THROW((void)empty.poll(w), futura::future_error);
  BOOST_TEST(s.available() == 0u);  // none of the failed polls took anything
}
#endif

BOOST_AUTO_TEST_CASE(the_fast_paths_and_a_steady_state_of_waiters_allocate_nothing) {
  semaphore_state s(5);
  futura::waker w;
  // Two waiters at once; the first round fills the pool with their nodes.
  auto round = [&] {
    bool ok = s.try_acquire(5);
    semaphore_acquisition a(s, 2);
    semaphore_acquisition b(s, 3);
    ok = ok && a.poll(w).is_pending() && b.poll(w).is_pending();
    s.give_back(5);
    ok = ok && ready_ok(a.poll(w)) && ready_ok(b.poll(w));
    s.give_back(5);
    return ok && s.available() == 5u;
  };
  BOOST_TEST(round());
  allocation_count allocations;
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(s.try_acquire(3));
    s.give_back(3);
    semaphore_acquisition acq(s, 4);
    BOOST_TEST(ready_ok(acq.poll(w)));
    s.give_back(4);
    BOOST_TEST(round());
  }
  BOOST_TEST(allocations() == 0);
}

BOOST_AUTO_TEST_CASE(a_release_racing_a_first_poll_on_another_thread_is_never_lost) {
  const long n = rounds(20000, 2000);
  thread_team team(2);
  long waited = 0;
  for (long r = 0; r < n; ++r) {
    semaphore_state s(0);
    strict_waker target;
    futura::waker w = target.make();
    semaphore_acquisition acq(s, 1);
    acquire_poll first = futura::pending;
    team.run({[&] { first = acq.poll(w); }, [&] { s.give_back(1); }});
    if (first.is_pending()) {
      // The release came after the enqueue: it woke the waiter once.
      ++waited;
      BOOST_REQUIRE(target.wakes() == 1);
      BOOST_REQUIRE(ready_ok(acq.poll(w)));
    } else {
      // The release came first, and the first poll took it (fast path or under the lock).
      BOOST_REQUIRE(ready_ok(first));
      BOOST_REQUIRE(target.wakes() == 0);
    }
    BOOST_REQUIRE(s.available() == 0u);
    BOOST_REQUIRE(target.live_clones() == 1);
  }
  BOOST_TEST_MESSAGE("first polls that waited: " << waited << " of " << n);
}

BOOST_AUTO_TEST_CASE(a_drop_racing_a_release_loses_no_permit) {
  const long n = rounds(20000, 2000);
  thread_team team(2);
  for (long r = 0; r < n; ++r) {
    semaphore_state s(0);
    auto dropped = std::make_unique<waiting_acquisition>(s, 2);
    waiting_acquisition next(s, 1);
    team.run({[&] { dropped.reset(); }, [&] { s.give_back(2); }});
    // Whatever the order, `next` got one permit and the other went back to the word.
    BOOST_REQUIRE(next.target.wakes() == 1);
    BOOST_REQUIRE(ready_ok(next.poll()));
    BOOST_REQUIRE(s.available() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(close_racing_waiters_and_releases_leaves_every_permit_accounted_for) {
  const long n = rounds(10000, 1000);
  thread_team team(3);
  for (long r = 0; r < n; ++r) {
    semaphore_state s(1);
    BOOST_REQUIRE(s.try_acquire(1));
    waiting_acquisition a(s, 2);
    waiting_acquisition b(s, 1);
    semaphore_acquisition late(s, 1);
    strict_waker late_target;
    futura::waker late_w = late_target.make();
    acquire_poll late_first = futura::pending;
    team.run({[&] { s.close(); }, [&] { s.give_back(1); }, [&] { late_first = late.poll(late_w); }});
    BOOST_REQUIRE(a.target.wakes() == 1);
    BOOST_REQUIRE(b.target.wakes() == 1);
    BOOST_REQUIRE(ready_closed(a.poll()));  // 1 permit can never complete the 2 it asked for
    BOOST_REQUIRE(ready_closed(b.poll()));  // and b was behind a
    // The late one queued before the close (then close woke it) or saw the flag.
    if (late_first.is_pending()) {
      BOOST_REQUIRE(late_target.wakes() == 1);
      BOOST_REQUIRE(ready_closed(late.poll(late_w)));
    } else {
      BOOST_REQUIRE(ready_closed(late_first));
    }
    BOOST_REQUIRE(s.available() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(threads_acquiring_and_giving_back_never_exceed_the_permits) {
  constexpr std::size_t permits = 3;
  constexpr int threads = 8;
  const long per_thread = rounds(20000, 1000);
  semaphore_state s(permits);
  std::atomic<int> holders{0};
  std::atomic<int> most{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t) {
    team.emplace_back([&, t] {
      for (long i = 0; i < per_thread; ++i) {
        const std::size_t k = 1 + static_cast<std::size_t>((t + i) % 2);
        if ((i % 3) == 0 && s.try_acquire(k)) {
          // fast path taken
        } else {
          if (futura::block_on(acquire_future(s, k))) ++failures;
        }
        const int now = holders.fetch_add(static_cast<int>(k)) + static_cast<int>(k);
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        holders.fetch_sub(static_cast<int>(k));
        s.give_back(k);
      }
    });
  }
  for (auto& t : team) t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(most.load() <= static_cast<int>(permits));
  BOOST_TEST(most.load() >= 2);  // the holders did overlap
  BOOST_TEST(s.available() == permits);
}

BOOST_AUTO_TEST_SUITE_END()
