// futura/stream/next.hpp — a future of a stream's next item.
//
//   polling(&s) --s answers an item or the end--> done --poll--> polled_after_completion
//
// `s.next()`: a future of `std::optional<T>`: the next item, or `std::nullopt` at the end. The
// future *refers* to the stream: `s` must outlive it, and must not be moved while the future is
// pending (the future would keep polling the moved-from object). Once the future has completed,
// `s` may be moved and used again (for the next `next()`, say). Dropping a pending `next`
// future loses nothing: an item is taken from the stream only by the poll that returns it.
// Allocation: none.
//
// Example:
//   auto lines = read_lines(socket);
//   while (std::optional<std::string> line = futura::block_on(lines.next())) handle(*line);
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>

namespace futura::stream {

template <class S>
class [[nodiscard]] next_future : public future_ext<next_future<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using output_type = std::optional<item_t<S>>;

  explicit next_future(S& s) noexcept : s_(&s) {}

  poll_result<output_type> poll(waker& w) {
    if (done_) detail::polled_after_completion("futura::stream::next_future");
    poll_result<output_type> r = s_->poll_next(w);
    done_ = r.is_ready();
    return r;
  }

 private:
  S* s_;
  bool done_ = false;
};

}  // namespace futura::stream
