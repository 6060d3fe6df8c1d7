// The consumers of stream_ext, futures over a stream: next, for_each, fold, collect, count.
// Their items in order, pending and wakes, exceptions, the end and a poll after completion, drops
// of the stream and of the future in flight, and the cooperative budget (on an executor:
// test/asio/loops_on_executor_test.cpp).
#include <support/probe.hpp>
#include <support/probe_stream.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {
constexpr int budget = static_cast<int>(futura::detail::coop_budget);
std::vector<int> ints(std::initializer_list<int> l) { return std::vector<int>(l); }
}  // namespace

BOOST_AUTO_TEST_SUITE(stream_next)

BOOST_AUTO_TEST_CASE(yields_each_item_then_nullopt_and_refers_to_the_stream) {
  auto s = futura::stream::iter(ints({1, 2}));
  static_assert(std::is_same_v<futura::output_t<decltype(s.next())>, std::optional<int>>);
  BOOST_TEST(*futura::block_on(s.next()) == 1);
  BOOST_TEST(*futura::block_on(s.next()) == 2);
  BOOST_TEST(!futura::block_on(s.next()).has_value());
}

BOOST_AUTO_TEST_CASE(the_stream_may_be_moved_once_its_next_completed) {
  auto s = futura::stream::iter(ints({1, 2, 3}));
  futura::waker w;
  {
    auto n = s.next();
    BOOST_TEST(*value_of(n.poll(w)) == 1);
  }
  auto moved = std::move(s);
  auto n = moved.next();
  BOOST_TEST(*value_of(n.poll(w)) == 2);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)n.poll(w), futura::future_error, is_polled_after_completion);
#endif
  BOOST_TEST(*futura::block_on(moved.next()) == 3);
}

BOOST_AUTO_TEST_CASE(a_pending_next_is_woken_by_the_stream_and_dropping_it_loses_nothing) {
  probe_stream_source<int> src;
  auto s = src.stream();
  counting_waker target;
  futura::waker w = target.make();
  {
    auto n = s.next();
    BOOST_TEST(n.poll(w).is_pending());
  }
  src.push(5);
  BOOST_TEST(target.wakes() == 1);
  auto n = s.next();
  BOOST_TEST(*value_of(n.poll(w)) == 5);
  BOOST_TEST(src.drops() == 0);  // next never owns the stream
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_stream_propagates) {
  probe_stream_source<int> src;
  auto s = src.stream();
  src.fail();
  BOOST_CHECK_THROW(futura::block_on(s.next()), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_for_each)

BOOST_AUTO_TEST_CASE(runs_the_function_on_every_item_in_order) {
  std::vector<int> seen;
  auto f = futura::stream::iter(ints({1, 2, 3})).for_each([&](int x) { seen.push_back(x); });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  futura::waker w;
  BOOST_TEST(seen.empty());  // rule 1
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(seen == ints({1, 2, 3}));
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(runs_the_futures_of_the_function_one_at_a_time) {
  probe_stream_source<int> src;
  std::vector<probe<futura::unit>> work(2);
  auto f = src.stream().for_each([&](int i) { return work[static_cast<std::size_t>(i)].future(); });
  counting_waker target;
  futura::waker w = target.make();
  src.push(0);
  src.push(1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(work[0].polls() == 1);
  BOOST_TEST(src.queued() == 1u);  // the next item waits for the running future
  work[0].complete(futura::unit{});
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(work[0].drops() == 1);
  BOOST_TEST(work[1].polls() == 1);
  work[1].complete(futura::unit{});
  src.end();
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(work[1].drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_the_stream_and_the_future_in_flight_once) {
  probe_stream_source<int> src;
  probe<futura::unit> work;
  {
    auto f = src.stream().for_each([&](int) { return work.future(); });
    src.push(0);
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(work.drops() == 1);
  BOOST_TEST(src.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exceptions_from_the_stream_the_function_or_its_future_propagate) {
  probe_stream_source<int> src;
  src.fail();
  BOOST_CHECK_THROW(futura::block_on(src.stream().for_each([](int) {})), std::runtime_error);
  BOOST_CHECK_THROW(
      futura::block_on(futura::stream::iter(ints({1})).for_each([](int) { throw std::runtime_error("no"); })),
      std::runtime_error);
  probe<futura::unit> work;
  work.fail();
  BOOST_CHECK_THROW(futura::block_on(futura::stream::iter(ints({1})).for_each([&](int) { return work.future(); })),
                    std::runtime_error);
}
#endif

BOOST_AUTO_TEST_CASE(an_always_ready_stream_yields_after_the_budget_with_one_self_wake) {
  int calls = 0;
  auto f = futura::stream::repeat(1).for_each([&](int) { ++calls; });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == budget);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 2 * budget);
  BOOST_TEST(target.wakes() == 2);

  int async_calls = 0;  // items whose futures are ready at once spend the budget too
  auto g = futura::stream::repeat(1).for_each([&](int) {
    ++async_calls;
    return futura::ready();
  });
  BOOST_TEST(g.poll(w).is_pending());
  BOOST_TEST(async_calls == budget);
  BOOST_TEST(target.wakes() == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_fold)

BOOST_AUTO_TEST_CASE(folds_the_items_in_order) {
  auto f = futura::stream::iter(ints({1, 2, 3})).fold(std::string(">"), [](std::string acc, int x) {
    return acc + std::to_string(x);
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, std::string>);
  BOOST_TEST(futura::block_on(std::move(f)) == ">123");
  BOOST_TEST(futura::block_on(futura::stream::empty<int>().fold(7, [](int a, int x) { return a + x; })) == 7);
}

BOOST_AUTO_TEST_CASE(a_function_returning_futures_runs_one_at_a_time) {
  probe_stream_source<int> src;
  std::vector<probe<int>> steps(2);
  auto f = src.stream().fold(0, [&](int acc, int i) {
    BOOST_TEST(acc == i * 10);
    return steps[static_cast<std::size_t>(i)].future();
  });
  counting_waker target;
  futura::waker w = target.make();
  src.push(0);
  src.push(1);
  src.end();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(src.queued() == 2u);
  steps[0].complete(10);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(steps[0].drops() == 1);
  steps[1].complete(20);
  BOOST_TEST(value_of(f.poll(w)) == 20);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_the_stream_the_accumulator_and_the_future_in_flight) {
  probe_stream_source<int> src;
  probe<tracked> step;
  tracked::reset();
  {
    auto f = src.stream().fold(tracked(0), [&](tracked, int) { return step.future(); });
    src.push(1);
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(step.drops() == 1);
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_function_propagates_and_finishes_the_fold) {
  auto f = futura::stream::iter(ints({1})).fold(0, [](int, int) -> int { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif

BOOST_AUTO_TEST_CASE(an_always_ready_stream_yields_after_the_budget) {
  auto f = futura::stream::repeat(1).fold(0, [](int a, int x) { return a + x; });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(futura::block_on(futura::stream::repeat(1).take(1000).fold(0, [](int a, int x) { return a + x; })) ==
             1000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_collect_count)

BOOST_AUTO_TEST_CASE(collect_gathers_the_items_in_order_in_a_vector_or_any_container) {
  auto v = futura::block_on(futura::stream::iter(ints({3, 1, 3})).collect());
  static_assert(std::is_same_v<decltype(v), std::vector<int>>);
  BOOST_TEST(v == ints({3, 1, 3}));
  auto s = futura::block_on(futura::stream::iter(ints({3, 1, 3})).collect<std::set<int>>());
  BOOST_TEST((s == std::set<int>{1, 3}));
}

BOOST_AUTO_TEST_CASE(collect_waits_for_pending_items_and_drops_what_it_holds_when_dropped) {
  probe_stream_source<tracked> src;
  tracked::reset();
  {
    auto f = src.stream().collect();
    counting_waker target;
    futura::waker w = target.make();
    src.push(tracked(1));
    BOOST_TEST(f.poll(w).is_pending());
    src.push(tracked(2));
    BOOST_TEST(target.wakes() == 1);
    BOOST_TEST(f.poll(w).is_pending());
  }
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(collect_and_count_yield_after_the_budget_and_report_a_poll_after_completion) {
  auto c = futura::stream::repeat(1).take(budget + 1).collect();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(c.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(value_of(c.poll(w)).size() == static_cast<std::size_t>(budget + 1));
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)c.poll(w), futura::future_error, is_polled_after_completion);
#endif

  auto n = futura::stream::repeat(1).take(budget + 1).count();
  BOOST_TEST(n.poll(w).is_pending());
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(value_of(n.poll(w)) == static_cast<std::size_t>(budget + 1));
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)n.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(count_counts_pending_items_and_propagates_exceptions) {
  probe_stream_source<int> src;
  auto n = src.stream().count();
  futura::waker w;
  BOOST_TEST(n.poll(w).is_pending());
  src.push(1);
  src.push(2);
  src.end();
  BOOST_TEST(value_of(n.poll(w)) == 2u);

  probe_stream_source<int> bad;
#if FUTURA_HAS_EXCEPTIONS
  bad.fail();
  BOOST_CHECK_THROW(futura::block_on(bad.stream().count()), std::runtime_error);
#endif
}

BOOST_AUTO_TEST_CASE(dropping_count_mid_stream_drops_the_stream_once) {
  probe_stream_source<int> src;
  {
    auto n = src.stream().count();
    src.push(1);
    futura::waker w;
    BOOST_TEST(n.poll(w).is_pending());
  }
  BOOST_TEST(src.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
