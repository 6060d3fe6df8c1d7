// Suite semaphore_asio: a semaphore limiting tasks spawned on a multi-threaded Asio executor, the
// way a server bounds its concurrent work.
#include <futura/futura.hpp>

#include <support/stress.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace {

/// What the tasks saw: holders now, the most at once, and acquisitions that failed.
struct holders {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  std::atomic<int> failures{0};
  std::atomic<long> pairs{0};

  void enter() {
    const int n = now.fetch_add(1, std::memory_order_acq_rel) + 1;
    for (int m = most.load(std::memory_order_relaxed); n > m && !most.compare_exchange_weak(m, n);) {
    }
  }
  void leave() { now.fetch_sub(1, std::memory_order_acq_rel); }
};

/// `pairs` acquire/release pairs in a loop; every other one holds its permit across a yield, so
/// that holders overlap and the other tasks queue behind them. A holder is counted from its grant
/// until just before its permit goes back, so the count never exceeds the real holders.
auto acquire_release_loop(futura::semaphore& sem, holders& h, long pairs) {
  return futura::loop_fn(0L, [&sem, &h, pairs](long i) {
    return sem.acquire().then([&h, i, pairs](boost::system::result<futura::semaphore_permit> permit) {
      std::optional<futura::semaphore_permit> held;
      const bool hold_across_yield = i % 2 == 0;
      if (permit) {
        h.enter();
        if (!hold_across_yield) h.leave();
        held.emplace(std::move(*permit));
      } else {
        h.failures.fetch_add(1);
      }
      return futura::yield_now().then([&h, i, pairs, hold_across_yield, held = std::move(held)](
                                          futura::unit) mutable -> futura::loop_step<futura::unit, long> {
        if (!held) return futura::loop_break();
        if (hold_across_yield) h.leave();
        held.reset();  // the permit goes back here
        h.pairs.fetch_add(1, std::memory_order_relaxed);
        if (i + 1 == pairs) return futura::loop_break();
        return futura::loop_continue(i + 1);
      });
    });
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semaphore_asio)

BOOST_AUTO_TEST_CASE(eight_tasks_on_a_thread_pool_never_exceed_the_permits) {
  // 8 tasks x 10^5 acquire/release pairs on two threads (10^4 under sanitizers).
  const long pairs = futura_test::rounds(100'000, 10'000);
  constexpr int tasks = 8;
  for (std::size_t permits : {std::size_t{1}, std::size_t{3}}) {
    BOOST_TEST_CONTEXT("permits " << permits) {
      futura::semaphore sem(permits);
      holders h;
      boost::asio::thread_pool pool(2);
      std::vector<futura::join_handle<futura::unit>> handles;
      for (int t = 0; t < tasks; ++t) handles.push_back(futura::spawn(pool, acquire_release_loop(sem, h, pairs)));
      for (auto& handle : handles) futura::block_on(std::move(handle));
      pool.join();
      BOOST_TEST(h.failures.load() == 0);
      BOOST_TEST(h.pairs.load() == tasks * pairs);
      BOOST_TEST_MESSAGE("permits " << permits << ": at most " << h.most.load() << " holders at once");
      BOOST_TEST(h.most.load() >= 1);
      BOOST_TEST(h.most.load() <= static_cast<int>(permits));
      BOOST_TEST(h.now.load() == 0);
      BOOST_TEST(sem.available() == permits);
    }
  }
}

BOOST_AUTO_TEST_CASE(closing_the_semaphore_ends_the_waiting_tasks_with_closed) {
  futura::semaphore sem(1);
  boost::asio::thread_pool pool(2);
  futura::semaphore_permit held = *sem.try_acquire(1);  // everyone else waits
  std::vector<futura::join_handle<bool>> waiting;
  for (int t = 0; t < 8; ++t) {
    waiting.push_back(futura::spawn(pool, sem.acquire().then([](boost::system::result<futura::semaphore_permit> r) {
      return !r && r.error() == futura::error::closed;
    })));
  }
  sem.close();  // from this thread, while the pool polls the acquisitions
  for (auto& w : waiting) BOOST_TEST(futura::block_on(std::move(w)));
  pool.join();
}

BOOST_AUTO_TEST_SUITE_END()
