// Every executor's poll is the root of its own trampoline context (futura/combinator/detail/root_poll.hpp):
// deep boxed chains polled by block_on, block_on(io_context&), a spawned task or shared_future
// complete, and are destroyed safely on any thread, even when that executor runs inside the poll
// of another deep chain. (Reliability I, defect 1: block_on(ctx) and task polls did not open a
// root, so their deep links waited for the outer chain's root, which could not run.)
#include <support/probe.hpp>

#include <futura/combinator/boxed.hpp>
#include <futura/combinator/shared.hpp>
#include <futura/executor/poll_root.hpp>

#include <boost/test/unit_test.hpp>

#if FUTURA_HAS_EXCEPTIONS  // the Asio layer needs exceptions
#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#endif  // FUTURA_HAS_EXCEPTIONS

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace {

using futura_test::probe;

struct counting_waker_guard {
  futura_test::counting_waker target;
};

constexpr int limit = static_cast<int>(futura::detail::boxed_poll_depth_limit);

using futura_test::plus_one_chain;

/// `f` under 2 * limit - 1 boxes: `f` itself is polled where the trampoline defers a box, so
/// whatever `f` polls runs inside the poll of a deep chain, at a depth greater than zero.
template <class F>
futura::boxed_future<int> inside_a_deep_chain(F f) {
  return plus_one_chain(futura::boxed_future<int>(std::move(f)), 2 * limit - 1);
}

#if FUTURA_HAS_EXCEPTIONS  // the Asio layer needs exceptions
/// A hang guard for tests whose failure mode is a deadlock: if the context is still running
/// the test after a long while, a handler throws out of run_one instead of waiting forever.
struct deadlock_guard {
  explicit deadlock_guard(boost::asio::io_context& ctx) : timer(ctx, std::chrono::seconds(120)) {
    timer.async_wait([](boost::system::error_code ec) {
      if (!ec) throw std::runtime_error("deadlock: the deep chain never completed");
    });
  }
  ~deadlock_guard() { timer.cancel(); }
  boost::asio::steady_timer timer;
};
#endif  // FUTURA_HAS_EXCEPTIONS

}  // namespace

BOOST_AUTO_TEST_SUITE(root_poll)

BOOST_AUTO_TEST_CASE(block_on_inside_a_deep_chain_completes_a_deep_chain) {
  auto outer =
      inside_a_deep_chain(futura::lazy([] { return futura::block_on(plus_one_chain(futura::ready(0), 300)); }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 300 + 2 * limit - 1);
}

#if FUTURA_HAS_EXCEPTIONS  // the Asio layer needs exceptions
BOOST_AUTO_TEST_CASE(block_on_io_context_inside_a_deep_chain_completes_a_deep_chain) {
  boost::asio::io_context ctx;
  deadlock_guard guard(ctx);
  auto outer =
      inside_a_deep_chain(futura::lazy([&] { return futura::block_on(ctx, plus_one_chain(futura::ready(0), 300)); }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 300 + 2 * limit - 1);
}

BOOST_AUTO_TEST_CASE(a_task_first_polled_by_a_nested_block_on_io_context_completes_its_deep_chain) {
  boost::asio::io_context ctx;
  deadlock_guard guard(ctx);
  auto task = futura::spawn(ctx, plus_one_chain(futura::ready(0), 300));
  // The task's first poll runs in a handler of the run_one inside this block_on(ctx), itself
  // inside the poll of a deep chain: the task's own deep links must not wait for that chain.
  auto outer = inside_a_deep_chain(futura::lazy([&] { return futura::block_on(ctx, std::move(task)); }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 300 + 2 * limit - 1);
}

BOOST_AUTO_TEST_CASE(a_task_polled_inside_a_deep_chain_can_be_aborted_and_destroyed_on_another_thread) {
  boost::asio::io_context ctx;
  futura::promise<int> never;
  auto task = futura::spawn(ctx, plus_one_chain(never.get_future().boxed(), 300));
  auto outer = inside_a_deep_chain(futura::lazy([&] {
    // A self-waking future: block_on(ctx) runs one ready handler (the task's first poll) on
    // this thread, inside the deep chain's poll, before it polls again.
    futura::block_on(ctx, futura::yield_now());
    // The task is pending on `never`. Abort it and let another thread run the context: the
    // task's future (300 boxes) is destroyed there, and none of its boxes may still refer to
    // this thread's trampoline.
    std::thread other([&] {
      task.abort();
      ctx.run();
    });
    other.join();
    return 0;
  }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 2 * limit - 1);
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(task)), futura::future_error,
                        [](const futura::future_error& e) { return e.code() == futura::error::aborted; });
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(a_shared_copy_polled_inside_a_deep_chain_leaves_nothing_for_another_thread_to_trip_on) {
  // One copy polls the shared deep chain inside another deep chain's poll; while that poll is
  // still on this thread's stack, another thread completes the chain through a second copy.
  // Without a root scope around the inner poll, the inner's deep links would still be entries
  // of this thread's trampoline, and the other thread would find boxes marked as deferred.
  futura::promise<int> bottom;
  auto shared = plus_one_chain(bottom.get_future().boxed(), 300).shared();
  auto copy = shared;
  auto outer = inside_a_deep_chain(futura::lazy([&] {
    futura::waker w = futura::noop_waker();
    BOOST_REQUIRE(shared.poll(w).is_pending());
    int v = 0;
    std::thread other([&] {
      bottom.set_value(1);
      v = futura::block_on(std::move(copy));
    });
    other.join();
    return v;
  }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 301 + 2 * limit - 1);
  BOOST_TEST(futura::block_on(std::move(shared)) == 301);
}

BOOST_AUTO_TEST_CASE(an_executor_written_by_a_user_polls_through_poll_root_and_may_hand_the_future_on) {
  // A user's executor runs inside a deep chain's poll, polls a deep chain of its own through
  // poll_root, then hands it to another thread: nothing of that poll is left on this thread.
  probe<int> bottom;
  std::optional<futura::boxed_future<int>> handed;
  counting_waker_guard guard;
  auto outer = inside_a_deep_chain(futura::lazy([&] {
    auto chain = plus_one_chain(bottom.future().boxed(), 300);
    futura::waker w = guard.target.make();
    BOOST_REQUIRE(futura::poll_root(chain, w).is_pending());
    BOOST_TEST(bottom.polls() == 1);  // the deep links were driven down to the bottom, here
    handed.emplace(std::move(chain));
    return 0;
  }));
  BOOST_TEST(futura::block_on(std::move(outer)) == 2 * limit - 1);
  bottom.complete(5);
  BOOST_TEST(guard.target.wakes() == 1);
  int v = 0;
  std::thread other([&] { v = futura::block_on(std::move(*handed)); });
  other.join();
  BOOST_TEST(v == 305);
}

#if FUTURA_HAS_EXCEPTIONS  // the Asio layer needs exceptions
BOOST_AUTO_TEST_CASE(a_task_on_a_thread_running_its_context_completes_a_deep_chain_woken_later) {
  // The plain case, for contrast: a task polled at depth zero.
  boost::asio::io_context ctx;
  probe<int> bottom;
  auto task = futura::spawn(ctx, plus_one_chain(bottom.future().boxed(), 1000));
  ctx.poll();
  bottom.complete(1);
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(task)) == 1001);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_SUITE_END()
