// futura/combinator/detail/stoppable.hpp — a future that ends with `error::aborted` when a stop
// signal fires before its child completes: the one state machine of `abortable` and of
// `with_cancellation`, which differ only in where the signal comes from.
//
//   running(F) --poll: signal set----------------------------------> done: error::aborted (F destroyed)
//   running(F) --poll: F ready with v------------------------------> done: v
//   running(F) --poll: F pending, register the waker, signal set?--> done: error::aborted (F destroyed)
//                                                       otherwise --> running(F)
//
// The signal is looked at before F is polled (a signal set before the first poll means F is never
// polled), and again after the waker was registered with it, so that a signal set between the
// two looks is seen at once and one set after the registration wakes that waker (rule 3).
// Completion, an exception from F and destruction all destroy F first, then release the signal
// (its waker slot and its reference). The output is `boost::system::result<output_t<F>>`, not
// flattened when F's output is itself a result. Allocation: none here (the signal's own).
//
// A `Signal` is a move-only handle with:
//   static constexpr const char* future_name;       // for the rule 4 report
//   bool active() const noexcept;                    // false once released or moved from
//   bool is_set() const noexcept;                    // the stop was asked for
//   bool register_or_set(const waker& w);            // registers w; true when set (now or before)
//   void release() noexcept;                         // drops the waker slot and the reference
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::detail {

template <class Signal, class F>
class [[nodiscard]] stoppable_future : public future_ext<stoppable_future<Signal, F>> {
  static_assert(check_future<F>());
  using inner_output = output_t<F>;

 public:
  using output_type = boost::system::result<inner_output>;

  stoppable_future(F f, Signal signal) : signal_(std::move(signal)), inner_(std::in_place, std::move(f)) {}
  stoppable_future(stoppable_future&&) = default;
  /// Drops what this future held (as destruction would), then takes over `o`'s.
  stoppable_future& operator=(stoppable_future&& o) noexcept(std::is_nothrow_move_constructible_v<F>) {
    if (this != &o) {
      release();
      if (o.inner_) inner_.emplace(std::move(*o.inner_));
      signal_ = std::move(o.signal_);  // last: if F's move threw, this future stays complete
    }
    return *this;
  }
  ~stoppable_future() { release(); }

  poll_result<output_type> poll(waker& w) {
    if (!signal_.active()) polled_after_completion(Signal::future_name);
    if (signal_.is_set()) return finish_aborted();
    FUTURA_TRY {
      poll_result<inner_output> r = inner_->poll(w);
      if (r.is_ready()) {
        release();
        return poll_result<output_type>(std::in_place, boost::system::in_place_value, std::move(r).value());
      }
      if (signal_.register_or_set(w)) return finish_aborted();
    }
    FUTURA_CATCH_ALL {
      release();
      FUTURA_RETHROW;
    }
    return pending;
  }

 private:
  void release() noexcept {
    inner_.reset();
    signal_.release();
  }
  poll_result<output_type> finish_aborted() {
    release();
    return poll_result<output_type>(std::in_place, boost::system::in_place_error, make_error_code(error::aborted));
  }

  Signal signal_;           // inactive once complete
  std::optional<F> inner_;  // destroyed before signal_ (declared after it)
};

}  // namespace futura::detail
