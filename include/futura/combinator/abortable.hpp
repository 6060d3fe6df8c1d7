// futura/combinator/abortable.hpp — a future that can be stopped from outside.
//
//   running(F) --poll: aborted?-----------------------------> done: error::aborted (F destroyed)
//   running(F) --poll: F ready with v-----------------------> done: v
//   running(F) --poll: F pending, register waker, aborted?--> done: error::aborted (F destroyed)
//                                               otherwise --> running(F)
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
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
struct abortable_combinator;  // abortable's tag (detail/argument_checks.hpp)
}  // namespace detail

template <class F>
class abortable_future;

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

/// The future half of `abortable(f)`: output `boost::system::result<output_t<F>>`.
template <class F>
class [[nodiscard]] abortable_future : public future_ext<abortable_future<F>> {
  static_assert(detail::check_future<F>());
  using inner_output = output_t<F>;

 public:
  using output_type = boost::system::result<inner_output>;

  abortable_future(abortable_future&&) = default;
  /// Drops what this future held (as destruction would), then takes over `o`'s.
  abortable_future& operator=(abortable_future&& o) noexcept(std::is_nothrow_move_constructible_v<F>) {
    if (this != &o) {
      release();
      if (o.inner_) inner_.emplace(std::move(*o.inner_));
      state_ = std::move(o.state_);  // last: if F's move threw, this future stays complete
    }
    return *this;
  }
  ~abortable_future() { release(); }

  poll_result<output_type> poll(waker& w) {
    if (!state_) detail::polled_after_completion("futura::abortable_future");
    if (state_->is_aborted()) return finish_aborted();
    FUTURA_TRY {
      poll_result<inner_output> r = inner_->poll(w);
      if (r.is_ready()) {
        release();
        return poll_result<output_type>(std::in_place, boost::system::in_place_value, std::move(r).value());
      }
    }
    FUTURA_CATCH_ALL {
      release();
      FUTURA_RETHROW;
    }
    // Register first, then look at the flag again: an abort between the first look and the
    // registration is seen here; one after it wakes the waker just registered (rule 3).
    state_->register_waker(w);
    if (state_->is_aborted()) return finish_aborted();
    return pending;
  }

 private:
  template <class G>
  friend auto abortable(G&& f);
  abortable_future(F f, detail::abort_ref state) : state_(std::move(state)), inner_(std::in_place, std::move(f)) {}

  /// Completion and destruction alike: F goes first, then the waker and our reference.
  void release() noexcept {
    inner_.reset();
    if (state_) state_->close_future();
    state_.reset();
  }
  poll_result<output_type> finish_aborted() {
    release();
    return poll_result<output_type>(std::in_place, boost::system::in_place_error, make_error_code(error::aborted));
  }

  detail::abort_ref state_;  // null once complete
  std::optional<F> inner_;   // destroyed before state_ (declared after it)
};

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
        abortable_future<std::decay_t<F>>(std::forward<F>(f), std::move(future_ref)), std::move(handle));
  }
}

}  // namespace futura
