// loop_fn on an executor: a loop whose steps are pending once each runs in a spawned task (the
// loop itself, in constant memory, is test/combinator/loop_fn_test.cpp).
#include <futura/asio/spawn.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

namespace {
using int_step = futura::loop_step<int, int>;
}  // namespace

BOOST_AUTO_TEST_SUITE(loop_fn_task)

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

BOOST_AUTO_TEST_SUITE_END()
