// futura/core/ready.hpp — a future that is ready at its first poll.
//
//   holding(v) --poll--> done
//
// Allocation: none. Polling again after it returned its value is rule 4's violation.
#pragma once

#include <futura/core/future_ext.hpp>
#include <futura/detail/config.hpp>
#include <futura/detail/misuse.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

template <class T>
class [[nodiscard]] ready_future : public future_ext<ready_future<T>> {
 public:
  using output_type = T;

  explicit ready_future(T v) : value_(std::move(v)) {}

  FUTURA_ALWAYS_INLINE poll_result<T> poll(waker&) {
    if (!value_) detail::polled_after_completion("futura::ready_future");
    poll_result<T> r(std::in_place, std::move(*value_));
    value_.reset();
    return r;
  }

 private:
  std::optional<T> value_;
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
