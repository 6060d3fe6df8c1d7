// futura/combinator/ready.hpp — a future that is ready at its first poll.
//
//   holding(v) --poll: v moved out--> done
//
// Allocation: none. Polling again after it returned its value is rule 4's violation.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/misuse.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

template <class T>
class [[nodiscard]] ready_future : public future_ext<ready_future<T>> {
 public:
  using output_type = T;

  explicit ready_future(T v) : value_(std::move(v)) {}

  // Why two layouts: each compiler folds a 16-link `then` chain over a ready int (W1) into the
  // arithmetic alone with one of them and not with the other, in a translation unit of realistic
  // size. GCC 12 needs the trivially copyable std::optional: with anything else the chain's
  // nested moves stay memory copies. Clang 14 copies that optional as one 8-byte block (value,
  // flag, padding) into the variant of the first `then`, cannot split it back into fields, and
  // reloads it across a store-forwarding stall; a value and a flag moved member by member fold.
  // (Measurements: docs/performance.md, W1.) The only visible difference: with Clang the
  // moved-from value is destroyed with the future instead of at the poll.
#if defined(__clang__)
  FUTURA_ALWAYS_INLINE ready_future(ready_future&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(o.value_)), taken_(o.taken_) {}
  ready_future(const ready_future&) = default;
  ready_future& operator=(ready_future&&) = default;
  ready_future& operator=(const ready_future&) = default;

  FUTURA_ALWAYS_INLINE poll_result<T> poll(waker&) {
    if (taken_) detail::polled_after_completion("futura::ready_future");
    taken_ = true;
    return poll_result<T>(std::in_place, std::move(value_));
  }

 private:
  T value_;
  bool taken_ = false;  // the value was moved out: another poll breaks rule 4
#else
  FUTURA_ALWAYS_INLINE poll_result<T> poll(waker&) {
    if (!value_) detail::polled_after_completion("futura::ready_future");
    poll_result<T> r(std::in_place, std::move(*value_));
    value_.reset();
    return r;
  }

 private:
  std::optional<T> value_;
#endif
};

/// A future whose output is `v`, ready at the first poll.
/// @code
///   int x = futura::block_on(futura::ready(7));  // 7
/// @endcode
template <class T>
ready_future<std::decay_t<T>> ready(T&& v) {
  return ready_future<std::decay_t<T>>(std::forward<T>(v));
}

/// `ready(unit{})`.
inline ready_future<unit> ready() { return ready_future<unit>(unit{}); }

}  // namespace futura
