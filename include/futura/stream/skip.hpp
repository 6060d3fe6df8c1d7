// futura/stream/skip.hpp — a stream without its first n items.
//
//   skipping(left > 0) --upstream item--> destroyed; skipping(left - 1) (same poll; after
//                                         coop_budget of them: wake self, pending)
//   skipping(0) / skipping(left) --upstream end--> end
//   skipping(0) --upstream item v--> item v
//
// `s.skip(n)`: the first `n` items are destroyed as they arrive, at the first polls; the rest
// pass through. Budget as for `filter`. Exceptions and the end pass through; a poll after the
// end reaches the upstream (rule 4). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 3}).skip(2);   // 3
#pragma once

#include <futura/stream/detail/skipping.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] skip_stream : public stream_ext<skip_stream<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using item_type = item_t<S>;

  skip_stream(S s, std::size_t n) : s_(std::move(s)), left_(n) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (left_ == 0) return s_.poll_next(w);
    return detail::poll_skipping(s_, w, [this](const item_type&) {
      if (left_ == 0) return false;
      --left_;
      return true;
    });
  }

 private:
  S s_;
  std::size_t left_;
};

}  // namespace futura::stream
