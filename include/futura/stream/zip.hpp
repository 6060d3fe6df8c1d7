// futura/stream/zip.hpp — pairs of items of two streams, in step.
//
//   waiting(a?) --A item a (when none is held)--> holding(a) --B item b--> item {a, b}; waiting
//   holding(a) --B pending--> pending (a kept for the next poll)
//   any --A or B ends--> end (a held item is destroyed); ended --poll--> polled_after_completion
//
// `a.zip(b)`: items are `std::pair<T, U>`; the stream ends as soon as either ends (the other is
// not polled again). `a` is polled for its next item before `b`, and never again while an item
// of `a` waits for its partner. Dropping the zip drops both streams and a held item.
// Exceptions propagate. Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 3}).zip(futura::stream::repeat('x'));  // {1,'x'}, {2,'x'}, {3,'x'}
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S1, class S2>
class [[nodiscard]] zip_stream : public stream_ext<zip_stream<S1, S2>> {
  static_assert(detail::check_stream<S1>());
  static_assert(detail::check_stream<S2>());

 public:
  using item_type = std::pair<item_t<S1>, item_t<S2>>;

  zip_stream(S1 a, S2 b) : a_(std::move(a)), b_(std::move(b)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (ended_) detail::polled_after_completion("futura::stream::zip_stream");
    if (!held_) {
      poll_result<std::optional<item_t<S1>>> ra = a_.poll_next(w);
      if (ra.is_pending()) return futura::pending;
      if (!ra.value()) return end();
      held_.emplace(std::move(*ra.value()));
    }
    poll_result<std::optional<item_t<S2>>> rb = b_.poll_next(w);
    if (rb.is_pending()) return futura::pending;
    if (!rb.value()) return end();
    std::optional<item_type> item(std::in_place, std::move(*held_), std::move(*rb.value()));
    held_.reset();
    return item;
  }

 private:
  std::optional<item_type> end() {
    ended_ = true;
    held_.reset();
    return std::nullopt;
  }

  S1 a_;
  S2 b_;
  std::optional<item_t<S1>> held_;  // an item of a_ waiting for its partner from b_
  bool ended_ = false;
};

}  // namespace futura::stream
