// futura/combinator/abortable.hpp — a future that can be stopped from outside.
//
//   running(F) --poll: aborted?-----------------------------> done: error::aborted (F destroyed)
//   running(F) --poll: F ready with v-----------------------> done: v
//   running(F) --poll: F pending, register waker, aborted?--> done: error::aborted (F destroyed)
//                                               otherwise --> running(F)
//   (the state machine of detail/stoppable.hpp, with the abort flag as its signal)
//
// `auto [fut, handle] = futura::abortable(std::move(f));` returns a
// `std::pair<abortable_future<F>, abort_handle>`. The future's output is
// `boost::system::result<output_t<F>>` (error type `boost::system::error_code`; not flattened when
// `f`'s output is itself a result): `f`'s value, or the error `futura::error::aborted`.
//
// `handle.abort()` may be called from any thread, any number of times, on any copy of the handle.
// The first call sets the flag and wakes the waker the future last registered; the future then
// completes with `error::aborted` at its next poll, without polling `f` again. Aborting before the
// first poll means `f` is never polled. Aborting after the future completed has no effect.
//
// Destruction: `f` is destroyed by the polling thread at the first poll that sees the abort (and
// when `f` completes, inside the poll that saw it ready), or when the abortable future is dropped,
// whichever comes first: abort() itself destroys nothing and runs nothing but the wake (which
// only schedules). The future releases its waker when it completes or is dropped, even while
// handles live on.
// Exceptions from `f`'s poll propagate out of `poll`; the future is then complete (f destroyed).
// Allocation: one, in `abortable()`: the state shared by the future and the handles (a reference
// count, the flag and a waker slot). A pending poll registers the waker (a clone only when it
// changed, as for every waker slot).
#pragma once

#include <futura/combinator/detail/abort_state.hpp>
#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/stoppable.hpp>
#include <futura/core/waker.hpp>

#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct abortable_combinator;  // abortable's tag (detail/argument_checks.hpp)
}  // namespace detail

/// Aborts the future made by the same `abortable()` call. Copyable: every copy aborts the same
/// future. `abort()` and `is_aborted()` are callable from any thread.
/// @code
///   auto [f, handle] = futura::abortable(std::move(download));
///   std::thread watchdog([handle = handle] { if (user_cancelled()) handle.abort(); });
///   boost::system::result<bytes> r = futura::block_on(std::move(f));
///   if (!r && r.error() == futura::error::aborted) { ... }
/// @endcode
class abort_handle {
 public:
  /// Makes the future complete with `futura::error::aborted` at its next poll (waking it). Later
  /// calls, and calls after the future completed, do nothing. A moved-from handle does nothing.
  void abort() const noexcept {
    if (state_) state_->abort();
  }

  /// True once `abort()` was called on any copy (even if the future had completed before).
  bool is_aborted() const noexcept { return state_ && state_->is_aborted(); }

 private:
  template <class F>
  friend auto abortable(F&& f);
  explicit abort_handle(detail::abort_ref state) noexcept : state_(std::move(state)) {}

  detail::abort_ref state_;
};

namespace detail {
/// abortable's stop signal (detail/stoppable.hpp): the flag of the state it shares with the handles.
class abort_signal {
 public:
  static constexpr const char* future_name = "futura::abortable_future";

  explicit abort_signal(abort_ref state) noexcept : state_(std::move(state)) {}
  bool active() const noexcept { return static_cast<bool>(state_); }
  bool is_set() const noexcept { return state_->is_aborted(); }
  bool register_or_set(const waker& w) noexcept {
    state_->register_waker(w);
    return state_->is_aborted();
  }
  /// Gives up the waker slot (handles may live on) and the reference.
  void release() noexcept {
    if (state_) state_->close_future();
    state_.reset();
  }

 private:
  abort_ref state_;
};
}  // namespace detail

/// The future half of `abortable(f)`: output `boost::system::result<output_t<F>>`.
template <class F>
using abortable_future = detail::stoppable_future<detail::abort_signal, F>;

/// Splits `f` into a future that can be aborted and the handle that aborts it; see the top of
/// this header. Use structured bindings:
/// @code
///   auto [f, handle] = futura::abortable(futura::pending_forever<int>());
///   handle.abort();                                   // from any thread
///   auto r = futura::block_on(std::move(f));          // boost::system::result<int>
///   assert(r.error() == futura::error::aborted);
/// @endcode
template <class F>
[[nodiscard]] auto abortable(F&& f) {
  if constexpr (detail::check_future_argument<detail::abortable_combinator, F>()) {
    detail::abort_ref future_ref(detail::abort_state::make());
    abort_handle handle(future_ref);  // a second reference
    return std::pair<abortable_future<std::decay_t<F>>, abort_handle>(
        abortable_future<std::decay_t<F>>(std::forward<F>(f), detail::abort_signal(std::move(future_ref))),
        std::move(handle));
  }
}

}  // namespace futura
