// futura/asio/retry.hpp — run an operation again after failures, waiting between attempts.
//
//   idle --first poll: make()-------------------------------------------> attempting(F, k = 1)
//   attempting(F, k) --success-------------------------------------------> done: the value
//   attempting(F, k) --error e, k == attempt_limit() or !should_retry(e)--> done: e
//   attempting(F, k) --error e, otherwise: policy.delay_before(k + 1)-----> waiting(sleep, k)
//   waiting(sleep, k) --timer fired: make()-------------------------------> attempting(F', k + 1)
//
// `retry(ex, policy, make)` calls `make()`, which returns a future of
// `boost::system::result<T, E>`, and completes with that result when it succeeds; when it fails,
// and `should_retry(const E&)` is true (when given), it waits as the policy says, on a timer on
// `ex` (an executor or an execution context), then calls `make()` again. The output is the first
// success or the last error, of the same type `result<T, E>`.
//
// The policy is a customisation point: any type `P` with
//   `std::size_t attempt_limit() const`      how many calls of `make()` at most (0 counts as 1);
//   `delay_before(std::size_t k, URBG& random)`  the wait before attempt `k` (k = 2, 3, ...), any
//                                            `std::chrono::duration`; called once per retry,
//                                            just before the wait, on the polling thread, as a
//                                            non-const lvalue; `random` is the polling thread's
//                                            own uniform random bit generator (`std::minstd_rand`,
//                                            seeded once per thread), for jitter.
// `backoff` is the standard policy (exponential, capped, optionally jittered); a policy that
// wraps it can record what was asked for (docs/guide.md, chapter 22).
//
// Ordering: `make()` is first called at the first poll (rule 1), and each later call only after
// the wait before it has ended; attempts never overlap. `make()`, `should_retry` and the policy
// run on the polling thread.
// Destruction: dropping the retry drops the attempt in flight (cancelling its operation, rule 5)
// or the wait in progress (cancelling its timer, which leaves no work behind).
// Exceptions from `make()`, from an attempt's poll, from `should_retry` or from the policy
// propagate (rule 6) and complete the retry: exceptions are never retried.
// Allocation: each wait is a `sleep_for` (futura/asio/timer.hpp: one block from the per-thread
// recycling cache); nothing else beyond what `make()`'s futures allocate.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/detection.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

/// The standard retry policy: up to `max_attempts` calls of `make()`, waiting
/// min(initial_delay × multiplier^(k−2), max_delay) before attempt k (k = 2, 3, ...); with
/// `jitter`, each wait is drawn uniformly from [that/2, that] instead.
/// @code
///   futura::backoff quick{5, std::chrono::milliseconds(1), 2.0, std::chrono::milliseconds(8), false};
///   quick.nominal_delay_before(2);   // 1 ms
///   quick.nominal_delay_before(5);   // 8 ms (min(1 ms × 2^3, 8 ms))
/// @endcode
struct backoff {
  /// Calls of `make()` at most; 0 counts as 1 (the first attempt is always made).
  std::size_t max_attempts = 3;
  /// The wait before the second attempt.
  std::chrono::milliseconds initial_delay{100};
  /// Each later wait is the previous one times this (before the cap).
  double multiplier = 2.0;
  /// No wait is longer than this.
  std::chrono::milliseconds max_delay{std::chrono::seconds(10)};
  /// Draw each wait uniformly from [d/2, d] rather than waiting exactly d, so that clients that
  /// failed together do not retry together.
  bool jitter = true;

  /// `max_attempts`, at least 1.
  std::size_t attempt_limit() const noexcept { return max_attempts == 0 ? 1 : max_attempts; }

  /// The wait before attempt `attempt` without jitter: 0 for the first attempt, then
  /// min(initial_delay × multiplier^(attempt−2), max_delay), saturating at `max_delay` however
  /// large `attempt` is; never negative.
  std::chrono::milliseconds nominal_delay_before(std::size_t attempt) const noexcept {
    using rep = std::chrono::milliseconds::rep;
    if (attempt < 2) return std::chrono::milliseconds(0);
    const double cap = static_cast<double>(std::max<rep>(max_delay.count(), 0));
    const double initial = static_cast<double>(std::max<rep>(initial_delay.count(), 0));
    // pow saturates to infinity instead of overflowing, and an infinite or NaN product fails the
    // comparison, so both end at the cap.
    const double d = initial * std::pow(multiplier, static_cast<double>(attempt - 2));
    if (!(d < cap)) return std::max(max_delay, std::chrono::milliseconds(0));
    if (!(d > 0)) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<rep>(d));
  }

  /// The wait before attempt `attempt`: the nominal one, or with `jitter` a draw from `random`
  /// uniformly in [ceil(d/2), d] milliseconds.
  template <class URBG>
  std::chrono::milliseconds delay_before(std::size_t attempt, URBG& random) const {
    const std::chrono::milliseconds d = nominal_delay_before(attempt);
    if (!jitter || d.count() == 0) return d;
    std::uniform_int_distribution<std::chrono::milliseconds::rep> draw(d.count() - d.count() / 2, d.count());
    return std::chrono::milliseconds(draw(random));
  }
};

namespace detail {

/// The random bit generator a retry hands to its policy: one per thread, seeded once (from the
/// clock and the thread's identity), so drawing takes no lock.
inline std::minstd_rand& retry_random() {
  thread_local std::minstd_rand random(static_cast<std::minstd_rand::result_type>(
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      static_cast<std::uint64_t>(std::hash<std::thread::id>()(std::this_thread::get_id()))));
  return random;
}

/// The `should_retry` of `retry(ex, policy, make)`: every error is retried.
struct retry_every_error {
  template <class E>
  constexpr bool operator()(const E&) const noexcept {
    return true;
  }
};

template <class P>
using attempt_limit_call = decltype(std::size_t(std::declval<const P&>().attempt_limit()));
template <class P>
using has_attempt_limit = is_detected<attempt_limit_call, P>;

template <class D>
struct is_chrono_duration : std::false_type {};
template <class Rep, class Period>
struct is_chrono_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class P>
using delay_before_call = decltype(std::declval<P&>().delay_before(std::size_t(2), std::declval<std::minstd_rand&>()));
template <class P, bool = is_detected<delay_before_call, P>::value>
struct has_delay_before : std::false_type {};
template <class P>
struct has_delay_before<P, true> : is_chrono_duration<std::decay_t<delay_before_call<P>>> {};

/// The static checks of `retry`'s arguments, each with what to do; true when all pass.
template <class Policy, class Make, class ShouldRetry>
constexpr bool check_retry() {
  if constexpr (!has_attempt_limit<Policy>::value) {
    static_assert(dependent_false<Policy>,
                  "futura::retry: the policy needs `std::size_t attempt_limit() const` (use futura::backoff, or "
                  "see futura/asio/retry.hpp for what a policy provides)");
    return false;
  } else if constexpr (!has_delay_before<Policy>::value) {
    static_assert(dependent_false<Policy>,
                  "futura::retry: the policy needs `delay_before(std::size_t attempt, URBG& random)` returning a "
                  "std::chrono::duration (use futura::backoff, or see futura/asio/retry.hpp)");
    return false;
  } else if constexpr (!std::is_invocable_v<Make&>) {
    static_assert(dependent_false<Make>,
                  "futura::retry: make must be callable as make() (no arguments) and return a future");
    return false;
  } else if constexpr (!is_future_v<std::invoke_result_t<Make&>>) {
    static_assert(dependent_false<Make>,
                  "futura::retry: make() must return a future of boost::system::result<T, E> (wrap a plain "
                  "value with futura::ready, or a callable with futura::lazy)");
    return false;
  } else if constexpr (!is_result_v<output_t<std::decay_t<std::invoke_result_t<Make&>>>>) {
    static_assert(dependent_false<Make>,
                  "futura::retry: make() must return a future of boost::system::result<T, E>, whose errors say "
                  "when to retry (map other outputs to a result with .then(...))");
    return false;
  } else if constexpr (!std::is_invocable_r_v<
                           bool, ShouldRetry&,
                           const typename output_t<std::decay_t<std::invoke_result_t<Make&>>>::error_type&>) {
    static_assert(dependent_false<ShouldRetry>,
                  "futura::retry: should_retry must be callable as should_retry(const E&) and return bool, where "
                  "E is the error type of make()'s boost::system::result<T, E>");
    return false;
  } else {
    return true;
  }
}

}  // namespace detail

/// The future of `retry(ex, policy, make[, should_retry])`: the first success of `make()`'s
/// futures, or the last error.
/// @code
///   auto f = futura::retry(ctx, futura::backoff{},
///                          [&] { return sock.async_connect(endpoint, futura::as_future); });
///   static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<void>>);
/// @endcode
template <class Executor, class Policy, class Make, class ShouldRetry>
class [[nodiscard]] retry_future : public future_ext<retry_future<Executor, Policy, Make, ShouldRetry>> {
  static_assert(detail::check_retry<Policy, Make, ShouldRetry>());

  using attempt_future = std::decay_t<std::invoke_result_t<Make&>>;

 public:
  using output_type = output_t<attempt_future>;

  retry_future(Executor ex, Policy policy, Make make, ShouldRetry should_retry)
      : ex_(std::move(ex)),
        policy_(std::move(policy)),
        make_(std::move(make)),
        should_retry_(std::move(should_retry)) {}

  poll_result<output_type> poll(waker& w) {
    if (stage_.index() == done) detail::polled_after_completion("futura::retry_future");
    try {
      // Each turn either returns or starts a wait, whose first poll is pending (it arms the
      // timer), so this loop ends within one turn after a failed attempt.
      for (;;) {
        if (stage_.index() == idle) {
          start_attempt();
        } else if (stage_.index() == waiting) {
          if (std::get<waiting>(stage_).poll(w).is_pending()) return pending;
          start_attempt();
        }
        poll_result<output_type> r = std::get<attempting>(stage_).poll(w);
        if (r.is_pending()) return pending;
        output_type out = std::move(r).value();
        if (out.has_value() || !another_attempt_allowed() || !std::invoke(should_retry_, std::as_const(out).error())) {
          stage_.template emplace<done>();
          return out;
        }
        const auto delay = policy_.delay_before(attempts_ + 1, detail::retry_random());
        stage_.template emplace<waiting>(ex_, std::chrono::ceil<std::chrono::steady_clock::duration>(delay));
      }
    } catch (...) {
      stage_.template emplace<done>();
      throw;
    }
  }

  /// How many times `make()` has been called so far.
  std::size_t attempts() const noexcept { return attempts_; }

 private:
  static constexpr std::size_t idle = 0;
  static constexpr std::size_t attempting = 1;
  static constexpr std::size_t waiting = 2;
  static constexpr std::size_t done = 3;

  void start_attempt() {
    attempt_future next = make_();  // before the stage changes: a throwing make() leaves it as it was
    ++attempts_;
    stage_.template emplace<attempting>(std::move(next));
  }

  bool another_attempt_allowed() const {
    const std::size_t limit = policy_.attempt_limit();
    return attempts_ < (limit == 0 ? 1 : limit);
  }

  Executor ex_;
  Policy policy_;
  Make make_;
  ShouldRetry should_retry_;
  std::size_t attempts_ = 0;
  std::variant<std::monostate, attempt_future, sleep_future<Executor>, std::monostate> stage_;
};

/// Calls `make()` (at the first poll), and again after each error while the policy allows,
/// waiting on `ex` (an executor or an execution context) as the policy says; completes with the
/// first success or the last error.
/// @code
///   boost::asio::io_context ctx;
///   tcp::socket sock(ctx);
///   auto connected = futura::retry(ctx, futura::backoff{}, [&] {
///     sock.close();   // a failed connect leaves the socket to be reopened
///     return sock.async_connect(endpoint, futura::as_future);
///   });
///   boost::system::result<void> r = futura::block_on(ctx, std::move(connected));
/// @endcode
template <class Ex, class Policy, class Make>
retry_future<detail::executor_of_t<std::remove_reference_t<Ex>>, std::decay_t<Policy>, std::decay_t<Make>,
             detail::retry_every_error>
retry(Ex&& ex, Policy&& policy, Make&& make) {
  static_assert(detail::check_retry<std::decay_t<Policy>, std::decay_t<Make>, detail::retry_every_error>());
  return {detail::executor_of(ex), std::forward<Policy>(policy), std::forward<Make>(make), {}};
}

/// As `retry(ex, policy, make)`, but an error `e` is retried only when `should_retry(e)` is true;
/// otherwise it is the output at once.
/// @code
///   auto r = futura::retry(ctx, futura::backoff{4}, [&] { return fetch(); },
///                          [](const boost::system::error_code& e) { return e != boost::asio::error::access_denied; });
/// @endcode
template <class Ex, class Policy, class Make, class ShouldRetry>
retry_future<detail::executor_of_t<std::remove_reference_t<Ex>>, std::decay_t<Policy>, std::decay_t<Make>,
             std::decay_t<ShouldRetry>>
retry(Ex&& ex, Policy&& policy, Make&& make, ShouldRetry&& should_retry) {
  static_assert(detail::check_retry<std::decay_t<Policy>, std::decay_t<Make>, std::decay_t<ShouldRetry>>());
  return {detail::executor_of(ex), std::forward<Policy>(policy), std::forward<Make>(make),
          std::forward<ShouldRetry>(should_retry)};
}

}  // namespace futura
