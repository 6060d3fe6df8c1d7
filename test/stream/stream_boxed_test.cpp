// stream::boxed_stream<T> / .boxed(): the adapter contract through the box, one allocation per
// boxing (none for boxing a box again), one return type for streams of different types, moves,
// the empty box, drops, and dropping a deep nest of boxes on a shallow stack.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stream_contract.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

using ints = std::vector<int>;

futura::stream::boxed_stream<int> numbers(bool odd) {  // one return type for two stream types
  if (odd) return futura::stream::iter(ints{1, 3, 5});
  return futura::stream::repeat(2).take(3);
}

/// Boxes `s` out of line: inlined, Clang may fold the block's new with its delete and skip the count.
template <class S>
[[gnu::noinline]] futura::stream::boxed_stream<int> box_out_of_line(S s) {
  return std::move(s).boxed();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_boxed)

BOOST_AUTO_TEST_CASE(a_boxed_stream_keeps_the_adapter_contract) {
  check_adapter_contract([](auto s) { return std::move(s).boxed(); });
  check_adapter_contract(
      [](auto s) { return futura::stream::boxed_stream<int>(std::move(s).map([](int x) { return x; })); });
}

BOOST_AUTO_TEST_CASE(a_function_returns_streams_of_different_types_as_one_boxed_stream) {
  futura::waker w;
  auto odd = numbers(true);
  auto even = numbers(false);
  BOOST_TEST(drain_ready(odd, w) == (ints{1, 3, 5}), boost::test_tools::per_element());
  BOOST_TEST(drain_ready(even, w) == (ints{2, 2, 2}), boost::test_tools::per_element());
  // and a boxed stream has every method, like any stream
  std::vector<int> v = futura::block_on(numbers(true).map([](int x) { return x * 10; }).collect());
  BOOST_TEST(v == (ints{10, 30, 50}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(boxing_allocates_once_and_boxing_a_box_or_moving_it_allocates_nothing) {
  auto s = futura::stream::repeat(1).take(3);
  std::optional<futura::stream::boxed_stream<int>> box;
  long boxing = allocations_during([&] { box.emplace(box_out_of_line(std::move(s))); });
  long again = allocations_during([&] {
    futura::stream::boxed_stream<int> moved = std::move(*box).boxed();  // the same box, moved
    box.emplace(std::move(moved));
  });
  long polls = allocations_during([&] {
    futura::waker w;
    while (next_of(box->poll_next(w))) {
    }
  });
#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK
  BOOST_TEST(boxing == 1);
#else
  BOOST_TEST(boxing >= 1);
#endif
  BOOST_TEST(again == 0);
  BOOST_TEST(polls == 0);
}

BOOST_AUTO_TEST_CASE(a_moved_from_or_default_box_is_empty_and_polling_it_is_rule_4_s_error) {
  futura::stream::boxed_stream<int> a = futura::stream::repeat(1).boxed();
  BOOST_TEST(a.valid());
  futura::stream::boxed_stream<int> b(std::move(a));
  BOOST_TEST(!a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  BOOST_TEST(b.valid());
  futura::stream::boxed_stream<int> empty;
  BOOST_TEST(!empty.valid());
#if FUTURA_HAS_EXCEPTIONS
  futura::waker w;
  BOOST_CHECK_EXCEPTION((void)a.poll_next(w), futura::future_error, is_polled_after_completion);
  BOOST_CHECK_EXCEPTION((void)empty.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(assigning_to_a_box_drops_the_stream_it_held_exactly_once) {
  probe_stream_source<int> first;
  probe_stream_source<int> second;
  futura::stream::boxed_stream<int> box = first.stream().boxed();
  box = second.stream().boxed();
  BOOST_TEST(first.drops() == 1);
  BOOST_TEST(second.drops() == 0);
  box = futura::stream::boxed_stream<int>();
  BOOST_TEST(second.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_deep_nest_of_boxes_does_not_overflow_the_stack) {
  probe_stream_source<int> src;
  {
    futura::stream::boxed_stream<int> s = src.stream().boxed();
    for (int i = 0; i < 200000; ++i) s = std::move(s).map([](int x) { return x + 1; }).boxed();
    BOOST_TEST(src.drops() == 0);
  }
  BOOST_TEST(src.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
