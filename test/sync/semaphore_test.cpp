// The semaphore: first its shared core, detail::semaphore_state and semaphore_acquisition (the
// word's fast paths, FIFO hand-out with set-aside permits, drops, close, wakes outside the lock,
// node pooling, races between a release and a poll), then the public futura::semaphore (permits,
// acquire futures, FIFO order, cancellation, close, misuse, threads).
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/chaos_gate.hpp>
#include <support/executor_support.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/combinator/and_then.hpp>
#include <futura/combinator/ready.hpp>
#include <futura/combinator/then.hpp>
#include <futura/executor/block_on.hpp>
#include <futura/sync/detail/semaphore_state.hpp>
#include <futura/sync/semaphore.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
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

/// A waker that runs `on_wake` when woken: a wake that re-enters the semaphore. Not counted:
/// the object outlives every clone the test lets out.
struct calling_waker {
  std::function<void()> on_wake;
  std::atomic<int> wakes{0};
  futura::waker make() { return futura::waker(futura::raw_waker{&vtable, this}); }

 private:
  static futura::raw_waker clone(void* p) noexcept { return {&vtable, p}; }
  static void wake_by_ref(void* p) noexcept {
    auto* self = static_cast<calling_waker*>(p);
    ++self->wakes;
    if (self->on_wake) self->on_wake();
  }
  static void wake(void* p) noexcept { wake_by_ref(p); }
  static void drop(void*) noexcept {}
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};
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

BOOST_AUTO_TEST_CASE(try_acquire_up_to_takes_what_is_there_up_to_its_limit_and_nothing_while_anyone_waits) {
  semaphore_state s(5);
  BOOST_TEST(s.try_acquire_up_to(3) == 3u);   // limited by `most`
  BOOST_TEST(s.try_acquire_up_to(10) == 2u);  // limited by what is there
  BOOST_TEST(s.try_acquire_up_to(10) == 0u);  // none left
  BOOST_TEST(!s.has_waiters());
  {
    waiting_acquisition waiter(s, 1);
    BOOST_TEST(s.has_waiters());
    s.add(1);  // to the waiter, set aside: the word stays empty
    BOOST_TEST(ready_ok(waiter.poll()));
    BOOST_TEST(!s.has_waiters());
  }
  waiting_acquisition first(s, 2);
  s.give_back(1);                             // set aside for `first`, which still waits
  BOOST_TEST(s.try_acquire_up_to(10) == 0u);  // FIFO: what comes back is set aside, not batched
  s.give_back(2);                             // `first` has its 2, the last one goes to the word
  BOOST_TEST(ready_ok(first.poll()));
  BOOST_TEST(s.try_acquire_up_to(10) == 1u);
  s.give_back(1);
  s.close();
  BOOST_TEST(s.try_acquire_up_to(10) == 0u);  // closed
  BOOST_TEST(s.available() == 1u);
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

BOOST_AUTO_TEST_CASE(random_operations_agree_with_a_model_of_the_fifo_queue) {
  // One thread, random steps (acquire, poll, drop, give back, add, try_acquire, close) checked
  // after each against a plain model: a count and a queue of (needed, set aside).
  enum class status { queued, granted, closed, done };
  struct waiter {
    std::unique_ptr<strict_waker> target = std::make_unique<strict_waker>();
    futura::waker w = target->make();
    std::unique_ptr<semaphore_acquisition> acq;
    std::size_t needed = 0;
    std::size_t assigned = 0;  // the model's
    status model = status::queued;
    int wakes = 0;  // the model's: one when granted or failed while waiting
  };
  const stress_seed seed("random_operations_agree_with_a_model_of_the_fifo_queue");
  const long n = rounds(400, 100);
  for (long r = 0; r < n; ++r) {
    BOOST_TEST_CONTEXT(seed.describe(r)) {
      auto g = seed.round(r);
      const std::size_t initial = static_cast<std::size_t>(pick(g, 0, 4));
      semaphore_state s(initial);
      std::size_t count = initial;  // the model's available permits
      std::size_t held = 0;         // permits this test holds, to give back
      bool closed = false;
      std::vector<waiter> waiters;
      std::vector<std::size_t> queue;  // indices into waiters, FIFO
      auto hand_out = [&](std::size_t k) {
        while (!queue.empty() && k > 0) {
          waiter& h = waiters[queue.front()];
          const std::size_t missing = h.needed - h.assigned;
          if (k < missing) {
            h.assigned += k;
            k = 0;
          } else {
            k -= missing;
            h.assigned = h.needed;
            h.model = status::granted;
            h.wakes = 1;
            queue.erase(queue.begin());
          }
        }
        count += k;
      };
      bool ok = true;
      for (int step = 0; step < 60 && ok; ++step) {
        const int op = pick(g, 0, 99);
        if (op < 25) {  // a new acquisition, polled once
          waiter& w = waiters.emplace_back();
          w.needed = static_cast<std::size_t>(pick(g, 1, 4));
          w.acq = std::make_unique<semaphore_acquisition>(s, w.needed);
          const acquire_poll got = w.acq->poll(w.w);
          if (closed) {
            w.model = status::done;
            ok = ok && ready_closed(got);
          } else if (queue.empty() && count >= w.needed) {
            w.model = status::done;
            count -= w.needed;
            held += w.needed;
            ok = ok && ready_ok(got);
          } else {
            if (queue.empty()) w.assigned = std::exchange(count, 0);
            queue.push_back(waiters.size() - 1);
            ok = ok && got.is_pending();
          }
        } else if (op < 45 && !waiters.empty()) {  // poll a waiter that did not finish
          waiter& w = waiters[static_cast<std::size_t>(pick(g, 0, static_cast<int>(waiters.size()) - 1))];
          if (w.model == status::done || !w.acq) continue;
          const acquire_poll got = w.acq->poll(w.w);
          if (w.model == status::granted) {
            held += w.needed;
            w.model = status::done;
            ok = ok && ready_ok(got);
          } else if (w.model == status::closed) {
            w.model = status::done;
            ok = ok && ready_closed(got);
          } else {
            ok = ok && got.is_pending();
          }
        } else if (op < 60 && !waiters.empty()) {  // drop one
          const std::size_t i = static_cast<std::size_t>(pick(g, 0, static_cast<int>(waiters.size()) - 1));
          waiter& w = waiters[i];
          if (!w.acq) continue;
          w.acq.reset();
          if (w.model == status::queued) {
            queue.erase(std::find(queue.begin(), queue.end(), i));
            hand_out(w.assigned);
          } else if (w.model == status::granted) {
            hand_out(w.needed);
          }
          w.model = status::done;
        } else if (op < 80 && held > 0) {  // give back some held permits
          const std::size_t k = static_cast<std::size_t>(pick(g, 1, static_cast<int>(held)));
          held -= k;
          s.give_back(k);
          hand_out(k);
        } else if (op < 88) {  // add new ones
          const std::size_t k = static_cast<std::size_t>(pick(g, 1, 3));
          s.add(k);
          hand_out(k);
        } else if (op < 97) {
          const std::size_t k = static_cast<std::size_t>(pick(g, 1, 3));
          const bool expected = !closed && queue.empty() && count >= k;
          ok = ok && s.try_acquire(k) == expected;
          if (expected) {
            count -= k;
            held += k;
          }
        } else if (!closed) {
          s.close();
          closed = true;
          for (std::size_t i : queue) {
            count += std::exchange(waiters[i].assigned, 0);
            waiters[i].model = status::closed;
            waiters[i].wakes = 1;
          }
          queue.clear();
        }
        ok = ok && s.available() == count;
        for (const waiter& w : waiters) ok = ok && w.target->wakes() == w.wakes;
        BOOST_TEST_REQUIRE(ok, "step " << step);
      }
      waiters.clear();  // drops what still waits
      s.give_back(held);
      BOOST_TEST(s.available() == s.total());
    }
  }
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

BOOST_AUTO_TEST_CASE(a_wake_may_reenter_the_semaphore_because_it_runs_outside_the_lock) {
  // Each wake drops another waiter and polls a fresh acquisition of the same state: both take
  // the lock, so a wake under it would deadlock.
  semaphore_state s(0);
  calling_waker reentrant;
  futura::waker w = reentrant.make();
  semaphore_acquisition first(s, 1);
  BOOST_TEST(first.poll(w).is_pending());
  auto second = std::make_unique<waiting_acquisition>(s, 1);
  semaphore_acquisition fresh(s, 1);
  acquire_poll fresh_first = futura::pending;
  futura::waker noop;
  reentrant.on_wake = [&] {
    second.reset();
    fresh_first = fresh.poll(noop);
  };
  s.give_back(1);
  BOOST_TEST(reentrant.wakes.load() == 1);
  BOOST_TEST(!second);
  BOOST_TEST(fresh_first.is_pending());  // queued behind nobody, with nothing available
  BOOST_TEST(ready_ok(first.poll(w)));
  // close()'s wakes run outside the lock too.
  auto third = std::make_unique<waiting_acquisition>(s, 1);
  reentrant.on_wake = [&] { third.reset(); };
  BOOST_TEST(fresh.poll(w).is_pending());  // now with the re-entrant waker
  s.close();
  BOOST_TEST(reentrant.wakes.load() == 2);
  BOOST_TEST(!third);
  BOOST_TEST(ready_closed(fresh.poll(w)));
}

#if FUTURA_CHAOS_ENABLED

BOOST_AUTO_TEST_CASE(a_releaser_that_read_the_word_before_an_enqueue_hands_its_permit_to_that_waiter) {
  // The releaser read the word (no waiters) and stops before its CAS; a waiter enqueues, setting
  // `waiters`; the releaser's CAS fails, and it takes the slow path to the waiter.
  chaos_gates gates;
  chaos_gate& seen = gates.add("semaphore.give_back.seen");
  semaphore_state s(0);
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition acq(s, 1);
  joining_thread releaser([&] {
    seen.bind_this_thread();
    s.give_back(1);
  });
  BOOST_REQUIRE_MESSAGE(reached_within(seen), "semaphore.give_back.seen never reached");
  BOOST_TEST(acq.poll(w).is_pending());
  BOOST_TEST(s.available() == 0u);
  seen.open();
  releaser.join();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(ready_ok(acq.poll(w)));
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(an_enqueuer_that_read_the_word_before_a_release_takes_that_permit_at_once) {
  // The enqueuer holds the lock and read an empty count; a releaser's fast path adds a permit
  // without the lock; the enqueuer's CAS fails, rereads, and takes it: granted, not queued.
  chaos_gates gates;
  chaos_gate& seen = gates.add("semaphore.enqueue.seen");
  semaphore_state s(0);
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition acq(s, 1);
  acquire_poll first = futura::pending;
  joining_thread enqueuer([&] {
    seen.bind_this_thread();
    first = acq.poll(w);
  });
  BOOST_REQUIRE_MESSAGE(reached_within(seen), "semaphore.enqueue.seen never reached");
  s.give_back(1);  // the fast path: no lock, so no wait for the enqueuer
  BOOST_TEST(s.available() == 1u);
  seen.open();
  enqueuer.join();
  BOOST_TEST(ready_ok(first));
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(a_waiter_is_granted_before_it_is_woken_and_a_poll_between_sees_it) {
  // The releaser granted the waiter and let go of the lock, and has not woken it yet: a poll
  // then already returns the permits; the late wake is a spurious one.
  chaos_gates gates;
  chaos_gate& unlocked = gates.add("semaphore.hand_out.unlocked");
  semaphore_state s(0);
  strict_waker target;
  futura::waker w = target.make();
  semaphore_acquisition acq(s, 1);
  BOOST_TEST(acq.poll(w).is_pending());
  joining_thread releaser([&] {
    unlocked.bind_this_thread();
    s.give_back(1);
  });
  BOOST_REQUIRE_MESSAGE(reached_within(unlocked), "semaphore.hand_out.unlocked never reached");
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(ready_ok(acq.poll(w)));
  unlocked.open();
  releaser.join();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(a_granted_waiter_dropped_before_its_wake_hands_its_permits_on) {
  // Granted, its wake still in flight: the drop hands its permits to the next waiter.
  chaos_gates gates;
  chaos_gate& unlocked = gates.add("semaphore.hand_out.unlocked");
  semaphore_state s(0);
  auto first = std::make_unique<waiting_acquisition>(s, 2);
  waiting_acquisition next(s, 2);
  joining_thread releaser([&] {
    unlocked.bind_this_thread();
    s.give_back(2);
  });
  BOOST_REQUIRE_MESSAGE(reached_within(unlocked), "semaphore.hand_out.unlocked never reached");
  first.reset();  // its own hand-out passes the same point on this thread, unbound: not stopped
  BOOST_TEST(next.target.wakes() == 1);
  unlocked.open();
  releaser.join();
  BOOST_TEST(ready_ok(next.poll()));
  BOOST_TEST(s.available() == 0u);
}

#endif

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

// ---- futura::semaphore -----------------------------------------------------------------------

namespace {

using permit_result = boost::system::result<futura::semaphore_permit>;

/// An acquire future polled once with a waker of its own strict_waker (pending: it waits).
struct waiting_acquire {
  strict_waker target;
  futura::waker w = target.make();
  futura::semaphore_acquire_future f;
  waiting_acquire(futura::semaphore& sem, std::size_t k) : f(sem.acquire(k)) { BOOST_TEST(f.poll(w).is_pending()); }
  futura::poll_result<permit_result> poll() { return f.poll(w); }
};

/// The permit of a ready poll, or an empty one (and a failed check) otherwise.
futura::semaphore_permit permit_of(futura::poll_result<permit_result> r) {
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST_REQUIRE(r.value().has_value());
  return std::move(*r.value());
}

bool is_closed_error(const futura::poll_result<permit_result>& r) {
  return r.is_ready() && r.value().has_error() && r.value().error() == futura::error::closed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semaphore_suite)

BOOST_AUTO_TEST_CASE(permits_go_back_when_destroyed_and_shrink_the_total_when_forgotten) {
  futura::semaphore sem(3);
  BOOST_TEST(sem.available() == 3u);
  BOOST_TEST(sem.total() == 3u);
  {
    std::optional<futura::semaphore_permit> p = sem.try_acquire(2);
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST(p->count() == 2u);
    BOOST_TEST(sem.available() == 1u);
    BOOST_TEST(!sem.try_acquire(2).has_value());
  }
  BOOST_TEST(sem.available() == 3u);
  futura::semaphore_permit p = futura::block_on(sem.acquire(2)).value();
  BOOST_TEST(p.count() == 2u);
  p.forget();
  BOOST_TEST(p.count() == 0u);
  BOOST_TEST(sem.total() == 1u);
  BOOST_TEST(sem.available() == 1u);
  sem.release(4);
  BOOST_TEST(sem.total() == 5u);
  BOOST_TEST(sem.available() == 5u);
  futura::semaphore_permit zero = futura::block_on(sem.acquire(0)).value();
  BOOST_TEST(zero.count() == 0u);
  BOOST_TEST(sem.available() == 5u);
}

BOOST_AUTO_TEST_CASE(a_moved_from_permit_holds_nothing_and_move_assignment_gives_back_the_old_permits) {
  futura::semaphore sem(4);
  futura::semaphore_permit a = *sem.try_acquire(1);
  futura::semaphore_permit b = *sem.try_acquire(2);
  BOOST_TEST(sem.available() == 1u);
  futura::semaphore_permit moved(std::move(a));
  BOOST_TEST(a.count() == 0u);
  BOOST_TEST(moved.count() == 1u);
  a.forget();  // does nothing
  BOOST_TEST(sem.total() == 4u);
  a = futura::semaphore_permit();  // destroys nothing held
  BOOST_TEST(sem.available() == 1u);
  moved = std::move(b);  // moved's 1 goes back, b's 2 come in
  BOOST_TEST(sem.available() == 2u);
  BOOST_TEST(moved.count() == 2u);
  BOOST_TEST(b.count() == 0u);
  { futura::semaphore_permit gone(std::move(moved)); }
  BOOST_TEST(sem.available() == 4u);
  futura::semaphore_permit empty;
  BOOST_TEST(empty.count() == 0u);
}

BOOST_AUTO_TEST_CASE(acquires_are_served_first_come_first_served_large_before_later_small) {
  futura::semaphore sem(2);
  futura::semaphore_permit held = *sem.try_acquire(2);
  waiting_acquire large(sem, 2);
  waiting_acquire small(sem, 1);
  BOOST_TEST(!sem.try_acquire(1).has_value());  // someone waits
  sem.release(1);                               // set aside for `large`, not given to `small`
  BOOST_TEST(large.target.wakes() == 0);
  BOOST_TEST(small.target.wakes() == 0);
  BOOST_TEST(large.poll().is_pending());
  BOOST_TEST(small.poll().is_pending());
  BOOST_TEST(sem.available() == 0u);
  { futura::semaphore_permit gone(std::move(held)); }  // 2 back: 1 completes large, 1 to small
  BOOST_TEST(large.target.wakes() == 1);
  BOOST_TEST(small.target.wakes() == 1);
  futura::semaphore_permit l = permit_of(large.poll());
  futura::semaphore_permit s = permit_of(small.poll());
  BOOST_TEST(l.count() == 2u);
  BOOST_TEST(s.count() == 1u);
  BOOST_TEST(sem.total() == 3u);
  BOOST_TEST(large.target.live_clones() == 1);
  BOOST_TEST(small.target.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(a_waiting_acquire_is_woken_once_and_repolls_with_the_same_waker_clone_nothing) {
  futura::semaphore sem(1);
  std::optional<futura::semaphore_permit> held = sem.try_acquire(1);
  waiting_acquire a(sem, 1);
  for (int i = 0; i < 5; ++i) BOOST_TEST(a.poll().is_pending());  // spurious polls
  BOOST_TEST(a.target.live_clones() == 2);                        // ours and the one the semaphore keeps
  held.reset();
  BOOST_TEST(a.target.wakes() == 1);
  BOOST_TEST(a.target.live_clones() == 1);
  BOOST_TEST(permit_of(a.poll()).count() == 1u);
  BOOST_TEST(a.target.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_dropped_pending_acquire_gives_back_what_was_set_aside_for_it) {
  futura::semaphore sem(3);
  std::optional<futura::semaphore_permit> held_1 = sem.try_acquire(1);
  std::optional<futura::semaphore_permit> held_2 = sem.try_acquire(1);
  auto partly = std::make_unique<waiting_acquire>(sem, 3);  // the 1 available is set aside
  waiting_acquire next(sem, 2);
  held_1.reset();  // 2 of 3 set aside
  BOOST_TEST(sem.available() == 0u);
  partly.reset();  // its 2 go to `next`
  BOOST_TEST(next.target.wakes() == 1);
  futura::semaphore_permit p = permit_of(next.poll());
  BOOST_TEST(p.count() == 2u);
  BOOST_TEST(sem.available() == 0u);

  // Granted but dropped before its next poll: all its permits go back.
  auto granted = std::make_unique<waiting_acquire>(sem, 2);
  { futura::semaphore_permit gone(std::move(p)); }
  BOOST_TEST(granted->target.wakes() == 1);
  granted.reset();
  BOOST_TEST(sem.available() == 2u);

  // Never polled: nothing to give back, nothing taken.
  { auto unpolled = sem.acquire(2); }
  BOOST_TEST(sem.available() == 2u);
  held_2.reset();
  BOOST_TEST(sem.available() == 3u);
}

BOOST_AUTO_TEST_CASE(close_fails_waiters_with_closed_and_later_acquires_too) {
  futura::semaphore sem(1);
  futura::semaphore_permit held = *sem.try_acquire(1);
  waiting_acquire a(sem, 1);
  waiting_acquire b(sem, 1);
  BOOST_TEST(!sem.is_closed());
  sem.close();
  BOOST_TEST(sem.is_closed());
  BOOST_TEST(a.target.wakes() == 1);
  BOOST_TEST(b.target.wakes() == 1);
  BOOST_TEST(is_closed_error(a.poll()));
  BOOST_TEST(is_closed_error(b.poll()));
  BOOST_TEST(!sem.try_acquire(1).has_value());
  auto later = sem.acquire(1);
  futura::waker w;
  BOOST_TEST(is_closed_error(later.poll(w)));
  { futura::semaphore_permit gone(std::move(held)); }  // a permit held stays valid and goes back
  BOOST_TEST(sem.available() == 1u);
  BOOST_TEST(!futura::block_on(sem.acquire(1)).has_value());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(acquiring_more_than_the_total_throws_invalid_argument) {
  futura::semaphore sem(2);
  BOOST_CHECK_THROW((void)sem.acquire(3), std::invalid_argument);
  futura::semaphore_permit p = *sem.try_acquire(1);
  p.forget();  // total 1
  BOOST_CHECK_THROW((void)sem.acquire(2), std::invalid_argument);
  sem.release(1);  // total 2
  BOOST_TEST(futura::block_on(sem.acquire(2)).value().count() == 2u);
  BOOST_CHECK_THROW(futura::semaphore too_big(futura::semaphore::max_permits + 1), std::length_error);
  futura::semaphore full(futura::semaphore::max_permits);
  BOOST_CHECK_THROW(full.release(1), std::length_error);
  BOOST_TEST(full.total() == futura::semaphore::max_permits);
}

BOOST_AUTO_TEST_CASE(polling_a_finished_or_moved_from_acquire_is_a_contract_violation) {
  futura::semaphore sem(1);
  futura::waker w;
  auto f = sem.acquire(1);
  auto moved = std::move(f);
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);
  auto r = moved.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_CHECK_THROW((void)moved.poll(w), futura::future_error);
  BOOST_TEST(sem.available() == 0u);  // the permit of r still holds it
}
#endif

BOOST_AUTO_TEST_CASE(an_acquire_moved_while_waiting_is_still_granted) {
  futura::semaphore sem(2);
  std::optional<futura::semaphore_permit> held = sem.try_acquire(2);
  strict_waker target;
  futura::waker w = target.make();
  auto f = sem.acquire(2);
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  { auto dropped_moved_from = std::move(f); }  // dropping a moved-from future does nothing
  held.reset();
  BOOST_TEST(target.wakes() == 1);
  auto r = moved.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().value().count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_permit_rides_along_a_chain_and_goes_back_with_it) {
  futura::semaphore sem(1);
  auto chain = sem.acquire().and_then([&](futura::semaphore_permit permit) {
    return futura::ready(20).then([&, permit = std::move(permit)](int v) {
      return v + static_cast<int>(permit.count()) + static_cast<int>(sem.available());
    });
  });
  boost::system::result<int> r = futura::block_on(std::move(chain));
  BOOST_TEST(r.value() == 21);  // 20 + the permit's 1 + none available while it rode along
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(a_permit_dropped_on_another_thread_wakes_a_poll_racing_it) {
  const long n = rounds(20000, 2000);
  thread_team team(2);
  for (long r = 0; r < n; ++r) {
    futura::semaphore sem(1);
    std::optional<futura::semaphore_permit> held = sem.try_acquire(1);
    strict_waker target;
    futura::waker w = target.make();
    auto f = sem.acquire(1);
    futura::poll_result<permit_result> first = futura::pending;
    team.run({[&] { first = f.poll(w); }, [&] { held.reset(); }});
    if (first.is_pending()) {
      BOOST_REQUIRE(target.wakes() == 1);
      first = f.poll(w);
    }
    BOOST_REQUIRE(first.is_ready());
    BOOST_REQUIRE(first.value().has_value());
    BOOST_REQUIRE(sem.available() == 0u);
    first = futura::pending;  // the permit goes back
    BOOST_REQUIRE(sem.available() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(eight_threads_of_acquire_release_pairs_never_exceed_the_permits) {
  constexpr std::size_t permits = 3;
  constexpr int threads = 8;
  const long pairs = rounds(100000, 5000);
  futura::semaphore sem(permits);
  std::atomic<int> holders{0};
  std::atomic<int> most{0};
  std::atomic<long> failures{0};
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t) {
    team.emplace_back([&] {
      for (long i = 0; i < pairs; ++i) {
        boost::system::result<futura::semaphore_permit> p = futura::block_on(sem.acquire());
        if (!p) {
          ++failures;
          continue;
        }
        const int now = holders.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        if (i % 64 == 0) std::this_thread::yield();  // hold on a while: the others queue up
        holders.fetch_sub(1);
      }  // each permit goes back here, on this thread
    });
  }
  for (auto& t : team) t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(most.load() <= static_cast<int>(permits));
  BOOST_TEST(sem.available() == permits);
  BOOST_TEST(sem.total() == permits);
}

BOOST_AUTO_TEST_SUITE_END()
