// futura/stream/take.hpp — the first n items of a stream.
//
//   taking(left > 0) --upstream item v--> item v; taking(left - 1)
//   taking(left > 0) --upstream end-----> end: ended
//   taking(0) --poll: end, upstream not polled--> ended
//   ended --poll--> polled_after_completion
//
// `s.take(n)`: yields at most `n` items, then ends without polling the upstream again;
// `take(0)` is an empty stream that never polls its upstream. The upstream is kept (not
// destroyed) until the `take` is. Exceptions from the upstream propagate. Allocation: none.
//
// Example:
//   auto s = futura::stream::repeat(1).take(3);   // 1, 1, 1, end
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] take_stream : public stream_ext<take_stream<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using item_type = item_t<S>;

  take_stream(S s, std::size_t n) : s_(std::move(s)), left_(n) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (ended_) detail::polled_after_completion("futura::stream::take_stream");
    if (left_ == 0) {
      ended_ = true;
      return std::optional<item_type>();
    }
    poll_result<std::optional<item_type>> r = s_.poll_next(w);
    if (r.is_ready()) {
      if (r.value()) {
        --left_;
      } else {
        ended_ = true;
      }
    }
    return r;
  }

 private:
  S s_;
  std::size_t left_;
  bool ended_ = false;
};

}  // namespace futura::stream
