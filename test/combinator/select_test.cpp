// select and select_biased: the first ready child wins, the losers are dropped before the
// winning poll returns, and (for select) the child polled first rotates so no child starves.
#include <futura/combinator/select.hpp>

#include <support/probe.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace {

using futura_test::counting_waker;
using futura_test::probe;
using futura_test::tracked;

using futura_test::is_polled_after_completion;

/// A pending child that records its id in `order` each time it is polled (to observe which
/// child a select polls first).
auto recorder(std::vector<int>& order, int id) {
  return futura::poll_fn<int>([&order, id](futura::waker&) -> futura::poll_result<int> {
    order.push_back(id);
    return futura::pending;
  });
}

/// How often child 0 wins among `rounds` brand-new selects of two always-ready children.
int child_zero_wins_of_new_selects(int rounds) {
  int zero = 0;
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < rounds; ++i) {
    auto s = futura::select(futura::ready(0), futura::ready(1));
    auto r = s.poll(w);
    if (!r.is_ready()) return -1;  // no Boost.Test assertion here: it also runs on other threads
    if (r.value().index() == 0) ++zero;
  }
  return zero;
}

}  // namespace

// The suites live in a namespace of their own: BOOST_AUTO_TEST_SUITE(select) declares a
// namespace `select`, which at global scope would clash with POSIX ::select.
namespace futura_select_test {

BOOST_AUTO_TEST_SUITE(select)

BOOST_AUTO_TEST_CASE(the_output_is_the_value_and_index_of_the_child_that_is_ready_at_each_position) {
  for (std::size_t winner = 0; winner < 3; ++winner) {
    BOOST_TEST_CONTEXT("winner " << winner) {
      probe<int> p[3];
      auto s = futura::select(p[0].future(), p[1].future(), p[2].future());
      static_assert(std::is_same_v<futura::output_t<decltype(s)>, std::variant<int, int, int>>);
      futura::waker w = futura::noop_waker();
      BOOST_TEST(s.poll(w).is_pending());
      p[winner].complete(100 + static_cast<int>(winner));
      auto r = s.poll(w);
      BOOST_REQUIRE(r.is_ready());
      BOOST_TEST(r.value().index() == winner);
      int value = std::visit([](int v) { return v; }, r.value());
      BOOST_TEST(value == 100 + static_cast<int>(winner));
    }
  }
}

BOOST_AUTO_TEST_CASE(children_of_different_output_types_give_a_variant_of_those_types) {
  auto s = futura::select(futura::pending_forever<int>(), futura::ready(std::string("second")));
  static_assert(std::is_same_v<futura::output_t<decltype(s)>, std::variant<int, std::string>>);
  futura::waker w = futura::noop_waker();
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 1u);
  BOOST_TEST(std::get<1>(r.value()) == "second");
}

BOOST_AUTO_TEST_CASE(a_child_ready_at_once_completes_the_first_poll) {
  futura::waker w = futura::noop_waker();
  auto s = futura::select(futura::pending_forever<int>(), futura::pending_forever<int>(), futura::ready(3));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 2u);
  BOOST_TEST(std::get<2>(r.value()) == 3);
}

BOOST_AUTO_TEST_CASE(a_child_completing_later_wakes_the_select_and_wins_the_next_poll) {
  counting_waker target;
  futura::waker w = target.make();
  probe<int> a, b;
  auto s = futura::select(a.future(), b.future());
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 0);
  b.complete(7);
  BOOST_TEST(target.wakes() == 1);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 1u);
  BOOST_TEST(std::get<1>(r.value()) == 7);
}

BOOST_AUTO_TEST_CASE(pending_children_are_polled_with_the_parents_waker) {
  counting_waker target;
  futura::waker parent = target.make();
  int checked = 0;
  auto child = [&] {
    return futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
      BOOST_TEST(w.will_wake(parent));
      ++checked;
      return futura::pending;
    });
  };
  auto s = futura::select(child(), child(), child());
  BOOST_TEST(s.poll(parent).is_pending());
  BOOST_TEST(checked == 3);
}

BOOST_AUTO_TEST_CASE(every_poll_polls_every_pending_child_once) {
  probe<int> a, b, c;
  auto s = futura::select(a.future(), b.future(), c.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST((a.polls() == 1 && b.polls() == 1 && c.polls() == 1));
  BOOST_TEST(s.poll(w).is_pending());
  BOOST_TEST((a.polls() == 2 && b.polls() == 2 && c.polls() == 2));
}

BOOST_AUTO_TEST_CASE(every_child_is_destroyed_before_the_winning_poll_returns) {
  probe<int> a, b, c;
  auto s = futura::select(a.future(), b.future(), c.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  b.complete(1);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  // The select object is still alive: its losers (and the spent winner) are already gone.
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
  BOOST_TEST(c.drops() == 1);
}

BOOST_AUTO_TEST_CASE(a_completed_select_does_not_drop_its_children_again) {
  probe<int> a, b;
  {
    auto s = futura::select(a.future(), b.future());
    a.complete(1);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_ready());
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_select_drops_every_child_exactly_once) {
  probe<int> a, b, c;
  {
    auto s = futura::select(a.future(), b.future(), c.future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
    BOOST_TEST((a.drops() == 0 && b.drops() == 0 && c.drops() == 0));
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
  BOOST_TEST(c.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_select_that_was_never_polled_drops_every_child_without_polling_it) {
  probe<int> a, b;
  { auto s = futura::select(a.future(), b.future()); }
  BOOST_TEST((a.polls() == 0 && b.polls() == 0));
  BOOST_TEST((a.drops() == 1 && b.drops() == 1));
}

BOOST_AUTO_TEST_CASE(a_select_moved_between_polls_keeps_its_children) {
  probe<int> a, b;
  auto s = futura::select(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  auto moved = std::move(s);
  a.complete(4);
  auto r = moved.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 0u);
  BOOST_TEST(std::get<0>(r.value()) == 4);
  BOOST_TEST((a.drops() == 1 && b.drops() == 1));
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_child_throwing_at_once_propagates_out_of_poll_and_drops_every_child) {
  probe<int> a, b, c;
  b.fail("child b failed");
  auto s = futura::select(a.future(), b.future(), c.future());
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_EXCEPTION((void)s.poll(w), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "child b failed"; });
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
  BOOST_TEST(c.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(a_child_throwing_later_propagates_out_of_that_poll) {
  probe<int> a, b;
  auto s = futura::select(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  a.fail("late failure");
  BOOST_CHECK_EXCEPTION((void)s.poll(w), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "late failure"; });
  BOOST_TEST((a.drops() == 1 && b.drops() == 1));
}

BOOST_AUTO_TEST_CASE(polling_after_completion_throws_polled_after_completion) {
  auto s = futura::select(futura::ready(1), futura::pending_forever<int>());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_ready());
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(move_only_outputs_are_moved_out_of_the_winner) {
  probe<std::unique_ptr<int>> a, b;
  auto s = futura::select(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  b.complete(std::make_unique<int>(42));
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  std::unique_ptr<int> p = std::get<1>(std::move(r).value());
  BOOST_REQUIRE(p);
  BOOST_TEST(*p == 42);
}

BOOST_AUTO_TEST_CASE(every_output_value_is_destroyed_exactly_once) {
  tracked::reset();
  {
    auto s = futura::select(futura::ready(tracked(1)), futura::ready(tracked(2)), futura::pending_forever<tracked>());
    futura::waker w = futura::noop_waker();
    auto r = s.poll(w);
    BOOST_REQUIRE(r.is_ready());
    int value = r.value().index() == 0 ? std::get<0>(r.value()).value : std::get<1>(r.value()).value;
    BOOST_TEST((value == 1 || value == 2));
  }
  BOOST_TEST(tracked::constructed.load() > 0);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(unit_outputs_complete_through_block_on) {
  auto v = futura::block_on(futura::select(futura::pending_forever(), futura::yield_now()));
  static_assert(std::is_same_v<decltype(v), std::variant<futura::unit, futura::unit>>);
  BOOST_TEST(v.index() == 1u);
}

BOOST_AUTO_TEST_CASE(a_select_is_a_future_that_composes_with_then_and_with_other_selects) {
  auto inner = futura::select(futura::pending_forever<int>(), futura::ready(5));
  auto outer =
      futura::select(std::move(inner), futura::pending_forever<std::string>())
          .then([](std::variant<std::variant<int, int>, std::string> v) { return std::get<1>(std::get<0>(v)) * 2; });
  BOOST_TEST(futura::block_on(std::move(outer)) == 10);
}

BOOST_AUTO_TEST_CASE(each_of_two_always_ready_children_wins_at_least_40_percent_of_10000_new_selects) {
  constexpr int rounds = 10000;
  int zero = child_zero_wins_of_new_selects(rounds);
  BOOST_REQUIRE(zero >= 0);
  BOOST_TEST(zero >= rounds * 4 / 10);
  BOOST_TEST(rounds - zero >= rounds * 4 / 10);
}

BOOST_AUTO_TEST_CASE(fairness_holds_on_every_thread) {
  constexpr int rounds = 10000;
  int zero = -1;
  std::thread t([&] { zero = child_zero_wins_of_new_selects(rounds); });
  t.join();
  BOOST_REQUIRE(zero >= 0);
  BOOST_TEST(zero >= rounds * 4 / 10);
  BOOST_TEST(rounds - zero >= rounds * 4 / 10);
}

// A bare per-thread `counter++ % 2` fails this: the two selects of each iteration would see
// an even and an odd count forever, so each would always poll the same child first.
BOOST_AUTO_TEST_CASE(selects_polled_in_lockstep_in_one_loop_still_share_the_wins) {
  constexpr int rounds = 10000;
  int first_site_zero = 0;
  int second_site_zero = 0;
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < rounds; ++i) {
    auto s1 = futura::select(futura::ready(0), futura::ready(1));
    auto r1 = s1.poll(w);
    auto s2 = futura::select(futura::ready(0), futura::ready(1));
    auto r2 = s2.poll(w);
    BOOST_REQUIRE((r1.is_ready() && r2.is_ready()));
    if (r1.value().index() == 0) ++first_site_zero;
    if (r2.value().index() == 0) ++second_site_zero;
  }
  for (int zero : {first_site_zero, second_site_zero}) {
    BOOST_TEST(zero >= rounds * 4 / 10);
    BOOST_TEST(rounds - zero >= rounds * 4 / 10);
  }
}

BOOST_AUTO_TEST_CASE(the_child_polled_first_rotates_across_polls_of_one_select) {
  constexpr int polls = 2000;
  std::vector<int> order;
  auto s = futura::select(recorder(order, 0), recorder(order, 1), recorder(order, 2));
  futura::waker w = futura::noop_waker();
  int first_counts[3] = {0, 0, 0};
  for (int i = 0; i < polls; ++i) {
    order.clear();
    BOOST_REQUIRE(s.poll(w).is_pending());
    BOOST_REQUIRE(order.size() == 3u);
    // Whatever the start, the order is cyclic: start, start+1, ... (mod 3).
    BOOST_TEST(order[1] == (order[0] + 1) % 3);
    BOOST_TEST(order[2] == (order[0] + 2) % 3);
    ++first_counts[order[0]];
  }
  for (int count : first_counts) BOOST_TEST(count >= polls / 3 * 8 / 10);
}

BOOST_AUTO_TEST_CASE(a_promise_set_on_another_thread_completes_a_select_in_block_on) {
  futura::promise<int> slow, fast;
  auto s = futura::select(slow.get_future(), fast.get_future());
  std::thread setter([&fast] { fast.set_value(8); });
  auto v = futura::block_on(std::move(s));
  setter.join();
  BOOST_TEST(v.index() == 1u);
  BOOST_TEST(std::get<1>(v) == 8);
}

BOOST_AUTO_TEST_CASE(promises_racing_on_two_threads_yield_exactly_one_winner_with_its_value) {
  constexpr int rounds = 200;
  int wins[2] = {0, 0};
  for (int i = 0; i < rounds; ++i) {
    futura::promise<int> p0, p1;
    auto s = futura::select(p0.get_future(), p1.get_future());
    std::thread t0([&p0] { p0.set_value(10); });
    std::thread t1([&p1] { p1.set_value(11); });
    auto v = futura::block_on(std::move(s));
    t0.join();
    t1.join();
    BOOST_TEST(std::visit([](int x) { return x; }, v) == 10 + static_cast<int>(v.index()));
    ++wins[v.index()];
  }
  BOOST_TEST(wins[0] + wins[1] == rounds);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(select_biased)

BOOST_AUTO_TEST_CASE(the_first_argument_always_wins_when_every_child_is_ready) {
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < 1000; ++i) {
    auto s = futura::select_biased(futura::ready(0), futura::ready(1), futura::ready(2));
    auto r = s.poll(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_TEST(r.value().index() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(children_are_polled_in_argument_order_on_every_poll) {
  std::vector<int> order;
  auto s = futura::select_biased(recorder(order, 0), recorder(order, 1), recorder(order, 2));
  futura::waker w = futura::noop_waker();
  for (int i = 0; i < 100; ++i) {
    order.clear();
    BOOST_REQUIRE(s.poll(w).is_pending());
    BOOST_TEST(order == (std::vector<int>{0, 1, 2}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_later_argument_wins_when_the_earlier_ones_are_pending_and_is_polled_after_them) {
  probe<int> a, b, c;
  auto s = futura::select_biased(a.future(), b.future(), c.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(s.poll(w).is_pending());
  c.complete(3);
  b.complete(2);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 1u);
  BOOST_TEST(std::get<1>(r.value()) == 2);
  BOOST_TEST(c.polls() == 1);  // the poll stopped at b: c was not polled again
}

BOOST_AUTO_TEST_CASE(every_child_is_destroyed_before_the_winning_poll_returns) {
  probe<int> a, b;
  auto s = futura::select_biased(a.future(), b.future());
  b.complete(1);
  futura::waker w = futura::noop_waker();
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_select_biased_drops_every_child_exactly_once) {
  probe<int> a, b;
  {
    auto s = futura::select_biased(a.future(), b.future());
    futura::waker w = futura::noop_waker();
    BOOST_TEST(s.poll(w).is_pending());
  }
  BOOST_TEST((a.drops() == 1 && b.drops() == 1));
}

BOOST_AUTO_TEST_CASE(a_child_completing_later_wakes_the_select_biased) {
  counting_waker target;
  futura::waker w = target.make();
  probe<int> a, b;
  auto s = futura::select_biased(a.future(), b.future());
  BOOST_TEST(s.poll(w).is_pending());
  a.complete(5);
  BOOST_TEST(target.wakes() == 1);
  auto r = s.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().index() == 0u);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(a_throwing_child_propagates_and_drops_every_child) {
  probe<int> a, b;
  a.fail("first failed");
  auto s = futura::select_biased(a.future(), b.future());
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_THROW((void)s.poll(w), std::runtime_error);
  BOOST_TEST((a.drops() == 1 && b.drops() == 1));
  BOOST_TEST(b.polls() == 0);  // argument order: a threw before b was reached
  BOOST_CHECK_EXCEPTION((void)s.poll(w), futura::future_error, is_polled_after_completion);
}
#endif  // FUTURA_HAS_EXCEPTIONS

BOOST_AUTO_TEST_CASE(move_only_outputs_and_cross_thread_completion) {
  futura::promise<std::unique_ptr<int>> p;
  auto s = futura::select_biased(futura::pending_forever<std::unique_ptr<int>>(), p.get_future());
  std::thread setter([&p] { p.set_value(std::make_unique<int>(9)); });
  auto v = futura::block_on(std::move(s));
  setter.join();
  BOOST_REQUIRE(v.index() == 1u);
  BOOST_TEST(*std::get<1>(v) == 9);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace futura_select_test
