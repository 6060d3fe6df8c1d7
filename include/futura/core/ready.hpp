// futura/core/ready.hpp — a future that is ready at its first poll.
//
//   holding(v) --poll: v moved out--> done
//
// The moved-from value is destroyed with the future. Allocation: none. Polling again after it
// returned its value is rule 4's violation.
#pragma once

#include <futura/core/future_ext.hpp>
#include <futura/detail/config.hpp>
#include <futura/detail/misuse.hpp>

#include <type_traits>
#include <utility>

namespace futura {

template <class T>
class [[nodiscard]] ready_future : public future_ext<ready_future<T>> {
 public:
  using output_type = T;

  explicit ready_future(T v) : value_(std::move(v)) {}

#if defined(__clang__)
  // Clang 14 copies a trivially copyable ready_future as one block (value, flag and padding)
  // and, once it sits inside a then chain's std::variant, cannot split that copy back into
  // fields: the chain stays in memory and its checks reload it across a store-forwarding stall
  // (W1 through 16 links: 23 instructions, five times the inline floor). Moved field by field,
  // the chain folds to the arithmetic alone. GCC needs the opposite: a non-trivial move makes
  // the variant's move a visit that GCC 12 does not inline through 16 levels.
  FUTURA_ALWAYS_INLINE ready_future(ready_future&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(o.value_)), taken_(o.taken_) {}
  ready_future(const ready_future&) = default;
  ready_future& operator=(ready_future&&) = default;
  ready_future& operator=(const ready_future&) = default;
#endif

  FUTURA_ALWAYS_INLINE poll_result<T> poll(waker&) {
    if (taken_) detail::polled_after_completion("futura::ready_future");
    taken_ = true;
    return poll_result<T>(std::in_place, std::move(value_));
  }

 private:
  T value_;
  bool taken_ = false;  // the value was moved out: a new poll breaks rule 4
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
