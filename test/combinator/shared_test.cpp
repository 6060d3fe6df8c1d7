// shared_future: copies that each yield the output, polled from any thread, one poller at a time.
#include <boost/test/unit_test.hpp>
#include <support/allocation_counter.hpp>
#include <support/probe.hpp>

#include <futura/combinator/boxed.hpp>
#include <futura/combinator/shared.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using futura_test::allocation_count;
using futura_test::counting_waker;
using futura_test::probe;
using futura_test::value_of;

/// Counts its copies (to tell a copied output from a moved one).
struct copy_counted {
  static inline std::atomic<int> copies{0};
  int value = 0;
  explicit copy_counted(int v) : value(v) {}
  copy_counted(const copy_counted& o) : value(o.value) { ++copies; }
  copy_counted(copy_counted&& o) noexcept : value(o.value) {}
  copy_counted& operator=(const copy_counted&) = default;
  copy_counted& operator=(copy_counted&&) = default;
};

/// What the copies of an exclusive_future observed together.
struct exclusivity {
  std::atomic<bool> in_poll{false};
  std::atomic<int> overlaps{0};
  std::atomic<int> polls{0};
};

/// Pending (waking itself) `left` times, then ready; counts polls that overlapped another poll.
struct exclusive_future : futura::future_ext<exclusive_future> {
  using output_type = int;
  std::shared_ptr<exclusivity> seen;
  int left;  // plain int: polls from different threads must be ordered by the shared state
  exclusive_future(std::shared_ptr<exclusivity> s, int n) : seen(std::move(s)), left(n) {}
  futura::poll_result<int> poll(futura::waker& w) {
    if (seen->in_poll.exchange(true)) ++seen->overlaps;
    ++seen->polls;
    std::this_thread::yield();  // widens the window in which a second poller would overlap
    const bool done = --left <= 0;
    seen->in_poll = false;
    if (done) return 42;
    w.wake();
    return futura::pending;
  }
};

/// Lets an inner future poll another copy of its own shared future while it is being polled.
struct reentry {
  futura::shared_future<int>* other = nullptr;
  futura::waker other_waker;
  bool other_was_pending = false;
  bool finish = false;
};

/// Wakes itself (before the other copy registers), polls the other copy (which finds the inner
/// busy and registers its waker), then stays pending or finishes.
struct reentrant_future : futura::future_ext<reentrant_future> {
  using output_type = int;
  std::shared_ptr<reentry> r;
  explicit reentrant_future(std::shared_ptr<reentry> rr) : r(std::move(rr)) {}
  futura::poll_result<int> poll(futura::waker& w) {
    w.wake();
    r->other_was_pending = r->other->poll(r->other_waker).is_pending();
    if (r->finish) return 1;
    return futura::pending;
  }
};

using futura_test::plus_one_chain;

}  // namespace

BOOST_AUTO_TEST_SUITE(shared)

BOOST_AUTO_TEST_CASE(every_copy_yields_the_value) {
  futura::shared_future<int> s = futura::ready(7).shared();
  futura::shared_future<int> a = s;
  futura::shared_future<int> b = s;
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(b.poll(w)) == 7);
  BOOST_TEST(value_of(s.poll(w)) == 7);
  BOOST_TEST(value_of(a.poll(w)) == 7);
}

BOOST_AUTO_TEST_CASE(every_copy_gets_its_own_copy_of_the_output) {
  futura::shared_future<std::vector<int>> s = futura::ready(std::vector<int>{1, 2, 3}).shared();
  futura::shared_future<std::vector<int>> t = s;
  futura::waker w = futura::noop_waker();
  std::vector<int> first = value_of(s.poll(w));
  first.push_back(4);
  BOOST_TEST(value_of(t.poll(w)) == (std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(when_the_inner_completes_every_waiting_copy_is_woken) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  std::vector<futura::shared_future<int>> copies(3, s);
  copies.push_back(std::move(s));
  std::vector<std::unique_ptr<counting_waker>> wakers;
  for (auto& c : copies) {
    wakers.push_back(std::make_unique<counting_waker>());
    futura::waker w = wakers.back()->make();
    BOOST_TEST(c.poll(w).is_pending());
  }
  BOOST_TEST(p.polls() == 4);  // one copy at a time, each found the inner idle
  p.complete(5);
  for (auto& cw : wakers) BOOST_TEST(cw->wakes() == 1);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(copies[2].poll(w)) == 5);
  BOOST_TEST(p.polls() == 5);  // the first copy polled again completed the inner
  BOOST_TEST(value_of(copies[0].poll(w)) == 5);
  BOOST_TEST(value_of(copies[1].poll(w)) == 5);
  BOOST_TEST(value_of(copies[3].poll(w)) == 5);
  BOOST_TEST(p.polls() == 5);
  for (auto& cw : wakers) BOOST_TEST(cw->wakes() == 1);  // the poller woke nobody twice
}

BOOST_AUTO_TEST_CASE(more_than_four_waiting_copies_are_all_woken) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  std::vector<futura::shared_future<int>> copies(20, s);
  std::vector<std::unique_ptr<counting_waker>> wakers;
  for (auto& c : copies) {
    wakers.push_back(std::make_unique<counting_waker>());
    futura::waker w = wakers.back()->make();
    BOOST_TEST(c.poll(w).is_pending());
  }
  p.complete(9);
  int woken = 0;
  for (auto& cw : wakers) woken += cw->wakes();
  BOOST_TEST(woken == 20);
  futura::waker w = futura::noop_waker();
  for (auto& c : copies) BOOST_TEST(value_of(c.poll(w)) == 9);
}

BOOST_AUTO_TEST_CASE(a_promise_set_from_another_thread_wakes_every_waiting_copy) {
  futura::promise<int> pr;
  futura::shared_future<int> s = pr.get_future().shared();
  std::vector<futura::shared_future<int>> copies(4, s);
  std::vector<std::unique_ptr<counting_waker>> wakers;
  for (auto& c : copies) {
    wakers.push_back(std::make_unique<counting_waker>());
    futura::waker w = wakers.back()->make();
    BOOST_TEST(c.poll(w).is_pending());
  }
  std::thread setter([&pr] { pr.set_value(11); });
  setter.join();
  for (auto& cw : wakers) BOOST_TEST(cw->wakes() == 1);
  futura::waker w = futura::noop_waker();
  for (auto& c : copies) BOOST_TEST(value_of(c.poll(w)) == 11);
}

BOOST_AUTO_TEST_CASE(copies_polled_by_block_on_on_n_threads_all_get_the_value) {
  futura::promise<std::string> pr;
  futura::shared_future<std::string> s = pr.get_future().shared();
  constexpr int n = 8;
  std::vector<std::string> got(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([s, &got, i] { got[static_cast<std::size_t>(i)] = futura::block_on(s); });
  }
  std::thread setter([&pr] { pr.set_value("shared"); });
  for (auto& t : threads) t.join();
  setter.join();
  for (const auto& g : got) BOOST_TEST(g == "shared");
}

BOOST_AUTO_TEST_CASE(exactly_one_copy_polls_the_inner_future_at_a_time) {
  auto seen = std::make_shared<exclusivity>();
  futura::shared_future<int> s = futura::shared_future<int>(exclusive_future(seen, 2000));
  constexpr int n = 4;
  std::vector<int> got(n, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([s, &got, i] { got[static_cast<std::size_t>(i)] = futura::block_on(s); });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(seen->overlaps.load() == 0);
  BOOST_TEST(seen->polls.load() == 2000);
  for (int g : got) BOOST_TEST(g == 42);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_is_rethrown_to_every_copy_as_the_same_object) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  futura::shared_future<int> t = s;
  p.fail("shared failure");
  futura::waker w = futura::noop_waker();
  const void* first = nullptr;
  const void* second = nullptr;
  try {
    (void)s.poll(w);
  } catch (const std::runtime_error& e) {
    first = &e;
    BOOST_TEST(std::string(e.what()) == "shared failure");
  }
  BOOST_TEST(p.drops() == 1);  // the failed inner is gone
  try {
    (void)t.poll(w);
  } catch (const std::runtime_error& e) {
    second = &e;
  }
  BOOST_TEST(first != nullptr);
  BOOST_TEST(first == second);
}

BOOST_AUTO_TEST_CASE(an_exception_reaches_copies_blocked_on_other_threads) {
  futura::promise<int> pr;
  futura::shared_future<int> s = pr.get_future().shared();
  constexpr int n = 4;
  std::atomic<int> caught{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([s, &caught] {
      try {
        (void)futura::block_on(s);
      } catch (const std::out_of_range&) {
        ++caught;
      }
    });
  }
  pr.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
  for (auto& t : threads) t.join();
  BOOST_TEST(caught.load() == n);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(the_inner_future_is_destroyed_once_as_soon_as_it_completes) {
  probe<int> p;
  futura::shared_future<int> a = p.future().shared();
  futura::shared_future<int> b = a;
  futura::waker w = futura::noop_waker();
  BOOST_TEST(a.poll(w).is_pending());
  p.complete(3);
  BOOST_TEST(value_of(a.poll(w)) == 3);
  BOOST_TEST(p.drops() == 1);  // b is still alive, the inner is gone
  BOOST_TEST(value_of(b.poll(w)) == 3);
  BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(the_inner_future_is_destroyed_when_the_last_pending_copy_is_dropped) {
  probe<int> p;
  {
    futura::shared_future<int> a = p.future().shared();
    futura::waker w = futura::noop_waker();
    BOOST_TEST(a.poll(w).is_pending());
    {
      futura::shared_future<int> b = a;
      futura::shared_future<int> c = b;
      BOOST_TEST(c.poll(w).is_pending());
    }
    BOOST_TEST(p.drops() == 0);
  }
  BOOST_TEST(p.drops() == 1);
  p.complete(1);  // wakes the notifier the inner registered: the state is gone, nothing happens (rule 7)
}

BOOST_AUTO_TEST_CASE(a_copy_made_after_completion_is_ready_at_its_first_poll) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  futura::shared_future<int> a = s;
  p.complete(6);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(a.poll(w)) == 6);
  const int polls = p.polls();
  futura::shared_future<int> late = s;  // s itself was never polled
  BOOST_TEST(value_of(late.poll(w)) == 6);
  BOOST_TEST(p.polls() == polls);
  BOOST_TEST(value_of(s.poll(w)) == 6);
}

BOOST_AUTO_TEST_CASE(block_on_copies_an_lvalue_shared_future) {
  futura::shared_future<int> s = futura::ready(4).shared();
  BOOST_TEST(futura::block_on(s) == 4);
  BOOST_TEST(s.valid());
  BOOST_TEST(futura::block_on(s) == 4);
  BOOST_TEST(value_of([&] {
               futura::waker w = futura::noop_waker();
               return s.poll(w);
             }()) == 4);
}

BOOST_AUTO_TEST_CASE(sharing_allocates_once_and_copies_and_polls_allocate_nothing) {
  probe<int> p;
  futura::waker w = futura::noop_waker();
  long at_share;
  long after;
  int sum = 0;
  {
    futura::shared_future<int> s;
    {
      allocation_count count;
      s = p.future().shared();
      at_share = count();
    }
    {
      allocation_count count;
      futura::shared_future<int> a = s;
      futura::shared_future<int> b = s;
      futura::shared_future<int> c = a;
      for (auto* f : {&s, &a, &b, &c}) (void)f->poll(w);  // four waiting copies
      p.complete(2);
      for (auto* f : {&s, &a, &b, &c}) sum += value_of(f->poll(w));
      after = count();
    }
  }
  BOOST_TEST(at_share == 1);
  BOOST_TEST(after == 0);
  BOOST_TEST(sum == 8);
}

BOOST_AUTO_TEST_CASE(the_only_copy_left_receives_the_output_by_move) {
  copy_counted::copies = 0;
  futura::shared_future<copy_counted> s = futura::lazy([] { return copy_counted(5); }).shared();
  futura::shared_future<copy_counted> other = s;
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(other.poll(w)).value == 5);
  BOOST_TEST(copy_counted::copies.load() == 1);  // s still shares the state: copied
  BOOST_TEST(value_of(s.poll(w)).value == 5);
  BOOST_TEST(copy_counted::copies.load() == 1);  // s was the last copy: moved
}

BOOST_AUTO_TEST_CASE(a_copy_dropped_while_waiting_is_not_woken_and_releases_its_waker) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  counting_waker cw;
  {
    futura::shared_future<int> a = s;
    futura::waker w = cw.make();
    BOOST_TEST(a.poll(w).is_pending());
    BOOST_TEST(cw.live_clones() == 2);  // ours and the registered one
  }
  BOOST_TEST(cw.live_clones() == 0);
  p.complete(1);
  BOOST_TEST(cw.wakes() == 0);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(s.poll(w)) == 1);
}

BOOST_AUTO_TEST_CASE(dropping_the_copy_that_polled_does_not_strand_the_others) {
  probe<int> p;
  futura::shared_future<int> s = p.future().shared();
  futura::shared_future<int> other = s;
  counting_waker cw;
  futura::waker w = cw.make();
  futura::waker nw = futura::noop_waker();
  BOOST_TEST(s.poll(nw).is_pending());
  BOOST_TEST(other.poll(w).is_pending());  // both registered; the inner holds the notifier
  { futura::shared_future<int> gone = std::move(s); }
  p.complete(8);
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(value_of(other.poll(w)) == 8);
}

BOOST_AUTO_TEST_CASE(a_wake_during_the_inner_poll_reaches_the_polling_copy) {
  futura::shared_future<int> s = futura::yield_now().then([] { return 12; }).shared();
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST(cw.wakes() >= 1);  // the inner woke itself during the poll (rule 3)
  BOOST_TEST(value_of(s.poll(w)) == 12);
}

BOOST_AUTO_TEST_CASE(a_copy_that_registers_after_a_wake_during_another_copys_poll_is_woken) {
  auto r = std::make_shared<reentry>();
  futura::shared_future<int> a = futura::shared_future<int>(reentrant_future(r));
  futura::shared_future<int> b = a;
  counting_waker cw_b;
  r->other = &b;
  r->other_waker = cw_b.make();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(a.poll(w).is_pending());
  BOOST_TEST(r->other_was_pending);  // b found a polling: it only registered
  BOOST_TEST(cw_b.wakes() == 1);     // the inner's wake came before b registered: a's poll passed it on
  r->other = nullptr;
}

BOOST_AUTO_TEST_CASE(a_copy_that_registers_during_the_completing_poll_is_woken) {
  auto r = std::make_shared<reentry>();
  r->finish = true;
  futura::shared_future<int> a = futura::shared_future<int>(reentrant_future(r));
  futura::shared_future<int> b = a;
  counting_waker cw_b;
  r->other = &b;
  r->other_waker = cw_b.make();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(a.poll(w)) == 1);
  BOOST_TEST(r->other_was_pending);
  BOOST_TEST(cw_b.wakes() == 1);
  BOOST_TEST(value_of(b.poll(w)) == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(polling_a_completed_copy_is_reported) {
  futura::shared_future<int> s = futura::ready(1).shared();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(value_of(s.poll(w)) == 1);
  BOOST_TEST(!s.valid());
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(unit_outputs_are_shared) {
  futura::promise<void> pr;
  futura::shared_future<futura::unit> s = pr.get_future().shared();
  futura::shared_future<futura::unit> t = s;
  pr.set_value();
  BOOST_TEST((futura::block_on(s) == futura::unit{}));
  BOOST_TEST((futura::block_on(std::move(t)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(copy_and_move_assignment_share_the_same_output) {
  probe<int> p;
  probe<int> q;
  futura::shared_future<int> s = p.future().shared();
  futura::shared_future<int> t = q.future().shared();
  t = s;  // t's old state had one copy: its inner is dropped
  BOOST_TEST(q.drops() == 1);
  futura::shared_future<int> u;
  u = std::move(t);
  BOOST_TEST(!t.valid());
  p.complete(10);
  BOOST_TEST(futura::block_on(std::move(u)) == 10);
  BOOST_TEST(futura::block_on(std::move(s)) == 10);
}

BOOST_AUTO_TEST_CASE(then_works_on_a_copy) {
  futura::shared_future<int> s = futura::ready(20).shared();
  BOOST_TEST(futura::block_on(futura::shared_future<int>(s).then([](int x) { return x + 1; })) == 21);
  BOOST_TEST(futura::block_on(s) == 20);
}

BOOST_AUTO_TEST_CASE(a_shared_deep_boxed_chain_completes_on_several_threads) {
  futura::promise<int> pr;
  futura::shared_future<int> s = plus_one_chain(pr.get_future(), 100000).shared();
  constexpr int n = 4;
  std::vector<int> got(n, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([s, &got, i] { got[static_cast<std::size_t>(i)] = futura::block_on(s); });
  }
  pr.set_value(0);
  for (auto& t : threads) t.join();
  for (int g : got) BOOST_TEST(g == 100000);
}

BOOST_AUTO_TEST_CASE(a_shared_link_in_the_middle_of_a_deep_boxed_chain_completes) {
  // The shared future sits deep in the chain and its inner is deep too: the inner's deferred
  // work is finished inside the shared future's poll (its own trampoline context).
  futura::shared_future<int> middle = plus_one_chain(futura::ready(0), 50000).shared();
  futura::shared_future<int> keep = middle;
  futura::boxed_future<int> f = plus_one_chain(std::move(middle), 50000);
  BOOST_TEST(futura::block_on(std::move(f)) == 100000);
  BOOST_TEST(futura::block_on(std::move(keep)) == 50000);
}

BOOST_AUTO_TEST_CASE(dropping_every_copy_of_a_pending_shared_deep_chain_destroys_it) {
  probe<int> bottom;
  {
    futura::shared_future<int> s = plus_one_chain(bottom.future(), 100000).shared();
    futura::shared_future<int> t = s;
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
  }
  BOOST_TEST(bottom.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
