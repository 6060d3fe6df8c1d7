// block_on(f): runs a future on the calling thread, parking between wakeups.
#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

using namespace futura_test;

namespace {

/// Counts how often block_on polls a promise future.
template <class F>
struct poll_counter : futura::future_ext<poll_counter<F>> {
  using output_type = futura::output_t<F>;
  F inner;
  std::atomic<int>* polls;
  poll_counter(F f, std::atomic<int>* n) : inner(std::move(f)), polls(n) {}
  futura::poll_result<output_type> poll(futura::waker& w) {
    ++*polls;
    return inner.poll(w);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(block_on)

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(returns_the_output) { BOOST_TEST(futura::block_on(futura::ready(5)) == 5); }

BOOST_AUTO_TEST_CASE(rethrows_what_the_future_threw) {
  BOOST_CHECK_THROW(futura::block_on(futura::lazy([]() -> int { throw std::domain_error("x"); })), std::domain_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(polls_again_only_after_a_wake) {
  // A pending future is polled once, the thread parks, and the wake from another thread
  // causes exactly one more poll: no spinning.
  futura::promise<int> p;
  std::atomic<int> polls{0};
  poll_counter f(p.get_future(), &polls);
  std::thread setter;
  auto started = futura::lazy([&] {
    setter = std::thread([&p] { p.set_value(9); });
    return futura::unit{};
  });
  int v = futura::block_on(std::move(started).then([&] { return std::move(f); }));
  setter.join();
  BOOST_TEST(v == 9);
  BOOST_TEST(polls.load() <= 2);  // 1 when the value beat the first poll, else exactly 2
  BOOST_TEST(polls.load() >= 1);
}

BOOST_AUTO_TEST_CASE(an_lvalue_is_copied) {
  auto f = futura::ready(3);
  BOOST_TEST(futura::block_on(f) == 3);
  BOOST_TEST(futura::block_on(f) == 3);  // the original was not consumed
}

BOOST_AUTO_TEST_CASE(a_self_waking_future_is_polled_until_ready) {
  int n = 0;
  auto f = futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
    if (++n == 1000) return n;
    w.wake();
    return futura::pending;
  });
  BOOST_TEST(futura::block_on(std::move(f)) == 1000);
}

BOOST_AUTO_TEST_CASE(nested_block_on_does_not_steal_the_outer_wakeup) {
  futura::promise<int> outer_p;
  auto outer_f = outer_p.get_future();
  std::thread setter;
  auto inner_work = futura::lazy([&] {
    // The outer future registers its waker, then an inner block_on runs on the same thread
    // while the outer promise is set from another thread.
    futura::promise<int> inner_p;
    auto inner_f = inner_p.get_future();
    setter = std::thread([&outer_p, inner_p = std::move(inner_p)]() mutable {
      outer_p.set_value(1);
      inner_p.set_value(2);
    });
    return futura::block_on(std::move(inner_f));
  });
  // join by hand: poll outer first (registers), then run the nested block_on.
  bool outer_registered = false;
  std::optional<int> inner_result;
  auto both = futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
    auto r = outer_f.poll(w);
    if (!outer_registered) {
      outer_registered = true;
      BOOST_TEST(r.is_pending());
      auto ir = inner_work.poll(w);
      BOOST_REQUIRE(ir.is_ready());
      inner_result = ir.value();
      return futura::pending;  // the outer waker was registered before the nested call
    }
    if (r.is_ready()) return r.value() + *inner_result;
    return futura::pending;
  });
  BOOST_TEST(futura::block_on(std::move(both)) == 3);
  setter.join();
}

BOOST_AUTO_TEST_CASE(waker_outlives_block_on_and_its_thread) {
  futura::waker kept;
  std::thread t([&] {
    futura::block_on(futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
      kept = w;  // a clone escapes
      return 1;
    }));
  });
  t.join();
  kept.wake();  // the thread and its parker are gone from its point of view: harmless
  kept = futura::waker();
  futura::waker again;
  futura::block_on(futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
    again = w;
    return 1;
  }));
  again.wake();  // a stale wake to this thread's parker: the next block_on tolerates it
  BOOST_TEST(futura::block_on(futura::ready(2)) == 2);
}

BOOST_AUTO_TEST_CASE(many_threads_block_on_concurrently) {
  std::vector<std::thread> threads;
  std::atomic<int> total{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&total] {
      for (int i = 0; i < 2000; ++i) {
        futura::promise<int> p;
        auto f = p.get_future();
        std::thread s([p = std::move(p)]() mutable { p.set_value(1); });
        total += futura::block_on(std::move(f));
        s.join();
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(total.load() == 8000);
}

BOOST_AUTO_TEST_SUITE_END()
