// sleep_for / sleep_until: laziness, firing, wakers, executors and contexts, cancellation on drop.
#include <support/asio_support.hpp>
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/timer.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <thread>
#include <type_traits>

namespace asio = boost::asio;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::never_in_this_test;
using std::chrono::milliseconds;

// A positive delay: the sleep is never due at its first poll, so it arms a timer (a due one
// would be ready at once), and the timer fires soon after.
constexpr std::chrono::microseconds a_microsecond{1};

BOOST_AUTO_TEST_SUITE(sleep_timers)

BOOST_AUTO_TEST_CASE(sleep_for_completes_with_unit) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(2));
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(sleep_for_arms_no_timer_before_its_first_poll) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, never_in_this_test);
  BOOST_TEST(drain(ctx));  // no work: nothing was started
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!drain(ctx));  // now a timer is waiting
}

BOOST_AUTO_TEST_CASE(sleep_for_measures_from_the_first_poll) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(20));
  // 20 ms pass between creation and the first poll: a deadline taken at creation would have
  // passed by then and the sleep would complete at once.
  futura::block_on(ctx, futura::sleep_for(ctx, milliseconds(20)));
  const auto before_first_poll = std::chrono::steady_clock::now();
  futura::block_on(ctx, std::move(f));
  BOOST_TEST((std::chrono::steady_clock::now() - before_first_poll >= milliseconds(20)));
}

BOOST_AUTO_TEST_CASE(sleep_until_a_passed_time_point_completes_at_once) {
  asio::io_context ctx;
  auto f = futura::sleep_until(ctx, std::chrono::steady_clock::now() - milliseconds(5));
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(a_sleep_already_due_is_ready_at_its_first_poll_and_arms_no_timer) {
  asio::io_context ctx;
  const auto now = std::chrono::steady_clock::now();
  auto passed = futura::sleep_until(ctx, now - milliseconds(5));
  auto at_now = futura::sleep_until(ctx, now);
  auto zero = futura::sleep_for(ctx, milliseconds(0));
  auto negative = futura::sleep_for(ctx, milliseconds(-3));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(passed.poll(w).is_ready());
  BOOST_TEST(at_now.poll(w).is_ready());
  BOOST_TEST(zero.poll(w).is_ready());
  BOOST_TEST(negative.poll(w).is_ready());
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST(cw.live_clones() == 1);  // `w` only: no timer holds a clone
  BOOST_TEST(drain(ctx));             // and no work was started
  try {
    (void)zero.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_CASE(sleep_until_fires_at_its_time_point) {
  asio::io_context ctx;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5);
  futura::block_on(ctx, futura::sleep_until(ctx, deadline));
  BOOST_TEST((std::chrono::steady_clock::now() >= deadline));
}

BOOST_AUTO_TEST_CASE(sleeps_accept_executors_strands_and_contexts) {
  asio::io_context ctx;
  futura::block_on(ctx, futura::sleep_for(ctx.get_executor(), milliseconds(1)));
  auto strand = asio::make_strand(ctx);
  futura::block_on(ctx, futura::sleep_for(strand, milliseconds(1)));
  asio::any_io_executor any = ctx.get_executor();
  futura::block_on(ctx, futura::sleep_until(any, std::chrono::steady_clock::now() + milliseconds(1)));
  const asio::io_context::executor_type const_ex = ctx.get_executor();
  futura::block_on(ctx, futura::sleep_for(const_ex, std::chrono::microseconds(10)));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_sleep_and_its_state_on_an_io_context_stay_small) {
  // Each waiting sleep's state is read back by its expiry: its size is what 100k waiting sleeps
  // cost in cache (docs/performance.md, W5). Its wait operation fits in it: as_future_alloc_test.
  BOOST_TEST(sizeof(futura::detail::timer_op_state<asio::io_context::executor_type>) <= 4 * 64u);
  // And a join_all of sleeps keeps one future per child: an executor, a time and the stage.
  BOOST_TEST(sizeof(futura::sleep_future<asio::io_context::executor_type>) <= 24u);
}

BOOST_AUTO_TEST_CASE(sleep_for_on_a_thread_pool_completes_under_plain_block_on) {
  asio::thread_pool pool(1);
  BOOST_TEST((futura::block_on(futura::sleep_for(pool, milliseconds(1))) == futura::unit{}));
  pool.join();
}

BOOST_AUTO_TEST_CASE(the_timer_wakes_the_waker_of_the_last_poll_once) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(f.poll(w2).is_pending());
  ctx.run();  // the timer fires
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(f.poll(w2).is_ready());
}

BOOST_AUTO_TEST_CASE(the_first_poll_registers_one_clone_that_the_expiry_wakes_and_drops) {
  // The first poll registers its waker before it arms the timer (docs/performance.md,
  // "Change 12"): the state holds one clone from then on, and the expiry wakes and drops it.
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  futura_test::strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.live_clones() == 2);  // ours and the state's
  BOOST_TEST(target.wakes() == 0);
  ctx.run();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 1);
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(target.underflows() == 0);
}

#if FUTURA_CHAOS_ENABLED
// The first poll arms the timer with its waker already registered, then asks whether the wait
// still runs. Here the timer fires on the io thread in between: its handler wakes the waker of
// the first poll, and that poll, seeing the wait finished, is ready at once.
BOOST_AUTO_TEST_CASE(a_sleep_that_fires_on_another_thread_during_its_first_poll_is_ready_and_woken_once) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  futura_test::joining_thread io([&] { ctx.run(); });
  futura_test::strict_waker target;
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& started = gates.add("async_op.started");
  auto f = futura::sleep_for(ctx, a_microsecond);
  bool ready = false;
  futura_test::joining_thread poller([&] {
    started.bind_this_thread();
    futura::waker w = target.make();
    ready = f.poll(w).is_ready();
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(started), "async_op.started never reached");
  BOOST_REQUIRE_MESSAGE(futura_test::wait_until([&] { return target.wakes() == 1; }), "the expiry never woke the poll's waker");
  started.open();
  poller.join();
  BOOST_TEST(ready);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 0);
  guard.reset();
}
#endif

BOOST_AUTO_TEST_CASE(a_sleep_may_move_between_polls) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(1));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  futura::block_on(ctx, std::move(moved));
}

BOOST_AUTO_TEST_CASE(dropping_a_waiting_sleep_cancels_its_timer_and_leaves_no_work) {
  asio::io_context ctx;
  {
    auto f = futura::sleep_for(ctx, never_in_this_test);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(dropping_a_sleep_on_another_thread_cancels_it_at_once) {
  asio::io_context ctx;
  std::optional<futura::sleep_future<asio::io_context::executor_type>> f(futura::sleep_for(ctx, never_in_this_test));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f->poll(w).is_pending());
  std::thread dropper([&] { f.reset(); });
  dropper.join();
  ctx.run();  // returns once the aborted wait has completed
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(drops_racing_with_firing_timers_on_two_threads_are_safe) {
  // Each sleep is due a microsecond after its first poll: its handler (destroying the timer)
  // races with the drop here (cancelling it). Whichever wins, nothing is touched after free and no work is left.
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread io1([&] { ctx.run(); });
  std::thread io2([&] { ctx.run(); });
  for (int i = 0; i < 500; ++i) {
    auto f = futura::sleep_for(ctx, a_microsecond);
    futura::waker w = futura::noop_waker();
    (void)f.poll(w);
  }
  guard.reset();
  io1.join();
  io2.join();
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(a_sleep_may_outlive_its_completed_wait_and_its_context) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto f = futura::sleep_for(*ctx, a_microsecond);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  ctx->run();   // the wait completes; the timer is destroyed with it
  ctx.reset();  // then the context goes, while the future still holds the result
  BOOST_TEST(f.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(many_sleeps_on_a_two_thread_context_all_fire) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread io([&] { ctx.run(); });
  for (int i = 0; i < 100; ++i) futura::block_on(ctx, futura::sleep_for(ctx, std::chrono::microseconds(i * 10)));
  guard.reset();
  io.join();
}

BOOST_AUTO_TEST_CASE(a_sleep_whose_context_is_destroyed_throws_broken_promise) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto f = futura::sleep_for(*ctx, never_in_this_test);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  ctx.reset();
  BOOST_TEST(cw.wakes() == 1);
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::broken_promise));
  }
}

BOOST_AUTO_TEST_CASE(polling_a_sleep_after_completion_throws_polled_after_completion) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  ctx.run();
  BOOST_TEST(f.poll(w).is_ready());
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_SUITE_END()
