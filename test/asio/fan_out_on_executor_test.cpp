// The adapters over sets of futures in spawned tasks, with timers as children: buffer_unordered
// yields the timers in the order they fire, buffered in input order, and for_each_concurrent runs
// no more of them at once than its limit (the sets themselves: test/stream/).
#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace {

/// The delays of the children, in input order (milliseconds): they fire 0, 10, 20, 30.
std::vector<int> delays() { return {30, 0, 20, 10}; }

/// A stream of timers, each answering its delay when it fires.
auto timers(boost::asio::io_context& ctx) {
  return futura::stream::iter(delays()).map(
      [&ctx](int ms) { return futura::sleep_for(ctx, std::chrono::milliseconds(ms)).then([ms] { return ms; }); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fan_out_on_executor)

BOOST_AUTO_TEST_CASE(buffer_unordered_yields_timers_in_the_order_they_fire) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, timers(ctx).buffer_unordered(4).collect());
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == (std::vector<int>{0, 10, 20, 30}));
}

BOOST_AUTO_TEST_CASE(buffered_yields_timers_in_input_order) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, timers(ctx).buffered(2).collect());
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == delays());
}

BOOST_AUTO_TEST_CASE(for_each_concurrent_runs_at_most_limit_timers_at_once) {
  boost::asio::io_context ctx;
  int running = 0;
  int most = 0;
  int done = 0;
  auto h = futura::spawn(ctx, futura::stream::iter(delays()).for_each_concurrent(2, [&](int ms) {
    most = std::max(most, ++running);
    return futura::sleep_for(ctx, std::chrono::milliseconds(ms)).then([&] {
      --running;
      ++done;
    });
  }));
  ctx.run();
  futura::block_on(std::move(h));
  BOOST_TEST(done == 4);
  BOOST_TEST(most == 2);
}

BOOST_AUTO_TEST_SUITE_END()
