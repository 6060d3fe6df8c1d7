// The adapters over a set of futures: buffered, buffer_unordered, for_each_concurrent and
// try_for_each_concurrent. Their limits (what runs at once), their order, the end of the stream,
// a drop mid-stream, exceptions and errors (which finish them and drop the other children), the
// budget over an endless ready stream, and steady states that allocate nothing.
#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/probe.hpp>
#include <support/probe_stream.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

std::vector<probe<int>> make_probes(int n) { return std::vector<probe<int>>(static_cast<std::size_t>(n)); }

/// A stream of the probes' futures, ready at every poll.
auto stream_of(const std::vector<probe<int>>& probes) { return futura::stream::iter(futures_of(probes)); }

using int_result = boost::system::result<int>;
using void_result = boost::system::result<void>;

/// Both adapters with n = 2 over four pending futures: the first poll pulls and polls two; then
/// the second one finishes first.
template <class S>
void run_two_and_finish_the_second(S& s, std::vector<probe<int>>& probes, futura::waker& w) {
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(probes[0].polls() == 1);
  BOOST_TEST(probes[1].polls() == 1);
  BOOST_TEST(probes[2].polls() == 0);  // not pulled: two run already
  probes[1].complete(1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(buffer_unordered_adapter)

BOOST_AUTO_TEST_CASE(runs_at_most_n_futures_at_once_and_yields_outputs_in_completion_order) {
  auto probes = make_probes(4);
  auto s = stream_of(probes).buffer_unordered(2);
  futura::waker w;
  run_two_and_finish_the_second(s, probes, w);
  BOOST_TEST(yields(s.poll_next(w), 1));
  BOOST_TEST(s.poll_next(w).is_pending());  // room again: the third is pulled and polled
  BOOST_TEST(probes[2].polls() == 1);
  BOOST_TEST(probes[3].polls() == 0);
  probes[2].complete(2);
  probes[0].complete(0);
  BOOST_TEST(yields(s.poll_next(w), 2));
  BOOST_TEST(yields(s.poll_next(w), 0));
  probes[3].complete(3);
  BOOST_TEST(yields(s.poll_next(w), 3));
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());  // the upstream ended and nothing runs
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(a_pending_upstream_and_its_end_reach_the_stream) {
  probe_stream_source<futura::ready_future<int>> src;
  auto s = src.stream().buffer_unordered(3);
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  src.push(futura::ready(5));
  BOOST_TEST(parent.wakes() == 1);
  BOOST_TEST(yields(s.poll_next(w), 5));
  BOOST_TEST(s.poll_next(w).is_pending());
  src.end();
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());  // (the probe fails a poll after its end)
}

BOOST_AUTO_TEST_CASE(dropping_it_mid_stream_drops_exactly_the_running_children_and_the_upstream) {
  auto probes = make_probes(5);
  probe_stream_source<int> src;
  for (int i = 0; i < 5; ++i) src.push(i);
  {
    auto s = src.stream().map([&](int i) { return probes[static_cast<std::size_t>(i)].future(); }).buffer_unordered(3);
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
    probes[0].complete(0);
    BOOST_TEST(yields(s.poll_next(w), 0));  // room again: the next poll would pull the fourth
    BOOST_TEST(probes[0].drops() == 1);
  }
  for (int i = 0; i < 3; ++i) BOOST_TEST(probes[static_cast<std::size_t>(i)].drops() == 1);
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(src.queued() == 2u);  // never pulled
  BOOST_TEST(probes[3].polls() == 0);
}

BOOST_AUTO_TEST_CASE(an_endless_ready_upstream_yields_after_the_budget) {
  auto s = futura::stream::repeat_with([] { return futura::pending_forever<int>(); }).buffer_unordered(1'000'000);
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(s.poll_next(w).is_pending());
  BOOST_TEST(parent.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(ready_futures_fold_to_their_sum_and_a_steady_state_allocates_nothing) {
  std::vector<futura::ready_future<int>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(futura::ready(i));
  auto s = futura::stream::iter(std::move(futures)).buffer_unordered(64);
  futura::waker w;
  long sum = 0;
  for (int i = 0; i < 100; ++i) sum += *next_of(s.poll_next(w));  // the slots are made here
  bool ok = true;
  const long allocations = allocations_during([&] {
    for (int i = 100; i < 1000; ++i) {
      futura::poll_result<std::optional<int>> r = s.poll_next(w);
      ok = ok && r.is_ready() && r.value().has_value();
      if (ok) sum += *r.value();
    }
  });
  BOOST_TEST(ok);
  BOOST_TEST(allocations == 0);
  BOOST_TEST(sum == 999L * 1000 / 2);
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(through_block_on_with_children_completed_from_another_thread) {
  constexpr int n = 500;
  std::vector<futura::promise<int>> promises(n);
  std::vector<futura::promise_future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  std::thread setter([&] {
    for (int i = n - 1; i >= 0; --i) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  long sum = futura::block_on(
      futura::stream::iter(std::move(futures)).buffer_unordered(16).fold(0L, [](long a, int x) { return a + x; }));
  setter.join();
  BOOST_TEST(sum == long{n - 1} * n / 2);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(n_zero_throws_invalid_argument) {
  auto probes = make_probes(1);
  BOOST_CHECK_THROW((void)stream_of(probes).buffer_unordered(0), std::invalid_argument);
  BOOST_CHECK_THROW((void)stream_of(probes).buffered(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_child_s_exception_finishes_the_stream_and_drops_the_others) {
  auto probes = make_probes(4);
  auto s = stream_of(probes).buffer_unordered(3);
  futura::waker w;
  BOOST_TEST(s.poll_next(w).is_pending());
  probes[1].fail();
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  for (int i = 0; i < 3; ++i) BOOST_TEST(probes[static_cast<std::size_t>(i)].drops() == 1);
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(an_upstream_exception_finishes_the_stream_and_drops_the_children) {
  auto probes = make_probes(2);
  probe_stream_source<int> src;
  src.push(0);
  auto s = src.stream().map([&](int i) { return probes[static_cast<std::size_t>(i)].future(); }).buffer_unordered(3);
  futura::waker w;
  BOOST_TEST(s.poll_next(w).is_pending());
  src.fail();
  BOOST_CHECK_THROW((void)s.poll_next(w), std::runtime_error);
  BOOST_TEST(probes[0].drops() == 1);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(buffered_adapter)

BOOST_AUTO_TEST_CASE(runs_at_most_n_futures_at_once_and_yields_outputs_in_input_order) {
  auto probes = make_probes(4);
  auto s = stream_of(probes).buffered(2);
  futura::waker w;
  run_two_and_finish_the_second(s, probes, w);
  BOOST_TEST(s.poll_next(w).is_pending());  // 1 waits for 0, and counts towards n
  BOOST_TEST(probes[2].polls() == 0);
  probes[0].complete(0);
  BOOST_TEST(yields(s.poll_next(w), 0));
  BOOST_TEST(yields(s.poll_next(w), 1));  // waiting: out at once
  BOOST_TEST(s.poll_next(w).is_pending());
  probes[3].complete(3);
  probes[2].complete(2);
  BOOST_TEST(yields(s.poll_next(w), 2));
  BOOST_TEST(yields(s.poll_next(w), 3));
  BOOST_TEST(!next_of(s.poll_next(w)).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_the_running_children_and_the_waiting_outputs) {
  tracked::reset();
  {
    std::vector<probe<tracked>> probes(3);
    auto s = futura::stream::iter(futures_of(probes)).buffered(3);
    futura::waker w;
    BOOST_TEST(s.poll_next(w).is_pending());
    probes[2].complete(tracked(2));
    BOOST_TEST(s.poll_next(w).is_pending());
    for (const auto& p : probes) BOOST_TEST(p.drops() == (&p == &probes[2] ? 1 : 0));
  }
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(for_each_concurrent_consumer)

BOOST_AUTO_TEST_CASE(runs_up_to_limit_futures_at_once_until_the_stream_ends) {
  auto probes = make_probes(5);
  int calls = 0;
  auto f = futura::stream::iter(std::vector<int>{0, 1, 2, 3, 4}).for_each_concurrent(2, [&](int i) {
    ++calls;
    return probes[static_cast<std::size_t>(i)].future();
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 2);
  probes[1].complete(1);
  BOOST_TEST(parent.wakes() == 1);  // a child's wake reaches the first poll's waker
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(calls == 3);  // 1 is done: room for one more, polled in the same poll
  BOOST_TEST(probes[2].polls() == 1);
  for (auto& p : probes) p.complete(0);
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(calls == 5);
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(futures_completed_from_another_thread_wake_it_from_its_first_poll_on) {
  constexpr int n = 200;
  std::vector<futura::promise<int>> promises(n);
  std::vector<futura::promise_future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  int sum = 0;
  std::thread setter([&] {
    for (int i = n - 1; i >= 0; --i) promises[static_cast<std::size_t>(i)].set_value(i);
  });
  futura::block_on(futura::stream::iter(std::move(futures)).for_each_concurrent(4, [&](futura::promise_future<int> f) {
    return std::move(f).then([&](int x) { sum += x; });
  }));
  setter.join();
  BOOST_TEST(sum == (n - 1) * n / 2);
}

BOOST_AUTO_TEST_CASE(limit_zero_runs_every_future_at_once) {
  auto probes = make_probes(300);
  auto f = stream_of(probes).for_each_concurrent(0, [](probe_future<int> p) { return p; });
  futura::waker w;
  // 300 items pulled and 300 children polled: a few polls, each within the budget
  for (int i = 0; i < 10; ++i) BOOST_TEST(f.poll(w).is_pending());
  int polled_once = 0;
  for (const auto& p : probes) polled_once += p.polls() == 1;
  BOOST_TEST(polled_once == 300);
  for (auto& p : probes) p.complete(1);
  int polls = 0;
  while (f.poll(w).is_pending() && ++polls < 10) {
  }
  BOOST_TEST(polls < 10);
}

BOOST_AUTO_TEST_CASE(an_endless_ready_stream_yields_after_the_budget) {
  auto f =
      futura::stream::repeat(0).for_each_concurrent(0, [](int) { return futura::pending_forever<futura::unit>(); });
  counting_waker parent;
  futura::waker w = parent.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(parent.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_steady_state_allocates_nothing) {
  auto f =
      futura::stream::iter(std::vector<int>(20'000, 1)).for_each_concurrent(8, [](int x) { return futura::ready(x); });
  futura::waker w;
  BOOST_TEST(f.poll(w).is_pending());  // the slots are made here; then the budget ends the poll
  bool done = false;
  const long allocations = allocations_during([&] {
    for (int i = 0; i < 1000 && !done; ++i) done = f.poll(w).is_ready();
  });
  BOOST_TEST(done);
  BOOST_TEST(allocations == 0);
}

BOOST_AUTO_TEST_CASE(dropping_it_drops_the_stream_and_every_running_future_once) {
  auto probes = make_probes(3);
  probe_stream_source<int> src;
  for (int i = 0; i < 3; ++i) src.push(i);
  {
    auto f = src.stream().for_each_concurrent(0, [&](int i) { return probes[static_cast<std::size_t>(i)].future(); });
    futura::waker w;
    BOOST_TEST(f.poll(w).is_pending());
  }
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
  BOOST_TEST(src.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_finishes_it_and_drops_the_other_futures) {
  auto probes = make_probes(3);
  auto f = stream_of(probes).for_each_concurrent(0, [](probe_future<int> p) { return p; });
  futura::waker w;
  BOOST_TEST(f.poll(w).is_pending());
  probes[2].fail();
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(try_for_each_concurrent_consumer)

BOOST_AUTO_TEST_CASE(succeeds_when_every_item_and_future_succeeds) {
  std::vector<int_result> items{1, 2, 3};
  int sum = 0;
  auto f = futura::stream::iter(std::move(items)).try_for_each_concurrent(2, [&](int x) {
    sum += x;
    return futura::ready(void_result());
  });
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, void_result>);
  void_result r = futura::block_on(std::move(f));
  BOOST_TEST(r.has_value());
  BOOST_TEST(sum == 6);
}

BOOST_AUTO_TEST_CASE(a_future_s_error_ends_it_and_drops_the_other_futures) {
  std::vector<probe<int_result>> probes(3);
  auto f = futura::stream::iter(std::vector<int_result>{0, 1, 2}).try_for_each_concurrent(0, [&](int i) {
    return probes[static_cast<std::size_t>(i)].future();  // a result<int>: its value is ignored
  });
  futura::waker w;
  BOOST_TEST(f.poll(w).is_pending());
  probes[0].complete(int_result(7));
  probes[1].complete(int_result(boost::system::errc::make_error_code(boost::system::errc::io_error)));
  futura::poll_result<void_result> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().has_error());
  BOOST_TEST(r.value().error() == boost::system::errc::io_error);
  for (const auto& p : probes) BOOST_TEST(p.drops() == 1);
}

BOOST_AUTO_TEST_CASE(an_item_s_error_ends_it_without_polling_the_stream_again) {
  probe_stream_source<int_result> src;
  std::vector<probe<void_result>> probes(1);
  auto f = src.stream().try_for_each_concurrent(4, [&](int) { return probes[0].future(); });
  futura::waker w;
  src.push(int_result(1));
  src.push(int_result(boost::system::errc::make_error_code(boost::system::errc::timed_out)));
  futura::poll_result<void_result> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().error() == boost::system::errc::timed_out);
  BOOST_TEST(probes[0].drops() == 1);
  BOOST_TEST(src.polls() == 2);
}

BOOST_AUTO_TEST_CASE(on_results_of_void_f_takes_nothing) {
  int calls = 0;
  auto f = futura::stream::iter(std::vector<void_result>(3)).try_for_each_concurrent(1, [&] {
    ++calls;
    return futura::ready(void_result());
  });
  BOOST_TEST(futura::block_on(std::move(f)).has_value());
  BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_SUITE_END()
