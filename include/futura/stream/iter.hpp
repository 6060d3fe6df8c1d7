// futura/stream/iter.hpp — a stream of a container's elements, or of an iterator range's.
//
//   yielding(pos) --pos != end: item--> yielding(pos + 1)
//   yielding(end) --poll: std::nullopt--> ended --poll--> polled_after_completion
//
// `stream::iter(container)` takes the container by value and yields its elements in order,
// moved out of it (as Rust's `into_iter`). `stream::iter(first, last)` yields copies of
// `*it` for each iterator of the range (a `std::move_iterator` range moves them); the range
// must outlive the stream. Every poll is ready at once.
//
// Moving the stream between polls is allowed (rule 2): the container's stream keeps its
// position as a count and finds the iterator again in the moved container (O(1) for random-access
// containers, O(position) otherwise). Allocation: none (beyond the container you pass).
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class C>
class [[nodiscard]] iter_stream : public stream_ext<iter_stream<C>> {
  using iterator = decltype(std::begin(std::declval<C&>()));

 public:
  using item_type = std::remove_cv_t<std::remove_reference_t<decltype(*std::declval<iterator>())>>;

  explicit iter_stream(C c) : c_(std::move(c)), it_(std::begin(c_)) {}
  iter_stream(iter_stream&& o) noexcept(std::is_nothrow_move_constructible_v<C>)
      : c_(std::move(o.c_)), pos_(o.pos_), ended_(o.ended_), it_(std::next(std::begin(c_), offset())) {}
  iter_stream(const iter_stream& o)
      : c_(o.c_), pos_(o.pos_), ended_(o.ended_), it_(std::next(std::begin(c_), offset())) {}
  iter_stream& operator=(iter_stream o) noexcept(std::is_nothrow_move_assignable_v<C>) {
    c_ = std::move(o.c_);
    pos_ = o.pos_;
    ended_ = o.ended_;
    it_ = std::next(std::begin(c_), offset());
    return *this;
  }

  poll_result<std::optional<item_type>> poll_next(waker&) {
    if (ended_) detail::polled_after_completion("futura::stream::iter_stream");
    if (it_ == std::end(c_)) {
      ended_ = true;
      return std::optional<item_type>();
    }
    ++pos_;
    return std::optional<item_type>(std::move(*it_++));
  }

 private:
  using difference = typename std::iterator_traits<iterator>::difference_type;
  difference offset() const noexcept { return static_cast<difference>(pos_); }

  C c_;
  std::size_t pos_ = 0;  // what survives a move: iterators into c_ may not
  bool ended_ = false;
  iterator it_;
};

template <class It>
class [[nodiscard]] iter_range_stream : public stream_ext<iter_range_stream<It>> {
 public:
  using item_type = typename std::iterator_traits<It>::value_type;

  iter_range_stream(It first, It last) : it_(std::move(first)), last_(std::move(last)) {}

  poll_result<std::optional<item_type>> poll_next(waker&) {
    if (ended_) detail::polled_after_completion("futura::stream::iter_range_stream");
    if (it_ == last_) {
      ended_ = true;
      return std::optional<item_type>();
    }
    std::optional<item_type> item(*it_);
    ++it_;
    return item;
  }

 private:
  It it_;
  It last_;
  bool ended_ = false;
};

/// The elements of `c` (taken by value), moved out in order; see the top of this header.
/// @code
///   auto s = futura::stream::iter(std::vector<int>{1, 2, 3});    // 1, 2, 3, end
///   int sum = futura::block_on(std::move(s).fold(0, [](int a, int x) { return a + x; }));  // 6
/// @endcode
template <class C>
iter_stream<std::decay_t<C>> iter(C&& c) {
  return iter_stream<std::decay_t<C>>(std::forward<C>(c));
}

/// Copies of the elements of `[first, last)`, which must outlive the stream.
/// @code
///   std::vector<std::string> names{"a", "b"};
///   auto s = futura::stream::iter(names.begin(), names.end());   // "a", "b", end
/// @endcode
template <class It>
iter_range_stream<It> iter(It first, It last) {
  return iter_range_stream<It>(std::move(first), std::move(last));
}

}  // namespace futura::stream
