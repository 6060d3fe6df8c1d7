// flatten, chunks and ready_chunks: the contract over an instrumented upstream, then each
// adapter's sentences from its header: item order, waiting and waking, the inner streams' lives,
// chunk sizes, what a drop drops, chunks(0), and the allocation per chunk.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stream_contract.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

using ints = std::vector<int>;

auto as_stream = [](int x) { return futura::stream::iter(ints{x}); };

/// A probe stream of inner probe streams: the outer probe carries indices into `inner`.
auto stream_of(probe_stream_source<int>& outer, const std::vector<probe_stream_source<int>>& inner) {
  return outer.stream().map([&inner](int i) { return inner[static_cast<std::size_t>(i)].stream(); });
}

/// A probe upstream of ints and a counting waker to poll with: where the pending cases start.
struct upstream {
  probe_stream_source<int> src;
  counting_waker target;
  futura::waker w = target.make();
};

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_flatten_chunks)

BOOST_AUTO_TEST_CASE(flatten_chunks_and_ready_chunks_keep_the_adapter_contract) {
  check_adapter_contract([](auto s) { return std::move(s).map(as_stream).flatten(); });
  check_adapter_contract([](auto s) { return std::move(s).chunks(1); });
  check_adapter_contract([](auto s) { return std::move(s).ready_chunks(4); });
}

// --- flatten ---

BOOST_AUTO_TEST_CASE(flatten_yields_each_inner_stream_s_items_in_order_skipping_empty_ones) {
  std::vector<ints> rows{{1, 2}, {}, {3}, {}, {4, 5}};
  auto s =
      futura::stream::iter(std::move(rows)).map([](ints r) { return futura::stream::iter(std::move(r)); }).flatten();
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (ints{1, 2, 3, 4, 5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(flatten_waits_for_the_inner_stream_and_drops_it_at_its_end_before_the_next) {
  probe_stream_source<int> outer;
  std::vector<probe_stream_source<int>> inner(2);
  probe_stream_source<int>& first = inner[0];
  probe_stream_source<int>& second = inner[1];
  auto s = stream_of(outer, inner).flatten();
  counting_waker target;
  futura::waker w = target.make();

  BOOST_TEST(s.poll_next(w).is_pending());  // no inner stream yet
  outer.push(0);
  outer.push(1);
  BOOST_TEST(target.wakes() == 2);          // one wake per push
  BOOST_TEST(s.poll_next(w).is_pending());  // the first inner stream is pending
  BOOST_TEST(outer.queued() == 1);          // the next one is not pulled before the first ends
  first.push(1);
  BOOST_TEST(target.wakes() == 3);
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);
  first.end();
  second.push(2);  // nobody polled the second inner stream yet: no wake from it
  BOOST_TEST(target.wakes() == 4);
  BOOST_TEST(*next_of(s.poll_next(w)) == 2);  // same poll: first ends, second starts
  BOOST_TEST(first.drops() == 1);             // released at its end
  BOOST_TEST(first.polls() == 3);             // and never polled again (the probe would throw)
  second.end();
  outer.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(second.drops() == 1);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(dropping_flatten_mid_stream_drops_the_outer_and_the_running_inner_stream_once) {
  probe_stream_source<int> outer;
  std::vector<probe_stream_source<int>> inner(2);
  {
    auto s = stream_of(outer, inner).flatten();
    outer.push(0);
    outer.push(1);
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
    auto moved = std::move(s);
    BOOST_TEST(inner[0].drops() == 0);
  }
  BOOST_TEST(outer.drops() == 1);
  BOOST_TEST(inner[0].drops() == 1);
  BOOST_TEST(inner[1].drops() == 0);  // never pulled out of the outer stream
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_an_inner_stream_propagates_out_of_flatten) {
  probe_stream_source<int> outer;
  std::vector<probe_stream_source<int>> inner(1);
  auto s = stream_of(outer, inner).flatten();
  outer.push(0);
  inner[0].fail();
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_CASE(flatten_skips_at_most_a_budget_of_empty_inner_streams_per_poll) {
  int made = 0;
  auto s = futura::stream::repeat_with([&made] {
             ++made;
             return futura::stream::empty<int>();
           }).flatten();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(made == static_cast<int>(futura::detail::coop_budget));
  BOOST_TEST(target.wakes() == 1);  // it woke itself: the executor polls it again later
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(target.wakes() == 2);
}

// --- chunks ---

BOOST_AUTO_TEST_CASE(chunks_are_n_items_in_order_and_the_last_one_may_be_short) {
  futura::waker w;
  auto s = futura::stream::iter(ints{1, 2, 3, 4, 5}).chunks(2);
  std::vector<ints> got = drain_ready(s, w);
  BOOST_TEST(got.size() == 3u);
  BOOST_TEST(got[0] == (ints{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(got[1] == (ints{3, 4}), boost::test_tools::per_element());
  BOOST_TEST(got[2] == (ints{5}), boost::test_tools::per_element());

  auto exact = futura::stream::iter(ints{1, 2, 3, 4}).chunks(2);
  BOOST_TEST(drain_ready(exact, w).size() == 2u);  // no empty chunk at the end
  auto none = futura::stream::iter(ints{}).chunks(3);
  BOOST_TEST(drain_ready(none, w).empty());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)none.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_FIXTURE_TEST_CASE(chunks_wait_for_a_full_chunk_while_the_upstream_is_pending, upstream) {
  auto s = src.stream().chunks(3);
  src.push(1);
  BOOST_TEST(s.poll_next(w).is_pending());  // one item gathered, the upstream pending
  src.push(2);
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(target.wakes() == 1);
  src.push(3);
  src.push(4);
  BOOST_TEST(target.wakes() == 3);  // one per push after the first pending poll
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{1, 2, 3}), boost::test_tools::per_element());
  src.end();
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{4}), boost::test_tools::per_element());
  BOOST_TEST(src.drops() == 1);  // the upstream is released at its end
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(src.polls() == 7);  // and never polled after it (the probe would throw)
}

BOOST_AUTO_TEST_CASE(dropping_chunks_mid_chunk_drops_the_upstream_and_the_gathered_items_once) {
  tracked::reset();
  probe_stream_source<tracked> src;
  {
    auto s = src.stream().chunks(4);
    src.push(tracked(1));
    src.push(tracked(2));
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
    BOOST_TEST(tracked::alive() == 2);  // in the chunk being gathered
  }
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(tracked::alive() == 0);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(chunks_of_zero_and_ready_chunks_of_zero_throw_invalid_argument) {
  BOOST_CHECK_THROW((void)futura::stream::repeat(1).chunks(0), std::invalid_argument);
  BOOST_CHECK_THROW((void)futura::stream::repeat(1).ready_chunks(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(chunks_keep_the_gathered_items_when_the_upstream_throws) {
  probe_stream_source<int> src;
  auto s = src.stream().chunks(2);
  src.push(1);
  futura::waker w;
  BOOST_TEST(s.poll_next(w).is_pending());
  src.fail();
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  src.push(2);
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{1, 2}), boost::test_tools::per_element());
}
#endif

BOOST_AUTO_TEST_CASE(chunks_allocate_once_per_chunk) {
  ints items(10, 7);
  auto s = futura::stream::iter(std::move(items)).chunks(4);
  std::size_t seen = 0;
  long n = allocations_during([&] {
    futura::waker w;
    while (auto chunk = next_of(s.poll_next(w))) seen += chunk->size();
  });
  BOOST_TEST(seen == 10u);
#if !FUTURA_TEST_ALLOCATIONS_BY_HOOK
  BOOST_TEST(n == 3);  // {4}, {4}, {2}: each vector reserves its n once
#else
  BOOST_TEST(n >= 3);
#endif
}

// --- ready_chunks ---

BOOST_FIXTURE_TEST_CASE(ready_chunks_return_what_is_ready_up_to_n_and_never_an_empty_chunk, upstream) {
  auto s = src.stream().ready_chunks(3);
  BOOST_TEST(s.poll_next(w).is_pending());  // nothing ready: pending, not an empty chunk
  src.push(1);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{1}), boost::test_tools::per_element());  // not waiting for more
  for (int i = 2; i <= 6; ++i) src.push(i);
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{2, 3, 4}), boost::test_tools::per_element());  // full
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{5, 6}), boost::test_tools::per_element());
  src.push(7);
  src.end();
  BOOST_TEST(*next_of(s.poll_next(w)) == (ints{7}), boost::test_tools::per_element());
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(ready_chunks_of_an_always_ready_stream_are_full) {
  auto s = futura::stream::iter(ints{1, 2, 3, 4, 5}).ready_chunks(2);
  futura::waker w;
  std::vector<ints> got = drain_ready(s, w);
  BOOST_TEST(got.size() == 3u);
  BOOST_TEST(got[2] == (ints{5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
