// interval: the first tick at the first poll, the exact schedule, the three missed-tick
// behaviours, wakes, cancellation on drop, no allocation per tick in steady state.
//
// Its own program: it replaces the global allocation functions (support/allocation_counter.hpp).
#include <support/asio_allocation_counter.hpp>  // one per program: see the header
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/interval.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/stream/collect.hpp>
#include <futura/stream/next.hpp>
#include <futura/stream/take.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::never_in_this_test;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto period = milliseconds(2);

/// Polls `s` once with `w` and returns its tick; fails the test when it is pending.
template <class S>
steady::time_point ready_tick(S& s, futura::waker& w) {
  auto r = s.poll_next(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST_REQUIRE(r.value().has_value());
  return *r.value();
}

/// The next tick of `s`, running `ctx`'s handlers (its timer) while it is pending.
template <class S>
steady::time_point next_tick(asio::io_context& ctx, S& s) {
  futura::waker w = futura::noop_waker();
  for (int turn = 0; turn < 1000; ++turn) {
    auto r = s.poll_next(w);
    if (r.is_ready()) return *r.value();
    ctx.restart();
    ctx.run_one();  // blocks until the timer's handler has run
  }
  BOOST_FAIL("the interval did not tick within 1000 turns of its context");
  return {};
}

/// Lets the clock pass `t` without polling anything (a bounded spin on the clock, the cause of
/// missed ticks under test, not a synchronisation).
void let_the_clock_pass(steady::time_point t) {
  for (long turn = 0; turn < 100'000'000L && steady::now() < t; ++turn) std::this_thread::yield();
  BOOST_TEST_REQUIRE((steady::now() >= t));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(interval_stream)

BOOST_AUTO_TEST_CASE(the_first_tick_is_ready_at_the_first_poll_with_that_polls_time) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, never_in_this_test);
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, steady::time_point>);
  BOOST_TEST(drain(ctx));  // nothing armed before the first poll
  counting_waker cw;
  futura::waker w = cw.make();
  const auto before = steady::now();
  const auto first = ready_tick(s, w);
  const auto after = steady::now();
  BOOST_TEST((before <= first));
  BOOST_TEST((first <= after));
  BOOST_TEST(drain(ctx));  // the first tick needed no timer
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(!drain(ctx));  // the second does
  BOOST_TEST(cw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(burst_ticks_are_scheduled_at_exact_multiples_of_the_period) {
  asio::io_context ctx;
  std::vector<steady::time_point> ticks = futura::block_on(ctx, futura::interval(ctx, period).take(6).collect());
  BOOST_TEST_REQUIRE(ticks.size() == 6u);
  for (std::size_t k = 0; k < ticks.size(); ++k) BOOST_TEST((ticks[k] == ticks[0] + static_cast<int>(k) * period));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(the_timer_wakes_the_waker_of_the_last_poll) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, milliseconds(20));
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  const auto start = ready_tick(s, w1);
  // The second tick is due at start + period; until then polls are pending.
  if (s.poll_next(w1).is_ready()) return;  // this thread was descheduled for a whole period
  if (s.poll_next(w2).is_ready()) return;
  ctx.run_one();  // the timer fires
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST((ready_tick(s, w2) == start + milliseconds(20)));
}

BOOST_AUTO_TEST_CASE(burst_yields_the_missed_ticks_at_once_then_keeps_the_schedule) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, period);
  counting_waker cw;
  futura::waker w = cw.make();
  const auto start = ready_tick(s, w);
  let_the_clock_pass(start + 3 * period + period / 2);
  // Each missed tick is ready at its poll: no handler of ctx ran, nothing woke the waker.
  BOOST_TEST((ready_tick(s, w) == start + period));
  BOOST_TEST((ready_tick(s, w) == start + 2 * period));
  BOOST_TEST((ready_tick(s, w) == start + 3 * period));
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST((next_tick(ctx, s) == start + 4 * period));
  BOOST_TEST((next_tick(ctx, s) == start + 5 * period));
}

BOOST_AUTO_TEST_CASE(delay_yields_one_late_tick_then_schedules_the_next_a_period_after_it) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, period, futura::missed_tick::delay);
  BOOST_TEST((s.behaviour() == futura::missed_tick::delay));
  futura::waker w = futura::noop_waker();
  const auto start = ready_tick(s, w);
  let_the_clock_pass(start + 3 * period + period / 2);
  const auto before = steady::now();
  BOOST_TEST((ready_tick(s, w) == start + period));  // the late tick, at its scheduled time
  const auto after = steady::now();
  const auto next = next_tick(ctx, s);
  BOOST_TEST((next >= before + period));  // scheduled a period after the late tick was yielded
  BOOST_TEST((next <= after + period));
  BOOST_TEST((next_tick(ctx, s) >= next + period));
}

BOOST_AUTO_TEST_CASE(skip_yields_one_late_tick_then_the_next_multiple_of_the_period_after_now) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, period, futura::missed_tick::skip);
  futura::waker w = futura::noop_waker();
  const auto start = ready_tick(s, w);
  let_the_clock_pass(start + 3 * period + period / 2);
  const auto before = steady::now();
  BOOST_TEST((ready_tick(s, w) == start + period));
  const auto after = steady::now();
  const auto next = next_tick(ctx, s);
  BOOST_TEST(((next - start) % period).count() == 0);  // on the original grid
  BOOST_TEST((next >= start + 4 * period));
  BOOST_TEST((next > before));           // after the moment the late tick was yielded
  BOOST_TEST((next - period <= after));  // and the first such point of the grid
  const auto following = next_tick(ctx, s);
  BOOST_TEST(((following - start) % period).count() == 0);
  BOOST_TEST((following >= next + period));
}

BOOST_AUTO_TEST_CASE(a_tick_late_by_less_than_a_period_keeps_the_schedule_in_every_mode) {
  constexpr auto slow = milliseconds(20);
  for (auto behaviour : {futura::missed_tick::burst, futura::missed_tick::delay, futura::missed_tick::skip}) {
    asio::io_context ctx;
    auto s = futura::interval(ctx, slow, behaviour);
    futura::waker w = futura::noop_waker();
    const auto start = ready_tick(s, w);
    let_the_clock_pass(start + slow + slow / 2);  // the second tick is half a period late
    BOOST_TEST((ready_tick(s, w) == start + slow));
    const auto after = steady::now();
    // Only a tick yielded less than a period late is on time by definition; a thread
    // descheduled for longer than that makes this round say nothing.
    if (after >= start + 2 * slow) continue;
    BOOST_TEST((next_tick(ctx, s) == start + 2 * slow));
  }
}

BOOST_AUTO_TEST_CASE(dropping_a_waiting_interval_cancels_its_timer_and_leaves_no_work) {
  asio::io_context ctx;
  {
    auto s = futura::interval(ctx, never_in_this_test);
    futura::waker w = futura::noop_waker();
    (void)ready_tick(s, w);
    BOOST_TEST(s.poll_next(w).is_pending());
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(drain(ctx));
  ctx.restart();
  ctx.run();  // returns: no work left
}

BOOST_AUTO_TEST_CASE(dropping_an_interval_on_another_thread_cancels_it) {
  asio::io_context ctx;
  std::optional<futura::interval_stream<asio::io_context::executor_type>> s(
      futura::interval(ctx.get_executor(), never_in_this_test, futura::missed_tick::skip));
  futura::waker w = futura::noop_waker();
  (void)ready_tick(*s, w);
  BOOST_TEST(s->poll_next(w).is_pending());
  std::thread dropper([&] { s.reset(); });
  dropper.join();
  ctx.run();  // returns once the aborted wait has completed
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(a_dropped_next_future_loses_no_tick) {
  asio::io_context ctx;
  constexpr auto slow = milliseconds(20);
  auto s = futura::interval(ctx, slow);
  futura::waker w = futura::noop_waker();
  const auto start = ready_tick(s, w);
  {
    auto n = s.next();
    if (n.poll(w).is_ready()) return;  // this thread was descheduled for a whole period
  }                                    // dropped while its tick's timer waits
  BOOST_TEST((next_tick(ctx, s) == start + slow));
  BOOST_TEST((next_tick(ctx, s) == start + 2 * slow));
}

BOOST_AUTO_TEST_CASE(an_interval_may_move_between_polls_while_it_waits) {
  asio::io_context ctx;
  auto s = futura::interval(ctx, period);
  futura::waker w = futura::noop_waker();
  const auto start = ready_tick(s, w);
  (void)s.poll_next(w);
  auto moved = std::move(s);
  BOOST_TEST((next_tick(ctx, moved) == start + period));
}

BOOST_AUTO_TEST_CASE(intervals_accept_strands_and_any_io_executors) {
  asio::io_context ctx;
  auto strand = asio::make_strand(ctx);
  auto on_strand = futura::block_on(ctx, futura::interval(strand, period).take(2).collect());
  BOOST_TEST((on_strand[1] == on_strand[0] + period));
  asio::any_io_executor any = ctx.get_executor();
  auto on_any = futura::block_on(ctx, futura::interval(any, std::chrono::microseconds(500)).take(2).collect());
  BOOST_TEST((on_any[1] == on_any[0] + std::chrono::microseconds(500)));
}

BOOST_AUTO_TEST_CASE(an_interval_consumed_by_a_task_on_a_thread_pool_keeps_its_schedule) {
  // The timer's handler and the task's polls run on different threads of the pool.
  asio::thread_pool pool(2);
  std::vector<steady::time_point> ticks =
      futura::block_on(futura::spawn(pool, futura::interval(pool, period).take(10).collect()));
  BOOST_TEST_REQUIRE(ticks.size() == 10u);
  for (std::size_t k = 0; k < ticks.size(); ++k) BOOST_TEST((ticks[k] == ticks[0] + static_cast<int>(k) * period));
  pool.join();
}

BOOST_AUTO_TEST_CASE(a_non_positive_period_throws_invalid_argument) {
  asio::io_context ctx;
  BOOST_CHECK_THROW((void)futura::interval(ctx, milliseconds(0)), std::invalid_argument);
  BOOST_CHECK_THROW((void)futura::interval(ctx, milliseconds(-1), futura::missed_tick::skip), std::invalid_argument);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_waiting_interval_whose_context_is_destroyed_throws_broken_promise) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto s = futura::interval(*ctx, never_in_this_test);
  futura::waker w = futura::noop_waker();
  (void)ready_tick(s, w);
  BOOST_TEST(s.poll_next(w).is_pending());
  ctx.reset();
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error,
                        [](const futura::future_error& e) { return e.code() == futura::error::broken_promise; });
}

BOOST_AUTO_TEST_SUITE_END()

#ifndef FUTURA_TEST_SANITIZED

BOOST_AUTO_TEST_SUITE(interval_allocations)

BOOST_AUTO_TEST_CASE(ticks_allocate_nothing_in_steady_state) {
  asio::io_context ctx(1);
  auto s = futura::interval(ctx, std::chrono::microseconds(200));
  // Warm up: the timer service, its queue and this thread's recycling cache.
  for (int k = 0; k < 5; ++k) (void)next_tick(ctx, s);
  long allocations = -1;
  {
    futura_test::allocation_count heap;
    for (int k = 0; k < 50; ++k) (void)next_tick(ctx, s);
    allocations = heap.this_thread();
  }
  BOOST_TEST(allocations == 0);
}

BOOST_AUTO_TEST_SUITE_END()

#endif
