// futura/stream/skip_while.hpp — a stream from the first item a predicate rejects on.
//
//   skipping --upstream item v, pred(v)--> destroyed; skipping (same poll; after coop_budget of
//                                          them: wake self, pending)
//   skipping --upstream item v, !pred(v)--> item v; passing
//   passing --upstream item v--> item v (pred is not called again)
//   any --upstream pending / end--> the same
//
// `s.skip_while(pred)`: `pred(const T&)` runs on the leading items only, in order, on the
// polling thread. Budget as for `filter`. Exceptions from the upstream or `pred` propagate; a
// poll after the end reaches the upstream (rule 4). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 5, 1}).skip_while([](int x) { return x < 3; });  // 5, 1
#pragma once

#include <futura/stream/detail/skipping.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class P>
class [[nodiscard]] skip_while_stream : public stream_ext<skip_while_stream<S, P>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .skip_while(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  using item_type = item_t<S>;

  skip_while_stream(S s, P pred) : s_(std::move(s)), pred_(std::move(pred)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (passing_) return s_.poll_next(w);
    return detail::poll_skipping(s_, w, [this](const item_type& v) {
      passing_ = !std::invoke(pred_, v);  // the first rejected item passes, and every one after it
      return !passing_;
    });
  }

 private:
  S s_;
  P pred_;
  bool passing_ = false;
};

}  // namespace futura::stream
