// Suite cancellation_token_asio: cancellation tokens driving tasks spawned on Asio executors, the
// way a server uses them: one shutdown token, a child per task, timers dropped by the cancel.
#include <futura/futura.hpp>

#include <support/asio_support.hpp>
#include <support/stress.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

using futura::cancellation_token;

namespace {

/// Sets its flag when destroyed: shows that a cancelled task let go of what it held.
struct drop_flag {
  std::shared_ptr<std::atomic<int>> drops;
  explicit drop_flag(std::shared_ptr<std::atomic<int>> d) : drops(std::move(d)) {}
  drop_flag(drop_flag&& o) noexcept : drops(std::move(o.drops)) {}
  drop_flag& operator=(drop_flag&&) = delete;
  ~drop_flag() {
    if (drops) ++*drops;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cancellation_token_asio)

BOOST_AUTO_TEST_CASE(cancelling_a_shutdown_token_ends_every_task_waiting_on_a_timer_with_aborted) {
  const long rounds_n = futura_test::rounds(50, 10);
  for (long r = 0; r < rounds_n; ++r) {
    boost::asio::thread_pool pool(2);
    cancellation_token shutdown;
    auto drops = std::make_shared<std::atomic<int>>(0);
    constexpr int tasks = 16;
    std::vector<futura::join_handle<boost::system::result<int>>> handles;
    for (int i = 0; i < tasks; ++i) {
      auto work = futura::lazy([ex = pool.get_executor(), held = drop_flag(drops)] {
        return futura::sleep_for(ex, futura_test::never_in_this_test).then([](futura::unit) { return 1; });
      });
      handles.push_back(futura::spawn(pool, futura::with_cancellation(shutdown.child(), std::move(work))));
    }
    // A task that waits for the shutdown itself, as a supervisor would.
    auto supervisor = futura::spawn(pool, shutdown.cancelled().then([](futura::unit) { return 7; }));
    shutdown.cancel();  // from this thread, while the pool's threads poll the tasks
    for (auto& h : handles) {
      boost::system::result<int> out = futura::block_on(std::move(h));
      BOOST_TEST_REQUIRE((out.has_error() && out.error() == futura::error::aborted));
    }
    BOOST_TEST(futura::block_on(std::move(supervisor)) == 7);
    pool.join();  // returns: every timer was dropped with its task
    BOOST_TEST(drops->load() == tasks);
  }
}

BOOST_AUTO_TEST_CASE(a_task_that_completes_before_the_cancel_keeps_its_value) {
  boost::asio::io_context ctx;
  cancellation_token shutdown;
  auto h = futura::spawn(ctx, futura::with_cancellation(shutdown.child(), futura::ready(5)));
  ctx.run();
  shutdown.cancel();
  boost::system::result<int> out = futura::block_on(std::move(h));
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(out.value() == 5);
}

BOOST_AUTO_TEST_CASE(cancelling_one_request_token_leaves_the_other_tasks_running) {
  boost::asio::io_context ctx;
  cancellation_token shutdown;
  cancellation_token first = shutdown.child();
  cancellation_token second = shutdown.child();
  auto a = futura::spawn(ctx, futura::with_cancellation(first, futura::pending_forever<int>()));
  auto b = futura::spawn(ctx, futura::with_cancellation(second, futura::pending_forever<int>()));
  BOOST_TEST(!futura_test::drain(ctx));  // both pending: nothing left to run, work outstanding
  first.cancel();
  futura_test::drain(ctx);
  BOOST_TEST(a.is_finished());
  BOOST_TEST(!b.is_finished());
  shutdown.cancel();
  BOOST_TEST(futura_test::drain(ctx));
  BOOST_TEST((futura::block_on(std::move(b)).error() == futura::error::aborted));
  BOOST_TEST((futura::block_on(std::move(a)).error() == futura::error::aborted));
}

BOOST_AUTO_TEST_SUITE_END()
