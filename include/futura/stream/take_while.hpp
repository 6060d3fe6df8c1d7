// futura/stream/take_while.hpp — the items of a stream up to the first one a predicate rejects.
//
//   taking --upstream item v, pred(v)--> item v; taking
//   taking --upstream item v, !pred(v)--> end (v destroyed); ended
//   taking --upstream end--> end; ended
//   ended --poll--> polled_after_completion
//
// `s.take_while(pred)`: `pred(const T&)` runs once per item, in order, on the polling thread;
// the first rejected item is destroyed and the stream ends without polling the upstream again.
// Exceptions from the upstream or `pred` propagate. Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 5, 1}).take_while([](int x) { return x < 3; });  // 1, 2
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class P>
class [[nodiscard]] take_while_stream : public stream_ext<take_while_stream<S, P>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .take_while(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  using item_type = item_t<S>;

  take_while_stream(S s, P pred) : s_(std::move(s)), pred_(std::move(pred)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (ended_) detail::polled_after_completion("futura::stream::take_while_stream");
    poll_result<std::optional<item_type>> r = s_.poll_next(w);
    if (r.is_pending()) return futura::pending;
    if (r.value() && std::invoke(pred_, std::as_const(*r.value()))) return r;
    ended_ = true;
    return std::optional<item_type>();
  }

 private:
  S s_;
  P pred_;
  bool ended_ = false;
};

}  // namespace futura::stream
