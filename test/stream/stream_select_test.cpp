// futura::stream::select and select_all: the contract over instrumented streams, then the
// sentences of their headers: every item of every stream in each stream's order, fairness
// (neither of two always-ready streams starves), the end when all ended, an ended stream neither
// polled again nor kept, wakes, drops and exceptions.
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

/// Counts of each value among the first `n` items of `s` (values 0..k-1).
template <class S>
std::vector<int> tally(S& s, int n, std::size_t k) {
  std::vector<int> counts(k, 0);
  futura::waker w;
  for (int i = 0; i < n; ++i) ++counts.at(static_cast<std::size_t>(*next_of(s.poll_next(w))));
  return counts;
}

std::vector<probe_stream<int>> streams_of(const std::vector<probe_stream_source<int>>& sources) {
  std::vector<probe_stream<int>> v;
  for (const auto& src : sources) v.push_back(src.stream());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_select)

BOOST_AUTO_TEST_CASE(select_and_select_all_keep_the_adapter_contract) {
  check_adapter_contract([](auto s) { return futura::stream::select(std::move(s), futura::stream::empty<int>()); });
  check_adapter_contract([](auto s) { return futura::stream::select(futura::stream::empty<int>(), std::move(s)); });
  check_adapter_contract([](auto s) {
    std::vector<decltype(s)> v;
    v.push_back(std::move(s));
    return futura::stream::select_all(std::move(v));
  });
}

BOOST_AUTO_TEST_CASE(select_yields_every_item_of_every_stream_each_in_its_own_order) {
  auto s = futura::stream::select(futura::stream::iter(ints{1, 3, 5, 7}), futura::stream::iter(ints{2, 4}),
                                  futura::stream::iter(ints{}));
  futura::waker w;
  ints got = drain_ready(s, w);
  BOOST_TEST(got == (ints{1, 2, 3, 4, 5, 7}), boost::test_tools::per_element());  // round robin from the first
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(select_is_fair_two_always_ready_streams_alternate) {
  auto s = futura::stream::select(futura::stream::repeat(0), futura::stream::repeat(1));
  futura::waker w;
  std::optional<int> last;
  for (int i = 0; i < 1000; ++i) {
    int v = *next_of(s.poll_next(w));
    if (last) BOOST_TEST(v != *last);  // neither stream gives two items in a row
    last = v;
  }
  auto three = futura::stream::select(futura::stream::repeat(0), futura::stream::repeat(1), futura::stream::repeat(2));
  std::vector<int> counts = tally(three, 3000, 3);
  BOOST_TEST(counts == (std::vector<int>{1000, 1000, 1000}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_always_ready_stream_does_not_starve_one_that_is_ready_now_and_then) {
  probe_stream_source<int> slow;
  auto s = futura::stream::select(futura::stream::repeat(0), slow.stream());
  futura::waker w;
  for (int round = 0; round < 100; ++round) {
    slow.push(1);
    BOOST_TEST(*next_of(s.poll_next(w)) + *next_of(s.poll_next(w)) == 1);  // the slow item within two polls
  }
}

BOOST_AUTO_TEST_CASE(select_waits_for_any_stream_and_ends_when_all_have_ended) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  auto s = futura::stream::select(a.stream(), b.stream());
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s.poll_next(w).is_pending());  // both polled with the poller's waker
  BOOST_TEST(a.polls() == 1);
  BOOST_TEST(b.polls() == 1);
  b.push(2);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 2);
  a.end();
  BOOST_TEST(target.wakes() == 2);
  BOOST_TEST(s.poll_next(w).is_pending());  // a ended, b pending: not the end yet
  BOOST_TEST(a.drops() == 1);               // released at its end
  b.push(3);
  BOOST_TEST(*next_of(s.poll_next(w)) == 3);
  BOOST_TEST(a.polls() == 3);  // never polled after its end (the probe would throw)
  b.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
  BOOST_TEST(b.drops() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_select_mid_stream_drops_each_live_stream_once) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  {
    auto s = futura::stream::select(a.stream(), b.stream());
    futura::waker w;
    a.end();
    BOOST_TEST(s.poll_next(w).is_pending());
    BOOST_TEST(a.drops() == 1);
    auto moved = std::move(s);
    BOOST_TEST(b.drops() == 0);
  }
  BOOST_TEST(a.drops() == 1);
  BOOST_TEST(b.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_a_stream_propagates_out_of_select_and_select_all) {
  probe_stream_source<int> a;
  probe_stream_source<int> b;
  auto s = futura::stream::select(a.stream(), b.stream());
  b.fail();
  futura::waker w;
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  b.push(1);
  BOOST_TEST(*next_of(s.poll_next(w)) == 1);  // the select may be polled again

  std::vector<probe_stream_source<int>> sources(2);
  auto all = futura::stream::select_all(streams_of(sources));
  sources[1].fail();
  BOOST_CHECK_THROW((void)all.poll_next(w), std::runtime_error);
}
#endif

// --- select_all ---

BOOST_AUTO_TEST_CASE(select_all_yields_every_item_fairly_and_ends_when_all_have_ended) {
  std::vector<decltype(futura::stream::iter(ints{}))> v;
  v.push_back(futura::stream::iter(ints{1, 4, 6}));
  v.push_back(futura::stream::iter(ints{}));
  v.push_back(futura::stream::iter(ints{2, 5}));
  v.push_back(futura::stream::iter(ints{3}));
  auto s = futura::stream::select_all(std::move(v));
  futura::waker w;
  BOOST_TEST(drain_ready(s, w) == (ints{1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif

  std::vector<futura::stream::repeat_stream<int>> always;
  for (int i = 0; i < 4; ++i) always.push_back(futura::stream::repeat(i));
  auto fair = futura::stream::select_all(std::move(always));
  std::vector<int> counts = tally(fair, 4000, 4);
  BOOST_TEST(counts == (std::vector<int>{1000, 1000, 1000, 1000}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(select_all_of_no_streams_ends_at_its_first_poll) {
  auto s = futura::stream::select_all(std::vector<futura::stream::repeat_stream<int>>{});
  futura::waker w;
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(select_all_never_polls_an_ended_stream_and_drops_it_at_its_end) {
  std::vector<probe_stream_source<int>> sources(3);
  std::optional<decltype(futura::stream::select_all(streams_of(sources)))> s(
      futura::stream::select_all(streams_of(sources)));
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(s->poll_next(w).is_pending());
  sources[1].end();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(s->poll_next(w).is_pending());
  BOOST_TEST(sources[1].drops() == 1);
  sources[0].push(10);
  sources[2].push(12);
  BOOST_TEST(*next_of(s->poll_next(w)) == 10);
  BOOST_TEST(*next_of(s->poll_next(w)) == 12);
  BOOST_TEST(sources[1].polls() == 2);  // not polled after its end (the probe would throw)
  s.reset();                            // dropped mid-stream: each live stream once
  for (const auto& src : sources) BOOST_TEST(src.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
