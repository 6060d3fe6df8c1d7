// futura/stream/enumerate.hpp — each item with its index.
//
//   counting(i) --upstream item v--> item {i, v}; counting(i + 1)
//   counting(i) --upstream pending / end--> the same
//
// `s.enumerate()`: items are `std::pair<std::size_t, T>`, the index counting from 0. Exceptions
// and the end pass through; a poll after the end reaches the upstream (rule 4). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<char>{'a', 'b'}).enumerate();   // {0, 'a'}, {1, 'b'}
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] enumerate_stream : public stream_ext<enumerate_stream<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using item_type = std::pair<std::size_t, item_t<S>>;

  explicit enumerate_stream(S s) : s_(std::move(s)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
    if (r.is_pending()) return futura::pending;
    if (!r.value()) return std::optional<item_type>();
    return std::optional<item_type>(std::in_place, next_++, std::move(*r.value()));
  }

 private:
  S s_;
  std::size_t next_ = 0;
};

}  // namespace futura::stream
