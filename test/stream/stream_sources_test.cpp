// The sources of futura::stream: iter, once, empty, pending, repeat, repeat_with, unfold,
// poll_fn. Each: its items in order, its end, what a poll after the end does (rule 4), and for
// those with children or callables: pending, throwing, wakes and drops.
#include <support/probe.hpp>
#include <support/probe_stream.hpp>

#include <boost/test/unit_test.hpp>

#include <list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {
using int_pair = std::optional<std::pair<int, int>>;

/// A hand-written stream, as in the guide: counts down from n, ready at every poll.
struct countdown_stream : futura::stream_ext<countdown_stream> {
  using item_type = int;
  int left;
  bool ended = false;
  explicit countdown_stream(int n) : left(n) {}
  futura::poll_result<std::optional<int>> poll_next(futura::waker&) {
    if (ended) futura::detail::polled_after_completion("countdown_stream");
    if (left == 0) {
      ended = true;
      return std::optional<int>();
    }
    return std::optional<int>(left--);
  }
};

struct no_poll_next {
  using item_type = int;
};
struct wrong_poll_next {
  using item_type = int;
  futura::poll_result<int> poll_next(futura::waker&);
};
}  // namespace

BOOST_AUTO_TEST_SUITE(stream_contract)

BOOST_AUTO_TEST_CASE(is_stream_and_item_t_recognise_streams_only) {
  static_assert(futura::is_stream_v<countdown_stream>);
  static_assert(futura::is_stream_v<probe_stream<int>&>);
  static_assert(std::is_same_v<futura::item_t<countdown_stream>, int>);
  static_assert(!futura::is_stream_v<int>);
  static_assert(!futura::is_stream_v<no_poll_next>);
  static_assert(!futura::is_stream_v<wrong_poll_next>);
  static_assert(!futura::is_stream_v<futura::ready_future<int>>);  // a future is not a stream
  static_assert(!futura::is_future_v<countdown_stream>);
  countdown_stream s(2);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (std::vector<int>{2, 1}));
}

BOOST_AUTO_TEST_CASE(the_hand_written_stream_of_the_guide_gets_the_methods_of_stream_ext) {
  std::vector<int> v = futura::block_on(countdown_stream(3).collect());
  BOOST_TEST(v == (std::vector<int>{3, 2, 1}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(iter)

BOOST_AUTO_TEST_CASE(yields_the_elements_of_the_container_in_order_then_ends) {
  auto s = futura::stream::iter(std::vector<int>{1, 2, 3});
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, int>);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (std::vector<int>{1, 2, 3}));
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(an_empty_container_ends_at_once) {
  auto s = futura::stream::iter(std::vector<int>{});
  futura::waker w;
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(moves_move_only_elements_out_of_the_container) {
  std::vector<std::unique_ptr<int>> v;
  v.push_back(std::make_unique<int>(4));
  v.push_back(std::make_unique<int>(5));
  auto s = futura::stream::iter(std::move(v));
  futura::waker w;
  BOOST_TEST(**next_of(s.poll_next(w)) == 4);
  BOOST_TEST(**next_of(s.poll_next(w)) == 5);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(keeps_its_position_when_moved_between_polls) {
  // Rule 2: iterators into the container would dangle after the move; the position survives.
  auto s = futura::stream::iter(std::list<std::string>{"a", "b", "c"});
  futura::waker w;
  BOOST_TEST(*next_of(s.poll_next(w)) == "a");
  auto moved = std::move(s);
  BOOST_TEST(*next_of(moved.poll_next(w)) == "b");
  auto copy = moved;
  BOOST_TEST(*next_of(copy.poll_next(w)) == "c");
  BOOST_TEST(*next_of(moved.poll_next(w)) == "c");
  BOOST_TEST(!next_of(moved.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(an_iterator_range_yields_copies) {
  std::vector<std::string> names{"x", "y"};
  auto s = futura::stream::iter(names.begin(), names.end());
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == names);
  BOOST_TEST(names.size() == 2u);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(once)

BOOST_AUTO_TEST_CASE(yields_the_output_of_a_ready_future_then_ends) {
  auto s = futura::stream::once(futura::ready(7));
  futura::waker w;
  BOOST_TEST(*next_of(s.poll_next(w)) == 7);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(is_pending_until_the_future_completes_and_its_wake_reaches_the_poller) {
  probe<int> child;
  auto s = futura::stream::once(child.future());
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(child.polls() == 1);
  child.complete(3);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 3);
  BOOST_TEST(child.drops() == 1);  // released in the poll that saw it ready
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(child.polls() == 2);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_future_propagates) {
  probe<int> child;
  child.fail("no");
  auto s = futura::stream::once(child.future());
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_CASE(dropping_it_mid_stream_drops_the_future_once) {
  probe<int> child;
  {
    auto s = futura::stream::once(child.future());
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(child.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(empty_and_pending)

BOOST_AUTO_TEST_CASE(empty_ends_at_the_first_poll) {
  auto s = futura::stream::empty<std::string>();
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, std::string>);
  futura::waker w;
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(pending_never_yields_and_keeps_no_waker) {
  auto s = futura::stream::pending<int>();
  counting_waker target;
  {
    futura::waker w = target.make();
    for (int i = 0; i < 3; ++i) BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(target.wakes() == 0);
  BOOST_TEST(target.live_clones() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(repeat)

BOOST_AUTO_TEST_CASE(repeat_yields_copies_forever) {
  auto s = futura::stream::repeat(std::string("x"));
  futura::waker w;
  for (int i = 0; i < 1000; ++i) BOOST_TEST(*next_of(s.poll_next(w)) == "x");
}

BOOST_AUTO_TEST_CASE(repeat_with_calls_the_function_once_per_item_in_order) {
  int calls = 0;
  auto s = futura::stream::repeat_with([&] { return calls++; });
  futura::waker w;
  BOOST_TEST(calls == 0);  // rule 1: nothing before the first poll
  BOOST_TEST(*next_of(s.poll_next(w)) == 0);
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);
  BOOST_TEST(calls == 2);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(repeat_with_propagates_an_exception_from_the_function) {
  auto s = futura::stream::repeat_with([]() -> int { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unfold)

BOOST_AUTO_TEST_CASE(yields_items_from_the_state_until_the_function_answers_nullopt) {
  auto s = futura::stream::unfold(1, [](int n) -> int_pair {
    if (n > 8) return std::nullopt;
    return std::pair{n, n * 2};
  });
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (std::vector<int>{1, 2, 4, 8}));
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(item_and_state_types_may_differ) {
  auto s =
      futura::stream::unfold(std::string("ab"), [](std::string left) -> std::optional<std::pair<char, std::string>> {
        if (left.empty()) return std::nullopt;
        char c = left.front();
        return std::pair{c, left.substr(1)};
      });
  static_assert(std::is_same_v<futura::item_t<decltype(s)>, char>);
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (std::vector<char>{'a', 'b'}));
}

BOOST_AUTO_TEST_CASE(a_function_returning_futures_is_polled_one_step_at_a_time) {
  std::vector<probe<int_pair>> steps(3);
  int calls = 0;
  auto s = futura::stream::unfold(0, [&](int i) {
    ++calls;
    return steps[static_cast<std::size_t>(i)].future();
  });
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(calls == 0);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(calls == 1);
  steps[0].complete(std::pair{10, 1});
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 10);
  BOOST_TEST(steps[0].drops() == 1);
  BOOST_TEST(calls == 1);  // the next step starts only when the next item is polled for
  steps[1].complete(std::pair{11, 2});
  BOOST_TEST(*next_of(s.poll_next(w)) == 11);  // ready at its first poll: same poll
  steps[2].complete(std::nullopt);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(calls == 3);
  BOOST_TEST(target.wakes() == 1);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(dropping_it_mid_stream_drops_the_step_future_once) {
  probe<int_pair> step;
  {
    auto s = futura::stream::unfold(0, [&](int) { return step.future(); });
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
  }
  BOOST_TEST(step.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exceptions_from_the_function_or_its_future_propagate_and_end_the_stream) {
  auto s = futura::stream::unfold(0, [](int) -> int_pair { throw std::runtime_error("no"); });
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);

  probe<int_pair> step;
  step.fail("future failed");
  auto t = futura::stream::unfold(0, [&](int) { return step.future(); });
  BOOST_CHECK_THROW((void)t.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(poll_fn)

BOOST_AUTO_TEST_CASE(each_poll_calls_the_function_until_it_answers_the_end) {
  int n = 0;
  counting_waker target;
  futura::waker w = target.make();
  auto s = futura::stream::poll_fn<int>([&](futura::waker& wk) -> futura::poll_result<std::optional<int>> {
    if (n % 2 == 1) {
      ++n;
      wk.wake();
      return futura::pending;
    }
    if (n == 4) return std::optional<int>();
    return std::optional<int>(n++);
  });
  BOOST_TEST(*next_of(s.poll_next(w)) == 0);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 2);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
