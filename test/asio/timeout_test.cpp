// timeout(ex, f, d), and racing IO against sleeps with select: who wins, what is dropped, what
// is cancelled, and that the loser leaves no work behind.
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/select.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::loopback_pair;
using futura_test::never_in_this_test;
using futura_test::probe;
using std::chrono::milliseconds;

namespace {

template <class T>
bool timed_out(const boost::system::result<T>& r) {
  return r.has_error() && r.error() == futura::error::timed_out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timeout_future)

BOOST_AUTO_TEST_CASE(a_future_ready_at_once_gives_its_output_and_arms_no_timer) {
  asio::io_context ctx;
  auto f = futura::timeout(ctx, futura::ready(7), never_in_this_test);
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<int>>);
  boost::system::result<int> r = futura::block_on(ctx, std::move(f));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(*r == 7);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_future_finishing_in_time_wins_and_its_timer_leaves_no_work) {
  asio::io_context ctx;
  auto f = futura::timeout(ctx, asio::post(ctx, futura::as_future).then([] { return std::string("done"); }),
                           never_in_this_test);
  boost::system::result<std::string> r = futura::block_on(ctx, std::move(f));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(*r == "done");
  BOOST_TEST(drain(ctx));  // the armed timer was cancelled: run() would return at once
}

BOOST_AUTO_TEST_CASE(the_output_of_a_failing_future_is_not_flattened) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 4> buf{};
  auto read = pair.server.async_read_some(asio::buffer(buf), futura::as_future);
  pair.client.close();  // the read fails with eof
  auto r = futura::block_on(ctx, futura::timeout(ctx, std::move(read), never_in_this_test));
  static_assert(std::is_same_v<decltype(r), boost::system::result<boost::system::result<std::size_t>>>);
  BOOST_REQUIRE(r.has_value());   // no time-out ...
  BOOST_REQUIRE(r->has_error());  // ... but the read's own error
  BOOST_TEST((r->error() == asio::error::eof));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_future_that_does_not_finish_in_time_times_out_and_is_dropped_at_once) {
  asio::io_context ctx;
  probe<int> p;
  auto f = futura::timeout(ctx, p.future(), milliseconds(5));
  auto r = futura::block_on(ctx, std::move(f));
  BOOST_TEST(timed_out(r));
  BOOST_TEST((r.error() == futura::error::timed_out));
  BOOST_TEST(r.error().message() == "timed out");
  BOOST_TEST(p.dropped());
  BOOST_TEST(p.polls() >= 1);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(timing_out_cancels_the_operation_and_the_next_read_gets_all_the_data) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 16> buf{};
  auto r = futura::block_on(
      ctx, futura::timeout(ctx, pair.server.async_read_some(asio::buffer(buf), futura::as_future), milliseconds(5)));
  BOOST_TEST(timed_out(r));
  BOOST_TEST(drain(ctx));  // the dropped read was cancelled: nothing is pending on the socket

  const std::string message = "late but whole";
  asio::write(pair.client, asio::buffer(message));
  std::string got(message.size(), '\0');
  auto n = futura::block_on(ctx, asio::async_read(pair.server, asio::buffer(got), futura::as_future));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(got == message);
}

BOOST_AUTO_TEST_CASE(nothing_runs_before_the_first_poll) {
  asio::io_context ctx;
  probe<int> p;
  {
    auto f = futura::timeout(ctx, p.future(), milliseconds(1));
    BOOST_TEST(p.polls() == 0);
    BOOST_TEST(drain(ctx));  // no timer armed
  }
  BOOST_TEST(p.dropped());
}

BOOST_AUTO_TEST_CASE(the_clock_starts_at_the_first_poll) {
  asio::io_context ctx;
  probe<int> p;
  auto f = futura::timeout(ctx, p.future(), milliseconds(20));
  // 20 ms pass before the first poll: a clock started at creation would fire at once.
  futura::block_on(ctx, futura::sleep_for(ctx, milliseconds(20)));
  const auto before_first_poll = std::chrono::steady_clock::now();
  BOOST_TEST(timed_out(futura::block_on(ctx, std::move(f))));
  BOOST_TEST((std::chrono::steady_clock::now() - before_first_poll >= milliseconds(20)));
}

BOOST_AUTO_TEST_CASE(when_both_are_ready_the_future_wins) {
  asio::io_context ctx;
  probe<int> p;
  auto f = futura::timeout(ctx, p.future(), milliseconds(1));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(ctx.run_one() == 1u);  // the timer fired: its handler ran
  p.complete(3);                    // and the future is ready too
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_REQUIRE(r.value().has_value());
  BOOST_TEST(*r.value() == 3);
}

BOOST_AUTO_TEST_CASE(exceptions_of_the_future_propagate_and_complete_the_timeout) {
  asio::io_context ctx;
  probe<int> p;
  auto f = futura::timeout(ctx, p.future(), never_in_this_test);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  p.fail("boom");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(p.dropped());
  BOOST_TEST(drain(ctx));  // the timer was dropped with it
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_CASE(polling_after_completion_throws_polled_after_completion) {
  asio::io_context ctx;
  auto f = futura::timeout(ctx, futura::ready(1), never_in_this_test);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_CHECK_THROW((void)f.poll(w), futura::future_error);
}

BOOST_AUTO_TEST_CASE(dropping_a_running_timeout_drops_the_future_and_cancels_the_timer) {
  asio::io_context ctx;
  probe<int> p;
  {
    auto f = futura::timeout(ctx, p.future(), never_in_this_test);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(p.dropped());
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(move_only_outputs_pass_through) {
  asio::io_context ctx;
  auto r = futura::block_on(
      ctx, futura::timeout(ctx.get_executor(), futura::ready(std::make_unique<int>(9)), milliseconds(50)));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(**r == 9);
}

BOOST_AUTO_TEST_CASE(the_timer_may_run_on_a_strand) {
  asio::io_context ctx;
  auto strand = asio::make_strand(ctx);
  BOOST_TEST(
      timed_out(futura::block_on(ctx, futura::timeout(strand, futura::pending_forever<int>(), milliseconds(1)))));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(select_io_against_sleep)

BOOST_AUTO_TEST_CASE(on_a_silent_peer_the_sleep_wins_and_the_read_is_cancelled) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 16> buf{};
  auto race = futura::select(pair.server.async_read_some(asio::buffer(buf), futura::as_future),
                             futura::sleep_for(ctx, milliseconds(5)));
  auto v = futura::block_on(ctx, std::move(race));
  BOOST_TEST(v.index() == 1u);
  BOOST_TEST(drain(ctx));  // the read was cancelled: the socket has nothing pending

  asio::write(pair.client, asio::buffer("0123456789", 10));
  auto n = futura::block_on(
      ctx, asio::async_read(pair.server, asio::buffer(buf), asio::transfer_exactly(10), futura::as_future));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(std::string(buf.data(), 10) == "0123456789");
}

BOOST_AUTO_TEST_CASE(on_a_talking_peer_the_read_wins_and_the_sleep_is_cancelled) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  asio::write(pair.client, asio::buffer("ping", 4));
  std::array<char, 16> buf{};
  auto race = futura::select(pair.server.async_read_some(asio::buffer(buf), futura::as_future),
                             futura::sleep_for(ctx, never_in_this_test));
  auto v = futura::block_on(ctx, std::move(race));
  BOOST_REQUIRE(v.index() == 0u);
  BOOST_REQUIRE(std::get<0>(v).has_value());
  BOOST_TEST(std::string(buf.data(), *std::get<0>(v)) == "ping");
  BOOST_TEST(drain(ctx));  // the sleep's timer was cancelled: run() would return at once
}

BOOST_AUTO_TEST_SUITE_END()
