// futura/stream/empty.hpp — a stream that ends at once.
//
//   fresh --poll: std::nullopt--> ended --poll--> polled_after_completion
//
// `stream::empty<T>()`: a stream of `T` whose first poll answers the end. Allocation: none.
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>

namespace futura::stream {

template <class T>
class [[nodiscard]] empty_stream : public stream_ext<empty_stream<T>> {
 public:
  using item_type = T;

  poll_result<std::optional<T>> poll_next(waker&) {
    if (ended_) detail::polled_after_completion("futura::stream::empty_stream");
    ended_ = true;
    return std::optional<T>();
  }

 private:
  bool ended_ = false;
};

/// A stream of `T` with no items.
/// @code
///   auto s = futura::stream::empty<int>();   // end
/// @endcode
template <class T>
empty_stream<T> empty() {
  return {};
}

}  // namespace futura::stream
