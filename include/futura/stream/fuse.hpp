// futura/stream/fuse.hpp — a stream that may be polled after its end.
//
//   running(S) --upstream item v--> item v
//   running(S) --upstream end (or its poll throws)--> S destroyed; terminated
//   terminated --poll--> end again, forever (no upstream poll, no waker registered)
//
// `s.fuse()`: once the upstream has ended, `is_terminated()` is true and every poll answers
// `std::nullopt` (no rule-4 error). The use is code that polls several streams in a loop and
// may poll an ended one again. The upstream is destroyed inside the poll that saw its end, or
// whose poll threw (the exception propagates and the fuse is terminated). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1}).fuse();
//   futura::waker w;
//   (void)s.poll_next(w);   // 1
//   (void)s.poll_next(w);   // end; s.is_terminated() is true
//   (void)s.poll_next(w);   // end again (not an error)
#pragma once

#include <futura/core/detail/exceptions.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] fuse_stream : public stream_ext<fuse_stream<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using item_type = item_t<S>;

  explicit fuse_stream(S s) : s_(std::in_place, std::move(s)) {}

  /// True once the upstream ended (or threw): polls answer the end from then on.
  bool is_terminated() const noexcept { return !s_.has_value(); }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (!s_) return std::optional<item_type>();
    FUTURA_TRY {
      poll_result<std::optional<item_type>> r = s_->poll_next(w);
      if (r.is_ready() && !r.value()) s_.reset();
      return r;
    }
    FUTURA_CATCH_ALL {
      s_.reset();  // a stream that threw is finished (rule 6): release it as if it ended
      FUTURA_RETHROW;
    }
  }

 private:
  std::optional<S> s_;
};

}  // namespace futura::stream
