// Loops and streams on an executor: a loop_fn whose steps are pending once each runs in a spawned
// task, and the cooperative budget keeps an always-ready for_each from starving a timer task on the
// same io_context (the loops and consumers themselves: test/combinator/loop_fn_test.cpp and
// test/stream/).
#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

namespace {
using int_step = futura::loop_step<int, int>;
}  // namespace

BOOST_AUTO_TEST_SUITE(loops_on_executor)

BOOST_AUTO_TEST_CASE(a_million_iterations_pending_once_each_complete_in_a_spawned_task) {
  constexpr int n = FUTURA_HAS_TSAN ? 100'000 : 1'000'000;
  int steps = 0;
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::loop_fn(0, [&](int i) {
                           ++steps;
                           return futura::yield_now().then([i]() -> int_step {
                             if (i == n) return futura::loop_break(i);
                             return futura::loop_continue(i + 1);
                           });
                         }));
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == n);
  BOOST_TEST(steps == n + 1);
}

BOOST_AUTO_TEST_CASE(an_always_ready_for_each_does_not_starve_a_timer_task_on_the_same_context) {
  // One thread runs both tasks. Without the budget the for_each would run its whole bounded
  // stream inside its first poll, and the timer task would complete only after it.
  boost::asio::io_context ctx;
  bool stop = false;
  bool for_each_done = false;
  bool for_each_done_when_the_timer_fired = true;
  long items_when_the_timer_fired = 0;
  long items = 0;
  constexpr long bound = 1'000'000'000;  // ends the test should the budget fail
  auto busy = futura::spawn(ctx, futura::stream::repeat(1)
                                     .take(bound)
                                     .take_while([&](const int&) { return !stop; })
                                     .for_each([&](int) { ++items; })
                                     .then([&] { for_each_done = true; }));
  auto start = std::chrono::steady_clock::now();
  auto timer = futura::spawn(ctx, futura::sleep_for(ctx, std::chrono::milliseconds(10)).then([&] {
    for_each_done_when_the_timer_fired = for_each_done;
    items_when_the_timer_fired = items;
    stop = true;
  }));
  ctx.run();
  auto elapsed = std::chrono::steady_clock::now() - start;
  futura::block_on(std::move(timer));
  futura::block_on(std::move(busy));
  BOOST_TEST(!for_each_done_when_the_timer_fired);
  BOOST_TEST(items_when_the_timer_fired > 0);  // the for_each was running meanwhile
  BOOST_TEST(items < bound);
  BOOST_TEST(for_each_done);
  BOOST_TEST((elapsed < std::chrono::seconds(30)));  // generous: only catches a starved timer
}

BOOST_AUTO_TEST_SUITE_END()
