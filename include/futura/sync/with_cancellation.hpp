// futura/sync/with_cancellation.hpp — run a future until a cancellation token says stop.
//
//   running(F) --poll: token cancelled-------------------------------> done: error::aborted (F destroyed)
//   running(F) --poll: F ready with v--------------------------------> done: v
//   running(F) --poll: F pending, register the waker, cancelled?-----> done: error::aborted (F destroyed)
//                                                        otherwise --> running(F)
//   (the state machine of combinator/detail/stoppable.hpp, with the token as its signal)
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
#include <futura/combinator/detail/stoppable.hpp>
#include <futura/core/waker.hpp>
#include <futura/sync/cancellation_token.hpp>
#include <futura/sync/detail/token_state.hpp>

#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct with_cancellation_combinator;  // with_cancellation's tag (combinator/detail/argument_checks.hpp)

/// with_cancellation's stop signal (combinator/detail/stoppable.hpp): the token's cancel, seen
/// through a wait on its node.
class cancellation_signal {
 public:
  static constexpr const char* future_name = "futura::with_cancellation_future";

  explicit cancellation_signal(token_ref node) noexcept : wait_(std::move(node)) {}
  bool active() const noexcept { return wait_.active(); }
  bool is_set() const noexcept { return wait_.is_cancelled(); }
  /// Registers `w` and looks at the flag again, both under the token's lock.
  bool register_or_set(const waker& w) { return wait_.register_or_cancelled(w); }
  void release() noexcept { wait_.release(); }

 private:
  token_wait wait_;
};
}  // namespace detail

/// The future of `with_cancellation(token, f)`: output `boost::system::result<output_t<F>>`.
template <class F>
using with_cancellation_future = detail::stoppable_future<detail::cancellation_signal, F>;

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
    return with_cancellation_future<std::decay_t<F>>(std::forward<F>(f), detail::cancellation_signal(node));
  }
}

}  // namespace futura
