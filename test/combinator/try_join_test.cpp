// Tests of futura/combinator/try_join.hpp and try_join_all.hpp: children output
// boost::system::result<T, E>; the first error wins and the rest are cancelled at once.
#include <support/probe.hpp>

#include <futura/combinator/try_join.hpp>
#include <futura/combinator/try_join_all.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using boost::system::error_code;
using boost::system::result;
using futura_test::counting_waker;
using futura_test::probe;
using futura_test::tracked;

error_code io_error() { return boost::system::errc::make_error_code(boost::system::errc::io_error); }
error_code timed_out() { return boost::system::errc::make_error_code(boost::system::errc::timed_out); }

using futura_test::is_polled_after_completion;

using futura_test::futures_of;

}  // namespace

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(try_join)

BOOST_AUTO_TEST_CASE(try_join_yields_every_value_in_argument_order_with_unit_for_result_void) {
  probe<result<std::string>> later;
  auto j = futura::try_join(futura::ready(result<int>(1)), futura::ready(result<void>()), later.future());
  static_assert(std::is_same_v<futura::output_t<decltype(j)>, result<std::tuple<int, futura::unit, std::string>>>);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  later.complete(std::string("three"));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(std::get<0>(*r.value()) == 1);
  BOOST_TEST(std::get<2>(*r.value()) == "three");
}

BOOST_AUTO_TEST_CASE(try_join_of_children_ready_at_once_is_ready_at_the_first_poll) {
  auto j = futura::try_join(futura::ready(result<int>(1)), futura::ready(result<int>(2)));
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(std::get<1>(*r.value()) == 2);
}

BOOST_AUTO_TEST_CASE(try_join_yields_the_values_whatever_order_the_children_complete) {
  std::array<int, 3> order{0, 1, 2};
  do {
    std::array<probe<result<int>>, 3> p;
    auto j = futura::try_join(p[0].future(), p[1].future(), p[2].future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    for (std::size_t k = 0; k < 3; ++k) {
      p[order[k]].complete(result<int>(order[k] + 1));
      auto r = j.poll(w);
      BOOST_TEST(r.is_ready() == (k == 2));
      if (r.is_ready()) {
        BOOST_REQUIRE(r.value().has_value());
        BOOST_TEST(std::get<0>(*r.value()) == 1);
        BOOST_TEST(std::get<1>(*r.value()) == 2);
        BOOST_TEST(std::get<2>(*r.value()) == 3);
      }
    }
  } while (std::next_permutation(order.begin(), order.end()));
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(try_join_first_error_wins_and_the_others_are_dropped_before_poll_returns) {
  tracked::reset();
  {
    probe<result<tracked>> a, b, c;
    auto j = futura::try_join(a.future(), b.future(), c.future());
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
    a.complete(result<tracked>(tracked(1)));
    BOOST_TEST(j.poll(w).is_pending());
    BOOST_TEST(tracked::alive() == 1);  // a's value, kept
    c.complete(result<tracked>(io_error()));
    auto r = j.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_REQUIRE(r.value().has_error());
    BOOST_TEST(r.value().error() == io_error());
    BOOST_TEST(a.drops() == 1);
    BOOST_TEST(b.drops() == 1);  // the running child: cancelled before poll returned
    BOOST_TEST(b.polls() == 1);
    BOOST_TEST(c.drops() == 1);
    BOOST_TEST(tracked::alive() == 0);  // a's kept value too
    BOOST_TEST(cw.live_clones() == 1);  // the parent waker is released
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
  }
  BOOST_TEST(tracked::alive() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(try_join_error_at_the_first_poll_leaves_the_later_children_unpolled_and_drops_them) {
  probe<result<int>> before, after;
  auto j = futura::try_join(before.future(), futura::ready(result<int>(timed_out())), after.future());
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == timed_out());
  BOOST_TEST(before.polls() == 1);
  BOOST_TEST(after.polls() == 0);  // argument order: polling stopped at the error
  BOOST_TEST(before.drops() == 1);
  BOOST_TEST(after.drops() == 1);
}

BOOST_AUTO_TEST_CASE(try_join_of_two_errors_in_one_poll_reports_the_first_in_argument_order) {
  probe<result<int>> a, b;
  auto j = futura::try_join(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  b.complete(result<int>(io_error()));
  a.complete(result<int>(timed_out()));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == timed_out());
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(try_join_poll_throws_when_a_child_throws_and_the_others_die_with_the_join) {
  probe<result<int>> a, b;
  {
    auto j = futura::try_join(a.future(), b.future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    b.fail("boom");
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
    BOOST_TEST(a.drops() == 0);
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_CASE(try_join_poll_throws_when_a_child_fails_at_once) {
  probe<result<int>> a;
  a.fail("at once");
  auto j = futura::try_join(futura::ready(result<int>(1)), a.future());
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(try_join_wakes_its_waker_once_per_child_wake_and_repolls_only_woken_children) {
  probe<result<int>> a, b, c;
  auto j = futura::try_join(a.future(), b.future(), c.future());
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  b.complete(result<int>(2));
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(a.polls() == 1);
  BOOST_TEST(b.polls() == 2);
  BOOST_TEST(c.polls() == 1);
  BOOST_TEST(b.drops() == 1);  // finished: destroyed at once
}

BOOST_AUTO_TEST_CASE(try_join_carries_move_only_values) {
  probe<result<std::unique_ptr<int>>> a;
  auto j = futura::try_join(a.future(), futura::ready(result<std::unique_ptr<int>>(std::make_unique<int>(2))));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  a.complete(result<std::unique_ptr<int>>(std::make_unique<int>(1)));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  auto [x, y] = *std::move(r.value());
  BOOST_TEST(*x == 1);
  BOOST_TEST(*y == 2);
}

BOOST_AUTO_TEST_CASE(try_join_works_with_any_shared_error_type) {
  auto j = futura::try_join(futura::ready(result<int, std::string>(1)),
                            futura::ready(result<void, std::string>(boost::system::in_place_error, "bad")));
  static_assert(std::is_same_v<futura::output_t<decltype(j)>, result<std::tuple<int, futura::unit>, std::string>>);
  auto r = futura::block_on(std::move(j));
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST(r.error() == "bad");
}

BOOST_AUTO_TEST_CASE(dropping_a_try_join_drops_every_child_exactly_once) {
  probe<result<int>> a, b;
  {
    auto j = futura::try_join(a.future(), b.future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_CASE(try_join_moved_between_polls_is_woken_through_the_wakers_its_children_kept) {
  probe<result<int>> a;
  auto first = futura::try_join(a.future(), futura::ready(result<int>(2)));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(first.poll(w).is_pending());
  auto moved = std::move(first);
  a.complete(result<int>(1));
  BOOST_TEST(cw.wakes() == 1);
  auto r = moved.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(std::get<0>(*r.value()) == 1);
}

BOOST_AUTO_TEST_CASE(try_join_under_block_on_gets_results_set_by_other_threads) {
  for (int round = 0; round < 50; ++round) {
    futura::promise<result<int>> p1, p2;
    futura::promise<result<void>> p3;
    auto j = futura::try_join(p1.get_future(), p2.get_future(), p3.get_future());
    std::thread t1([p = std::move(p1)]() mutable { p.set_value(result<int>(1)); });
    std::thread t2([p = std::move(p2)]() mutable { p.set_value(result<int>(2)); });
    std::thread t3([p = std::move(p3)]() mutable { p.set_value(result<void>()); });
    auto r = futura::block_on(std::move(j));
    t1.join();
    t2.join();
    t3.join();
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(std::get<0>(*r) == 1);
    BOOST_TEST(std::get<1>(*r) == 2);
  }
}

BOOST_AUTO_TEST_CASE(try_join_under_block_on_gets_an_error_set_by_another_thread) {
  futura::promise<result<int>> p1;
  probe<result<int>> never;
  auto j = futura::try_join(never.future(), p1.get_future());
  std::thread t([p = std::move(p1)]() mutable { p.set_value(result<int>(io_error())); });
  auto r = futura::block_on(std::move(j));
  t.join();
  BOOST_TEST(r.error() == io_error());
  BOOST_TEST(never.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(try_join_all)

BOOST_AUTO_TEST_CASE(try_join_all_yields_every_value_in_input_order_whatever_order_the_children_complete) {
  std::array<int, 4> order{0, 1, 2, 3};
  do {
    std::vector<probe<result<int>>> p(4);
    auto j = futura::try_join_all(futures_of(p));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    for (std::size_t k = 0; k < order.size(); ++k) {
      p[order[k]].complete(result<int>(order[k] * 10));
      auto r = j.poll(w);
      BOOST_TEST(r.is_ready() == (k + 1 == order.size()));
      if (r.is_ready()) {
        BOOST_REQUIRE(r.value().has_value());
        BOOST_TEST((*r.value() == std::vector<int>{0, 10, 20, 30}));
      }
    }
  } while (std::next_permutation(order.begin(), order.end()));
}

BOOST_AUTO_TEST_CASE(try_join_all_of_an_empty_vector_is_ready_with_no_values) {
  auto j = futura::try_join_all(std::vector<futura::ready_future<result<int>>>{});
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(r.value()->empty());
}

BOOST_AUTO_TEST_CASE(try_join_all_of_result_void_children_yields_units) {
  std::vector<futura::ready_future<result<void>>> v(3, futura::ready(result<void>()));
  auto r = futura::block_on(futura::try_join_all(std::move(v)));
  static_assert(std::is_same_v<decltype(r), result<std::vector<futura::unit>>>);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->size() == 3u);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(try_join_all_first_error_wins_and_the_others_are_dropped_before_poll_returns) {
  tracked::reset();
  {
    std::vector<probe<result<tracked>>> p(4);
    auto j = futura::try_join_all(futures_of(p));
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(j.poll(w).is_pending());
    p[0].complete(result<tracked>(tracked(0)));
    BOOST_TEST(j.poll(w).is_pending());
    BOOST_TEST(tracked::alive() == 1);
    p[3].complete(result<tracked>(io_error()));
    p[2].complete(result<tracked>(timed_out()));  // woken in the same batch: polled in input order
    auto r = j.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(r.value().error() == timed_out());
    for (auto& x : p) BOOST_TEST(x.drops() == 1);  // all gone before poll returned
    BOOST_TEST(p[1].polls() == 1);
    BOOST_TEST(tracked::alive() == 0);
    BOOST_TEST(cw.live_clones() == 1);
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
  }
  BOOST_TEST(tracked::alive() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(try_join_all_error_at_the_first_poll_leaves_the_later_children_unpolled) {
  std::vector<probe<result<int>>> p(3);
  p[1].complete(result<int>(timed_out()));
  auto j = futura::try_join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == timed_out());
  BOOST_TEST(p[0].polls() == 1);
  BOOST_TEST(p[2].polls() == 0);
  for (auto& x : p) BOOST_TEST(x.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(try_join_all_poll_throws_when_a_child_throws_and_the_others_die_with_the_join) {
  std::vector<probe<result<int>>> p(3);
  {
    auto j = futura::try_join_all(futures_of(p));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(j.poll(w).is_pending());
    p[1].fail("boom");
    BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
    BOOST_TEST(p[0].drops() == 0);
    BOOST_CHECK_EXCEPTION((void)j.poll(w), futura::future_error, is_polled_after_completion);
  }
  for (auto& x : p) BOOST_TEST(x.drops() == 1);
}

BOOST_AUTO_TEST_CASE(try_join_all_poll_throws_when_a_child_fails_at_once) {
  std::vector<probe<result<int>>> p(2);
  p[0].fail("at once");
  auto j = futura::try_join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_THROW((void)j.poll(w), std::runtime_error);
  BOOST_TEST(p[1].polls() == 0);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(try_join_all_wakes_its_waker_once_per_child_wake_and_repolls_only_woken_children) {
  std::vector<probe<result<int>>> p(3);
  auto j = futura::try_join_all(futures_of(p));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(j.poll(w).is_pending());
  p[1].complete(result<int>(1));
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(j.poll(w).is_pending());
  BOOST_TEST(p[0].polls() == 1);
  BOOST_TEST(p[1].polls() == 2);
  BOOST_TEST(p[2].polls() == 1);
  BOOST_TEST(p[1].drops() == 1);
}

BOOST_AUTO_TEST_CASE(try_join_all_carries_move_only_values) {
  std::vector<probe<result<std::unique_ptr<int>>>> p(2);
  auto j = futura::try_join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  p[1].complete(result<std::unique_ptr<int>>(std::make_unique<int>(1)));
  p[0].complete(result<std::unique_ptr<int>>(std::make_unique<int>(0)));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  std::vector<std::unique_ptr<int>> v = *std::move(r.value());
  BOOST_TEST(*v[0] == 0);
  BOOST_TEST(*v[1] == 1);
}

BOOST_AUTO_TEST_CASE(try_join_all_of_a_range_moves_the_futures_out_of_it) {
  std::vector<probe<result<int>>> p(2);
  auto futures = futures_of(p);
  auto j = futura::try_join_all(futures.begin(), futures.end());
  futures.clear();
  BOOST_TEST(p[0].drops() == 0);
  p[0].complete(result<int>(5));
  p[1].complete(result<int>(6));
  auto r = futura::block_on(std::move(j));
  BOOST_TEST((*r == std::vector<int>{5, 6}));
}

BOOST_AUTO_TEST_CASE(dropping_a_try_join_all_drops_every_child_and_kept_value_exactly_once) {
  tracked::reset();
  {
    std::vector<probe<result<tracked>>> p(3);
    {
      auto j = futura::try_join_all(futures_of(p));
      futura::waker w = futura::noop_waker();
      BOOST_TEST(j.poll(w).is_pending());
      p[2].complete(result<tracked>(tracked(2)));
      BOOST_TEST(j.poll(w).is_pending());
      BOOST_TEST(tracked::alive() == 1);
    }
    for (auto& x : p) BOOST_TEST(x.drops() == 1);
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(try_join_all_of_10000_children_woken_in_reverse_order_polls_at_most_2n_children) {
  constexpr int n = 10'000;
  std::vector<probe<result<int>>> p(n);
  auto j = futura::try_join_all(futures_of(p));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(j.poll(w).is_pending());
  for (int i = n - 1; i >= 0; --i) p[i].complete(result<int>(i));
  auto r = j.poll(w);
  BOOST_REQUIRE(r.is_ready());
  long polls = 0;
  for (auto& x : p) polls += x.polls();
  BOOST_TEST(polls == 2L * n);
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST((*r.value())[n - 1] == n - 1);
}

BOOST_AUTO_TEST_CASE(try_join_all_under_block_on_gets_results_set_by_other_threads) {
  constexpr int n = 1000;
  std::vector<futura::promise<result<int>>> promises(n);
  std::vector<futura::promise_future<result<int>>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  auto j = futura::try_join_all(std::move(futures));
  std::thread odd([&] {
    for (int i = n - 1; i >= 0; i -= 2) promises[i].set_value(result<int>(i));
  });
  std::thread even([&] {
    for (int i = n - 2; i >= 0; i -= 2) promises[i].set_value(result<int>(i));
  });
  auto r = futura::block_on(std::move(j));
  odd.join();
  even.join();
  BOOST_REQUIRE(r.has_value());
  bool in_order = true;
  for (int i = 0; i < n; ++i) in_order = in_order && (*r)[i] == i;
  BOOST_TEST(in_order);
}

BOOST_AUTO_TEST_CASE(try_join_all_under_block_on_stops_at_an_error_set_by_another_thread) {
  constexpr int n = 100;
  std::vector<futura::promise<result<int>>> promises(n);
  std::vector<futura::promise_future<result<int>>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  auto j = futura::try_join_all(std::move(futures));
  std::thread setter([&] {
    for (int i = 0; i < n / 2; ++i) promises[i].set_value(result<int>(i));
    promises[n / 2].set_value(result<int>(io_error()));
  });
  auto r = futura::block_on(std::move(j));
  setter.join();
  BOOST_TEST(r.error() == io_error());
}

BOOST_AUTO_TEST_SUITE_END()
