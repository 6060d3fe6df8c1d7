// The synchronous stream adapters of stream_ext: map, then, filter, filter_map, take,
// take_while, skip, skip_while, enumerate, inspect, fuse, chain, zip. First what every adapter
// must do over an instrumented upstream (pending and its wake, exceptions, the end and a poll
// after it, drops), then each adapter's own sentences: its items in order, its budget, its
// children.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stream_contract.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

constexpr int budget = static_cast<int>(futura::detail::coop_budget);

auto plus_one = [](int x) { return x + 1; };
auto is_even = [](const int& x) { return x % 2 == 0; };

std::vector<int> ints(std::initializer_list<int> l) { return std::vector<int>(l); }

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_adapters)

BOOST_AUTO_TEST_CASE(every_adapter_keeps_the_contract_over_a_pending_upstream) {
  check_adapter_contract([](auto s) { return std::move(s).map(plus_one); });
  check_adapter_contract([](auto s) { return std::move(s).then([](int x) { return futura::ready(x); }); });
  check_adapter_contract([](auto s) { return std::move(s).filter([](const int&) { return true; }); });
  check_adapter_contract([](auto s) { return std::move(s).filter_map([](int x) -> std::optional<int> { return x; }); });
  check_adapter_contract([](auto s) { return std::move(s).take(5); });
  check_adapter_contract([](auto s) { return std::move(s).take_while([](const int&) { return true; }); });
  check_adapter_contract([](auto s) { return std::move(s).skip(0); });
  check_adapter_contract([](auto s) { return std::move(s).skip_while([](const int&) { return false; }); });
  check_adapter_contract([](auto s) { return std::move(s).enumerate(); });
  check_adapter_contract([](auto s) { return std::move(s).inspect([](const int&) {}); });
  check_adapter_contract([](auto s) { return std::move(s).zip(futura::stream::repeat('x')); });
  check_adapter_contract([](auto s) { return futura::stream::iter(std::vector<int>{}).chain(std::move(s)); });
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_any_adapter_s_callable_propagates_out_of_poll_next) {
  auto boom = [](const auto&...) -> bool { throw std::runtime_error("callable failed"); };
  futura::waker w;
  auto check = [&](auto s) { BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error); };
  check(futura::stream::iter(ints({1})).map([&](int x) { return boom(x); }));
  check(futura::stream::iter(ints({1})).then([&](int x) { return futura::ready(boom(x)); }));
  check(futura::stream::iter(ints({1})).filter(boom));
  check(futura::stream::iter(ints({1})).filter_map([&](int x) -> std::optional<int> { return boom(x); }));
  check(futura::stream::iter(ints({1})).take_while(boom));
  check(futura::stream::iter(ints({1})).skip_while(boom));
  check(futura::stream::iter(ints({1})).inspect([&](const int& x) { boom(x); }));
}
#endif

BOOST_AUTO_TEST_CASE(synchronous_adapters_allocate_nothing) {
  int wrong = 0;  // items that were not as expected (counted: Boost.Test may allocate)
  long n = allocations_during([&wrong] {
    std::vector<int> none;
    auto s = futura::stream::iter(none.begin(), none.end());  // no container to copy
    auto chained = futura::stream::repeat(3)
                       .map(plus_one)
                       .filter(is_even)
                       .filter_map([](int x) -> std::optional<int> { return x; })
                       .skip(1)
                       .skip_while([](const int& x) { return x < 0; })
                       .take_while([](const int& x) { return x < 10; })
                       .inspect([](const int&) {})
                       .enumerate()
                       .zip(futura::stream::repeat('x'))
                       .take(100)
                       .map([](auto p) { return p.first.second; })
                       .chain(std::move(s).map([](int x) { return x; }))
                       .then([](int x) { return futura::ready(x); })
                       .fuse();
    futura::waker w;
    for (int i = 0; i < 100; ++i) wrong += next_of(chained.poll_next(w)) != std::optional<int>(4);
    wrong += next_of(chained.poll_next(w)).has_value();  // the end
  });
  BOOST_TEST(n == 0);
  BOOST_TEST(wrong == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_map)

BOOST_AUTO_TEST_CASE(maps_every_item_in_order_once) {
  int calls = 0;
  auto s = futura::stream::iter(ints({1, 2, 3})).map([&](int x) {
    ++calls;
    return std::to_string(x);
  });
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, std::string>);
  futura::waker w;
  BOOST_TEST(calls == 0);
  BOOST_TEST(drain_ready(s, w) == (std::vector<std::string>{"1", "2", "3"}));
  BOOST_TEST(calls == 3);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_function_propagates) {
  auto s = futura::stream::iter(ints({1})).map([](int) -> int { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_then)

BOOST_AUTO_TEST_CASE(runs_one_future_at_a_time_in_item_order) {
  probe_stream_source<int> src;
  std::vector<probe<std::string>> outs(2);
  auto s = src.stream().then([&](int i) { return outs[static_cast<std::size_t>(i)].future(); });
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, std::string>);
  counting_waker target;
  futura::waker w = target.make();
  src.push(0);
  src.push(1);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(outs[0].polls() == 1);
  BOOST_TEST(outs[1].polls() == 0);
  BOOST_TEST(src.queued() == 1u);  // the next item is not taken while a future runs
  outs[1].complete("b");           // completing out of order changes nothing
  BOOST_TEST(s.poll_next(w).is_pending());
  outs[0].complete("a");
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == "a");
  BOOST_TEST(outs[0].drops() == 1);  // destroyed before its output left
  BOOST_TEST(*next_of(s.poll_next(w)) == "b");
  src.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_the_future_in_flight_and_the_upstream_once) {
  probe_stream_source<int> src;
  probe<int> out;
  {
    auto s = src.stream().then([&](int) { return out.future(); });
    src.push(0);
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(out.drops() == 1);
  BOOST_TEST(src.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exceptions_from_the_function_or_its_future_propagate) {
  auto s =
      futura::stream::iter(ints({1})).then([](int) -> futura::ready_future<int> { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  probe<int> out;
  out.fail();
  auto t = futura::stream::iter(ints({1})).then([&](int) { return out.future(); });
  BOOST_CHECK_THROW((void)t.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_filter)

BOOST_AUTO_TEST_CASE(keeps_the_items_the_predicate_accepts_in_order) {
  auto s = futura::stream::iter(ints({1, 2, 3, 4, 6, 7})).filter(is_even);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == ints({2, 4, 6}));
}

BOOST_AUTO_TEST_CASE(rejecting_an_endless_ready_stream_yields_after_the_budget) {
  int calls = 0;
  auto s = futura::stream::repeat(1).filter([&](const int&) {
    ++calls;
    return false;
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(calls == budget);
  BOOST_TEST(target.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(filter_map_keeps_the_values_in_order_and_yields_after_the_budget) {
  auto s = futura::stream::iter(ints({1, 2, 3, 4})).filter_map([](int x) -> std::optional<std::string> {
    if (x % 2) return std::nullopt;
    return std::to_string(x);
  });
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (std::vector<std::string>{"2", "4"}));

  auto none = futura::stream::repeat(1).filter_map([](int) -> std::optional<int> { return std::nullopt; });
  counting_waker target;
  futura::waker tw = target.make();
  BOOST_TEST(none.poll_next(tw).is_pending());
  BOOST_TEST(target.wakes() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_predicate_propagates) {
  auto s = futura::stream::iter(ints({1})).filter([](const int&) -> bool { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_take_and_skip)

BOOST_AUTO_TEST_CASE(take_yields_n_items_then_ends_without_polling_the_upstream) {
  probe_stream_source<int> src;
  auto s = src.stream().take(2);
  for (int i = 0; i < 5; ++i) src.push(i);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == ints({0, 1}));
  BOOST_TEST(src.polls() == 2);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
  BOOST_TEST(src.polls() == 2);
}

BOOST_AUTO_TEST_CASE(take_zero_is_an_empty_stream_that_never_polls_its_upstream) {
  probe_stream_source<int> src;
  auto s = src.stream().take(0);
  futura::waker w;
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(src.polls() == 0);
}

BOOST_AUTO_TEST_CASE(take_while_ends_at_the_first_rejected_item) {
  probe_stream_source<int> src;
  auto s = src.stream().take_while([](const int& x) { return x < 3; });
  for (int x : {1, 2, 3, 1}) src.push(x);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == ints({1, 2}));
  BOOST_TEST(src.queued() == 1u);  // not polled past the rejected item
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(skip_drops_the_first_n_items_and_yields_after_the_budget) {
  auto s = futura::stream::iter(ints({1, 2, 3, 4})).skip(2);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == ints({3, 4}));

  auto far = futura::stream::repeat_with([n = 0]() mutable { return n++; }).skip(1000);
  counting_waker target;
  futura::waker tw = target.make();
  int polls = 1;
  while (far.poll_next(tw).is_pending()) ++polls;
  BOOST_TEST(polls == 1000 / budget + 1);
  BOOST_TEST(target.wakes() == 1000 / budget);
  BOOST_TEST(*next_of(far.poll_next(tw)) == 1001);
}

BOOST_AUTO_TEST_CASE(skip_while_skips_the_leading_items_only) {
  int calls = 0;
  auto s = futura::stream::iter(ints({1, 2, 5, 1, 7})).skip_while([&](const int& x) {
    ++calls;
    return x < 3;
  });
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == ints({5, 1, 7}));
  BOOST_TEST(calls == 3);

  auto endless = futura::stream::repeat(1).skip_while([](const int&) { return true; });
  counting_waker target;
  futura::waker tw = target.make();
  BOOST_TEST(endless.poll_next(tw).is_pending());
  BOOST_TEST(target.wakes() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_enumerate_inspect)

BOOST_AUTO_TEST_CASE(enumerate_counts_from_zero) {
  auto s = futura::stream::iter(std::vector<char>{'a', 'b'}).enumerate();
  futura::waker w;
  using item = std::pair<std::size_t, char>;
  BOOST_TEST((drain_ready(s, w) == std::vector<item>{{0, 'a'}, {1, 'b'}}));
}

BOOST_AUTO_TEST_CASE(inspect_sees_every_item_before_it_leaves) {
  std::vector<int> seen;
  auto s = futura::stream::iter(ints({1, 2})).inspect([&](const int& x) { seen.push_back(x); });
  futura::waker w;
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);
  BOOST_TEST(seen == ints({1}));
  BOOST_TEST(*next_of(s.poll_next(w)) == 2);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(seen == ints({1, 2}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_fuse)

BOOST_AUTO_TEST_CASE(answers_the_end_again_after_the_end_and_drops_the_upstream) {
  probe_stream_source<int> src;
  auto s = src.stream().fuse();
  futura::waker w;
  BOOST_TEST(s.poll_next(w).is_pending());
  src.push(1);
  src.end();
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);
  BOOST_TEST(!s.is_terminated());
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(s.is_terminated());
  BOOST_TEST(src.drops() == 1);  // released in the poll that saw the end
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(src.polls() == 3);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_upstream_that_threw_is_terminated) {
  probe_stream_source<int> src;
  auto s = src.stream().fuse();
  src.fail();
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  BOOST_TEST(s.is_terminated());
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_chain)

BOOST_AUTO_TEST_CASE(yields_the_first_stream_then_the_second_which_is_not_polled_before) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  auto s = a.stream().chain(b.stream());
  counting_waker target;
  futura::waker w = target.make();
  a.push(1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(b.polls() == 0);
  b.push(2);
  a.end();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 2);  // a's end and b's item in one poll
  BOOST_TEST(a.drops() == 1);                 // a is released at its end
  BOOST_TEST(b.drops() == 0);
  b.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_both_streams_once) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  {
    auto s = a.stream().chain(b.stream());
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_zip)

BOOST_AUTO_TEST_CASE(pairs_items_in_step_and_holds_one_while_its_partner_is_pending) {
  probe_stream_source<int> a;
  probe_stream_source<std::string> b;
  auto s = a.stream().zip(b.stream());
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, std::pair<int, std::string>>);
  counting_waker target;
  futura::waker w = target.make();
  a.push(1);
  a.push(2);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(a.polls() == 1);  // a is not polled again while its item waits for a partner
  b.push("one");
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST((*next_of(s.poll_next(w)) == std::pair<int, std::string>{1, "one"}));
  b.push("two");
  BOOST_TEST((*next_of(s.poll_next(w)) == std::pair<int, std::string>{2, "two"}));
}

BOOST_AUTO_TEST_CASE(ends_when_either_stream_ends_without_polling_the_other_again) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  tracked::reset();
  auto s = futura::stream::iter(std::vector<tracked>{tracked(1)}).zip(b.stream());
  futura::waker w;
  BOOST_TEST(s.poll_next(w).is_pending());
  b.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
  BOOST_TEST(b.polls() == 2);

  auto t = a.stream().zip(futura::stream::repeat(0));
  a.end();
  BOOST_TEST(!next_of(t.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_both_streams_and_the_held_item) {
  probe_stream_source<int> b;
  tracked::reset();
  {
    auto s = futura::stream::iter(std::vector<tracked>{tracked(1), tracked(2)}).zip(b.stream());
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(b.drops() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
