// retry and backoff: attempts counted, the delays asked of the policy, should_retry, laziness,
// cancellation on drop (during an attempt and during a wait), exceptions.
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/retry.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/core/ready.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::never_in_this_test;
using std::chrono::milliseconds;
using outcome = boost::system::result<int>;

namespace {

/// The error of attempt `k`: each attempt fails differently, so "the last error" is checkable.
boost::system::error_code error_of_attempt(int k) { return {k, boost::system::generic_category()}; }

/// What a recording policy was asked: (attempt, delay) per retry.
struct policy_log {
  std::vector<std::pair<std::size_t, milliseconds>> delays;
};

/// Wraps a backoff and records every delay the retry asks for.
struct recording_policy {
  futura::backoff inner;
  std::shared_ptr<policy_log> log = std::make_shared<policy_log>();

  std::size_t attempt_limit() const { return inner.attempt_limit(); }
  template <class URBG>
  milliseconds delay_before(std::size_t attempt, URBG& random) {
    milliseconds d = inner.delay_before(attempt, random);
    log->delays.emplace_back(attempt, d);
    return d;
  }
};

/// A `make` whose k-th call returns a ready future: a failure while k <= fails, then success k.
struct failing_then_ok {
  int fails;
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  futura::ready_future<outcome> operator()() {
    const int k = ++*calls;
    if (k <= fails) return futura::ready(outcome(error_of_attempt(k)));
    return futura::ready(outcome(k));
  }
};

futura::backoff exact(std::size_t attempts, milliseconds initial, double multiplier, milliseconds cap) {
  return futura::backoff{attempts, initial, multiplier, cap, false};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_backoff)

BOOST_AUTO_TEST_CASE(backoff_defaults_are_the_documented_ones) {
  const futura::backoff b;
  BOOST_TEST(b.max_attempts == 3u);
  BOOST_TEST((b.initial_delay == milliseconds(100)));
  BOOST_TEST(b.multiplier == 2.0);
  BOOST_TEST((b.max_delay == std::chrono::seconds(10)));
  BOOST_TEST(b.jitter);
  static_assert(std::is_aggregate_v<futura::backoff>);
}

BOOST_AUTO_TEST_CASE(nominal_delays_grow_by_the_multiplier_and_stop_at_the_cap) {
  const futura::backoff b = exact(10, milliseconds(1), 3.0, milliseconds(20));
  BOOST_TEST(b.nominal_delay_before(1).count() == 0);
  BOOST_TEST(b.nominal_delay_before(2).count() == 1);
  BOOST_TEST(b.nominal_delay_before(3).count() == 3);
  BOOST_TEST(b.nominal_delay_before(4).count() == 9);
  BOOST_TEST(b.nominal_delay_before(5).count() == 20);  // 27 capped
  BOOST_TEST(b.nominal_delay_before(6).count() == 20);
}

BOOST_AUTO_TEST_CASE(nominal_delays_saturate_for_huge_attempt_numbers_and_multipliers) {
  const futura::backoff b = exact(3, milliseconds(100), 2.0, milliseconds(10000));
  BOOST_TEST(b.nominal_delay_before(64).count() == 10000);
  BOOST_TEST(b.nominal_delay_before(100000).count() == 10000);
  BOOST_TEST(b.nominal_delay_before(std::numeric_limits<std::size_t>::max()).count() == 10000);
  const futura::backoff huge = exact(3, milliseconds(100), 1e300, milliseconds::max());
  BOOST_TEST((huge.nominal_delay_before(5) == milliseconds::max()));
  const futura::backoff shrinking = exact(3, milliseconds(100), 0.5, milliseconds(1000));
  BOOST_TEST(shrinking.nominal_delay_before(3).count() == 50);
  BOOST_TEST(shrinking.nominal_delay_before(1000).count() == 0);
}

BOOST_AUTO_TEST_CASE(jittered_delays_stay_within_half_and_whole_of_the_nominal_one) {
  futura::backoff b{10, milliseconds(101), 2.0, milliseconds(5000), true};
  std::minstd_rand random(12345);
  for (std::size_t attempt = 2; attempt <= 10; ++attempt) {
    const auto nominal = b.nominal_delay_before(attempt).count();
    std::set<long long> seen;
    for (int draw = 0; draw < 1000; ++draw) {
      const auto d = b.delay_before(attempt, random).count();
      BOOST_TEST(2 * d >= nominal);
      BOOST_TEST(d <= nominal);
      seen.insert(d);
    }
    BOOST_TEST(seen.size() > 1u);  // drawn, not constant
  }
  b.jitter = false;
  BOOST_TEST((b.delay_before(3, random) == milliseconds(202)));
}

BOOST_AUTO_TEST_CASE(a_success_at_the_first_try_calls_make_once_and_never_waits) {
  asio::io_context ctx;
  recording_policy policy{exact(3, milliseconds(1), 2.0, milliseconds(5))};
  failing_then_ok make{0};
  auto log = policy.log;
  auto calls = make.calls;
  outcome r = futura::block_on(ctx, futura::retry(ctx, policy, make));
  BOOST_TEST(r.has_value());
  BOOST_TEST(*r == 1);
  BOOST_TEST(*calls == 1);
  BOOST_TEST(log->delays.empty());
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(two_failures_then_a_success_ask_for_the_initial_then_the_multiplied_delay) {
  asio::io_context ctx;
  recording_policy policy{exact(5, milliseconds(2), 1.5, milliseconds(50))};
  failing_then_ok make{2};
  auto log = policy.log;
  auto calls = make.calls;
  auto f = futura::retry(ctx, policy, make);
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, outcome>);
  outcome r = futura::block_on(ctx, std::move(f));
  BOOST_TEST(r.has_value());
  BOOST_TEST(*r == 3);
  BOOST_TEST(*calls == 3);
  BOOST_TEST_REQUIRE(log->delays.size() == 2u);
  BOOST_TEST(log->delays[0].first == 2u);
  BOOST_TEST(log->delays[0].second.count() == 2);
  BOOST_TEST(log->delays[1].first == 3u);
  BOOST_TEST(log->delays[1].second.count() == 3);
}

BOOST_AUTO_TEST_CASE(when_every_attempt_fails_the_output_is_the_last_error_after_max_attempts_calls) {
  asio::io_context ctx;
  recording_policy policy{exact(4, milliseconds(1), 2.0, milliseconds(2))};
  failing_then_ok make{100};
  auto log = policy.log;
  auto calls = make.calls;
  outcome r = futura::block_on(ctx, futura::retry(ctx.get_executor(), policy, make));
  BOOST_TEST(r.has_error());
  BOOST_TEST((r.error() == error_of_attempt(4)));
  BOOST_TEST(*calls == 4);
  // The delays before attempts 2, 3, 4; the cap applies from the third.
  BOOST_TEST_REQUIRE(log->delays.size() == 3u);
  BOOST_TEST(log->delays[0].second.count() == 1);
  BOOST_TEST(log->delays[1].second.count() == 2);
  BOOST_TEST(log->delays[2].second.count() == 2);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(max_attempts_zero_counts_as_one_attempt) {
  asio::io_context ctx;
  recording_policy policy{exact(0, milliseconds(1), 2.0, milliseconds(2))};
  failing_then_ok make{100};
  auto calls = make.calls;
  outcome r = futura::block_on(ctx, futura::retry(ctx, policy, make));
  BOOST_TEST((r.error() == error_of_attempt(1)));
  BOOST_TEST(*calls == 1);
  BOOST_TEST(policy.log->delays.empty());
  BOOST_TEST(futura::backoff{0}.attempt_limit() == 1u);
}

BOOST_AUTO_TEST_CASE(an_error_that_should_not_be_retried_is_the_output_at_once) {
  asio::io_context ctx;
  recording_policy policy{exact(5, milliseconds(1), 2.0, milliseconds(2))};
  failing_then_ok make{100};
  auto calls = make.calls;
  int asked = 0;
  outcome r = futura::block_on(ctx, futura::retry(ctx, policy, make, [&](const boost::system::error_code&) {
                                 ++asked;
                                 return false;
                               }));
  BOOST_TEST((r.error() == error_of_attempt(1)));
  BOOST_TEST(*calls == 1);
  BOOST_TEST(asked == 1);
  BOOST_TEST(policy.log->delays.empty());
}

BOOST_AUTO_TEST_CASE(should_retry_decides_per_error) {
  asio::io_context ctx;
  recording_policy policy{exact(10, milliseconds(1), 1.0, milliseconds(1))};
  failing_then_ok make{100};
  auto calls = make.calls;
  // Errors 1 and 2 are retried, error 3 is not.
  auto transient = [](const boost::system::error_code& e) { return e.value() < 3; };
  outcome r = futura::block_on(ctx, futura::retry(ctx, policy, make, transient));
  BOOST_TEST((r.error() == error_of_attempt(3)));
  BOOST_TEST(*calls == 3);
  BOOST_TEST(policy.log->delays.size() == 2u);
}

BOOST_AUTO_TEST_CASE(jittered_delays_asked_by_a_retry_stay_in_bounds) {
  asio::io_context ctx;
  recording_policy policy{futura::backoff{6, milliseconds(2), 2.0, milliseconds(5), true}};
  failing_then_ok make{100};
  outcome r = futura::block_on(ctx, futura::retry(ctx, policy, make));
  BOOST_TEST((r.error() == error_of_attempt(6)));
  BOOST_TEST_REQUIRE(policy.log->delays.size() == 5u);
  for (const auto& [attempt, d] : policy.log->delays) {
    const auto nominal = policy.inner.nominal_delay_before(attempt);
    BOOST_TEST(2 * d.count() >= nominal.count());
    BOOST_TEST(d.count() <= nominal.count());
  }
}

BOOST_AUTO_TEST_CASE(make_is_not_called_before_the_first_poll) {
  asio::io_context ctx;
  failing_then_ok make{0};
  auto calls = make.calls;
  auto f = futura::retry(ctx, futura::backoff{}, make);
  BOOST_TEST(*calls == 0);
  BOOST_TEST(f.attempts() == 0u);
  BOOST_TEST(drain(ctx));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(*calls == 1);
  BOOST_TEST(f.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(dropping_a_retry_during_its_wait_cancels_the_timer_and_calls_make_no_more) {
  asio::io_context ctx;
  failing_then_ok make{100};
  auto calls = make.calls;
  {
    auto f = futura::retry(ctx,
                           exact(3, std::chrono::duration_cast<milliseconds>(never_in_this_test), 2.0,
                                 std::chrono::duration_cast<milliseconds>(never_in_this_test)),
                           make);
    counting_waker cw;
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());  // attempt 1 failed; waiting
    BOOST_TEST(*calls == 1);
    BOOST_TEST(!drain(ctx));  // the timer waits
    BOOST_TEST(cw.wakes() == 0);
  }
  BOOST_TEST(drain(ctx));  // the drop cancelled it
  BOOST_TEST(*calls == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_retry_during_an_attempt_drops_that_attempt) {
  asio::io_context ctx;
  futura_test::probe<outcome> attempt;
  int calls = 0;
  {
    auto f = futura::retry(ctx, futura::backoff{}, [&] {
      ++calls;
      return attempt.future();
    });
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(attempt.polls() == 1);
    BOOST_TEST(attempt.drops() == 0);
  }
  BOOST_TEST(attempt.drops() == 1);
  BOOST_TEST(calls == 1);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(an_attempt_completing_later_wakes_the_retry) {
  asio::io_context ctx;
  futura_test::probe<outcome> attempt;
  auto f = futura::retry(ctx, futura::backoff{}, [&] { return attempt.future(); });
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  attempt.complete(outcome(7));
  BOOST_TEST(cw.wakes() == 1);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(*r.value() == 7);
}

BOOST_AUTO_TEST_CASE(an_exception_from_make_propagates_and_completes_the_retry) {
  asio::io_context ctx;
  int calls = 0;
  auto f = futura::retry(ctx, exact(3, milliseconds(1), 2.0, milliseconds(1)), [&]() -> futura::ready_future<outcome> {
    if (++calls == 2) throw std::runtime_error("make failed");
    return futura::ready(outcome(error_of_attempt(calls)));
  });
  BOOST_CHECK_THROW((void)futura::block_on(ctx, std::move(f)), std::runtime_error);
  BOOST_TEST(calls == 2);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(an_exception_from_an_attempt_propagates_and_is_not_retried) {
  asio::io_context ctx;
  futura_test::probe<outcome> attempt;
  int calls = 0;
  auto f = futura::retry(ctx, futura::backoff{}, [&] {
    ++calls;
    return attempt.future();
  });
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  attempt.fail("attempt failed");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(calls == 1);
  BOOST_TEST(attempt.drops() == 1);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}

BOOST_AUTO_TEST_CASE(a_retry_in_a_task_on_a_thread_pool_completes) {
  // The timer's handler and the task's polls run on different threads of the pool.
  asio::thread_pool pool(2);
  recording_policy policy{exact(5, milliseconds(1), 2.0, milliseconds(4))};
  failing_then_ok make{3};
  auto calls = make.calls;
  auto log = policy.log;
  outcome r = futura::block_on(futura::spawn(pool, futura::retry(pool, policy, make)));
  pool.join();
  BOOST_TEST(*r == 4);
  BOOST_TEST(*calls == 4);
  BOOST_TEST_REQUIRE(log->delays.size() == 3u);
  BOOST_TEST(log->delays[2].second.count() == 4);
}

BOOST_AUTO_TEST_CASE(a_retry_may_move_between_polls_while_it_waits) {
  asio::io_context ctx;
  failing_then_ok make{1};
  auto f = futura::retry(ctx, exact(3, milliseconds(1), 2.0, milliseconds(1)), make);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  outcome r = futura::block_on(ctx, std::move(moved));
  BOOST_TEST(*r == 2);
}

BOOST_AUTO_TEST_SUITE_END()
