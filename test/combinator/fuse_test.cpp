// Suite fuse: a future that is safe to poll after completion.
#include <futura/combinator/fuse.hpp>

#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace {

using futura_test::counting_waker;
using futura_test::probe;

}  // namespace

BOOST_AUTO_TEST_SUITE(fuse)

BOOST_AUTO_TEST_CASE(fuse_yields_the_inner_output_and_is_terminated_only_after_it) {
  auto f = futura::ready(7).fuse();
  static_assert(std::is_same_v<decltype(f), futura::fuse_future<futura::ready_future<int>>>);
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, int>);
  BOOST_TEST(!f.is_terminated());
  futura::waker w = futura::noop_waker();
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 7);
  BOOST_TEST(f.is_terminated());
}

BOOST_AUTO_TEST_CASE(polling_a_fuse_after_completion_stays_pending_and_does_not_poll_the_inner) {
  probe<int> inner;
  inner.complete(3);
  auto f = inner.future().fuse();
  counting_waker cw;
  futura::waker w = cw.make();
  auto first = f.poll(w);
  BOOST_TEST_REQUIRE(first.is_ready());
  BOOST_TEST(inner.polls() == 1);
  for (int i = 0; i < 3; ++i) {
    auto again = f.poll(w);  // would be rule 4's error without fuse: no throw here
    BOOST_TEST(again.is_pending());
  }
  BOOST_TEST(inner.polls() == 1);
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST(f.is_terminated());
}

BOOST_AUTO_TEST_CASE(a_terminated_fuse_keeps_no_waker) {
  auto f = futura::ready(1).fuse();
  counting_waker cw;
  {
    futura::waker w = cw.make();
    (void)f.poll(w);
    (void)f.poll(w);
  }
  BOOST_TEST(cw.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(fuse_destroys_the_inner_future_in_the_poll_that_saw_it_ready) {
  probe<int> inner;
  auto f = inner.future().fuse();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!inner.dropped());
  inner.complete(5);
  BOOST_TEST(!inner.dropped());
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(inner.drops() == 1);  // before the fuse itself goes
}

BOOST_AUTO_TEST_CASE(a_pending_fuse_forwards_the_callers_waker_to_the_inner_future) {
  probe<std::string> inner;
  auto f = inner.future().fuse();
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!f.is_terminated());
  inner.complete("done");
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == "done");
  BOOST_TEST(inner.polls() == 2);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_inner_future_propagates_and_terminates_the_fuse) {
  probe<int> inner;
  auto f = inner.future().fuse();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  inner.fail("inner broke");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(f.is_terminated());
  BOOST_TEST(inner.drops() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(inner.polls() == 2);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(dropping_an_unfinished_fuse_drops_the_inner_future_once) {
  probe<int> inner;
  {
    auto f = inner.future().fuse();
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(inner.drops() == 1);
  BOOST_TEST(inner.polls() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_fuse_that_was_never_polled_drops_the_inner_future_unpolled) {
  probe<int> inner;
  { auto f = inner.future().fuse(); }
  BOOST_TEST(inner.drops() == 1);
  BOOST_TEST(inner.polls() == 0);
}

BOOST_AUTO_TEST_CASE(fuse_moves_a_move_only_output_out) {
  auto f = futura::fuse(futura::ready(std::make_unique<int>(9)));
  auto p = futura::block_on(std::move(f));
  BOOST_TEST_REQUIRE(static_cast<bool>(p));
  BOOST_TEST(*p == 9);
}

BOOST_AUTO_TEST_CASE(fuse_of_a_chain_completes_under_block_on) {
  int n = 0;
  auto counting = futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
    if (++n < 3) {
      w.wake();
      return futura::pending;
    }
    return n;
  });
  auto f = std::move(counting).then([](int x) { return x * 10; }).fuse();
  BOOST_TEST(futura::block_on(std::move(f)) == 30);
}

BOOST_AUTO_TEST_CASE(free_function_and_method_build_the_same_fuse) {
  static_assert(std::is_same_v<decltype(futura::fuse(futura::ready(1))), decltype(futura::ready(1).fuse())>);
  auto f = futura::fuse(futura::ready(1));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(f.poll(w).is_pending());
}

BOOST_AUTO_TEST_CASE(a_fuse_moved_between_polls_keeps_running_its_inner_future) {
  probe<int> inner;
  auto f = inner.future().fuse();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  inner.complete(4);
  auto r = moved.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 4);
  BOOST_TEST(moved.is_terminated());
}

BOOST_AUTO_TEST_SUITE_END()
