// futura/asio/timeout.hpp — give a future a deadline.
//
//   idle(F, d) --first poll: start the clock--> racing(F, sleep) --F ready with v--> done  result(v)
//                                                                --sleep fired----> done  result(timed_out)
//
// `timeout(ex, f, d)` completes with `boost::system::result<output_t<F>>`: `f`'s output when
// `f` completes within `d` of the timeout's *first poll*, or the error `futura::error::timed_out`
// when the timer (a `sleep_for` on `ex`, an executor or execution context) fires first. The
// output is not flattened: a future of `result<T>` gives `result<result<T>>`, so a time-out is
// never confused with `f`'s own errors.
//
// Ordering: each poll polls `f` first, then the timer, so when both are ready `f` wins and its
// output is never thrown away. `f` runs on the polling thread, like any child.
// Destruction: when the timer fires, `f` is destroyed before `poll` returns, so the operation it
// started is cancelled (rule 5); when `f` wins, the timer is dropped and cancelled at once, and
// leaves no work behind once its aborted wait has completed on `ex`. Dropping the timeout drops
// both.
// Exceptions from `f`'s poll propagate (rule 6) and complete the timeout.
// Allocation: the timer's state at the first poll (see futura/asio/timer.hpp); nothing else.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

/// The future of `timeout(ex, f, d)`: `f`'s output, or `error::timed_out`.
/// @code
///   auto f = futura::timeout(ctx, futura::pending_forever<int>(), std::chrono::milliseconds(5));
///   boost::system::result<int> r = futura::block_on(ctx, std::move(f));   // error: timed_out
/// @endcode
template <class F, class Executor>
class [[nodiscard]] timeout_future : public future_ext<timeout_future<F, Executor>> {
  static_assert(detail::check_future<F>());

 public:
  using output_type = boost::system::result<output_t<F>>;

  timeout_future(Executor ex, F f, std::chrono::steady_clock::duration limit)
      : stage_(std::in_place_type<idle>, idle{std::move(ex), std::move(f), limit}) {}

  poll_result<output_type> poll(waker& w) {
    if (auto* i = std::get_if<idle>(&stage_)) {
      auto deadline = std::chrono::steady_clock::now() + i->limit;
      racing r{std::move(i->f), sleep_future<Executor>(std::move(i->ex), deadline)};
      stage_.template emplace<racing>(std::move(r));
    }
    if (auto* r = std::get_if<racing>(&stage_)) {
      try {
        poll_result<output_t<F>> v = r->f.poll(w);
        if (v.is_ready()) {
          output_type out(boost::system::in_place_value, std::move(v).value());
          stage_.template emplace<done>();  // drops the timer: cancelled
          return out;
        }
        if (r->timer.poll(w).is_ready()) {
          stage_.template emplace<done>();  // drops f: its operation is cancelled
          return output_type(boost::system::in_place_error, make_error_code(error::timed_out));
        }
      } catch (...) {
        stage_.template emplace<done>();
        throw;
      }
      return pending;
    }
    detail::polled_after_completion("futura::timeout_future");
  }

 private:
  struct idle {
    Executor ex;
    F f;
    std::chrono::steady_clock::duration limit;
  };
  struct racing {
    F f;
    sleep_future<Executor> timer;
  };
  struct done {};

  std::variant<idle, racing, done> stage_;
};

/// `f`, or `error::timed_out` if `f` is not ready within `d` of the first poll; the timer runs on
/// `ex` (an executor or an execution context).
/// @code
///   auto f = futura::timeout(ctx, sock.async_read_some(buf, futura::as_future), std::chrono::seconds(2));
///   boost::system::result<boost::system::result<std::size_t>> r = futura::block_on(ctx, std::move(f));
///   if (!r && r.error() == futura::error::timed_out) { ... }   // the read was cancelled
/// @endcode
template <class Ex, class F, class Rep, class Period>
timeout_future<std::decay_t<F>, detail::executor_of_t<std::remove_reference_t<Ex>>> timeout(
    Ex&& ex, F&& f, std::chrono::duration<Rep, Period> d) {
  static_assert(detail::check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F>, "futura::timeout consumes the future: pass std::move(f)");
  return {detail::executor_of(ex), std::forward<F>(f), std::chrono::ceil<std::chrono::steady_clock::duration>(d)};
}

}  // namespace futura
