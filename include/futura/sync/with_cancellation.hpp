// futura/sync/with_cancellation.hpp — run a future until a cancellation token says stop.
//
//   running(F) --poll: token cancelled-------------------------------> done: error::aborted (F destroyed)
//   running(F) --poll: F ready with v--------------------------------> done: v
//   running(F) --poll: F pending, register the waker, cancelled?-----> done: error::aborted (F destroyed)
//                                                        otherwise --> running(F)
//
// `with_cancellation(token, f)` is a future of `boost::system::result<output_t<F>>` (error type
// `boost::system::error_code`, not flattened when f's output is itself a result): f's value, or
// `futura::error::aborted` when the token (or an ancestor) is cancelled before f completes.
//
// Ordering: each poll looks at the token before it polls f, so a token cancelled before the first
// poll means f is never polled, and a cancel is seen at the first poll after it even when f
// would have been ready there. A cancel after f completed has no effect.
//
// Threads: the token may be cancelled from any thread; the cancel wakes the waker of the future's
// last pending poll (once), and the future completes at its next poll. The future itself is
// polled by one thread at a time.
//
// Destruction: f is destroyed by the polling thread at the poll that sees the cancel, inside the
// poll where f completed or threw, or when this future is dropped; cancel() itself destroys
// nothing. Completing or dropping the future unlinks it from the token, which then owes it
// nothing. Exceptions from f's poll propagate out of `poll`; the future is then complete.
//
// Allocation: none to build it (it holds a reference to the token's state); one waiter, at the
// first poll where f is pending, kept until the future completes or is dropped.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/sync/cancellation_token.hpp>

#include <boost/system/result.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct with_cancellation_combinator;  // with_cancellation's tag (combinator/detail/argument_checks.hpp)
}  // namespace detail

/// The future of `with_cancellation(token, f)`: output `boost::system::result<output_t<F>>`.
template <class F>
class [[nodiscard]] with_cancellation_future : public future_ext<with_cancellation_future<F>> {
  static_assert(detail::check_future<F>());
  using inner_output = output_t<F>;

 public:
  using output_type = boost::system::result<inner_output>;

  with_cancellation_future(with_cancellation_future&&) = default;
  /// Drops what this future held (as destruction would), then takes over `o`'s.
  with_cancellation_future& operator=(with_cancellation_future&& o) noexcept(std::is_nothrow_move_constructible_v<F>) {
    if (this != &o) {
      release();
      if (o.inner_) inner_.emplace(std::move(*o.inner_));
      wait_ = std::move(o.wait_);  // last: if F's move threw, this future stays complete
    }
    return *this;
  }
  ~with_cancellation_future() { release(); }

  poll_result<output_type> poll(waker& w) {
    if (!wait_.active()) detail::polled_after_completion("futura::with_cancellation_future");
    if (wait_.is_cancelled()) return finish_aborted();
    FUTURA_TRY {
      poll_result<inner_output> r = inner_->poll(w);
      if (r.is_ready()) {
        release();
        return poll_result<output_type>(std::in_place, boost::system::in_place_value, std::move(r).value());
      }
      // Register, then look at the flag again (both under the token's lock): a cancel before
      // the registration is seen here, one after it wakes the waker just registered (rule 3).
      if (wait_.register_or_cancelled(w)) return finish_aborted();
    }
    FUTURA_CATCH_ALL {
      release();
      FUTURA_RETHROW;
    }
    return pending;
  }

 private:
  template <class G>
  friend auto with_cancellation(const cancellation_token& token, G&& f);
  with_cancellation_future(F f, detail::token_ref node) : wait_(std::move(node)), inner_(std::in_place, std::move(f)) {}

  /// Completion and destruction alike: F goes first, then the waiter and the state reference.
  void release() noexcept {
    inner_.reset();
    wait_.release();
  }
  poll_result<output_type> finish_aborted() {
    release();
    return poll_result<output_type>(std::in_place, boost::system::in_place_error, make_error_code(error::aborted));
  }

  detail::token_wait wait_;  // inactive once complete
  std::optional<F> inner_;   // destroyed before wait_ (declared after it)
};

/// Runs `f` until `token` is cancelled; see the top of this header. `f` is consumed (pass
/// `std::move(f)` or a temporary); `token` is shared, not consumed. An empty (moved-from) token
/// is a contract violation (`std::logic_error`).
/// @code
///   futura::cancellation_token stop;
///   std::thread t([stop] { stop.cancel(); });
///   boost::system::result<int> r =
///       futura::block_on(futura::with_cancellation(stop, futura::pending_forever<int>()));
///   assert(!r && r.error() == futura::error::aborted);
///   t.join();
/// @endcode
template <class F>
[[nodiscard]] auto with_cancellation(const cancellation_token& token, F&& f) {
  if constexpr (detail::check_future_argument<detail::with_cancellation_combinator, F>()) {
    const detail::token_ref& node = detail::token_access::node(token);
    if (!node) detail::empty_token("futura::with_cancellation: the token is empty (moved from)");
    return with_cancellation_future<std::decay_t<F>>(std::forward<F>(f), node);
  }
}

}  // namespace futura
