// futura/stream/filter.hpp — the items of a stream for which a predicate holds.
//
//   looking --upstream item v, pred(v)------> item v
//   looking --upstream item v, !pred(v)-----> looking (same poll; after coop_budget of them:
//                                              wake self, pending)
//   looking --upstream pending / end--------> the same
//
// `s.filter(pred)`: `pred(const T&)` is called once per upstream item, in order, on the polling
// thread; rejected items are destroyed at once. One poll skips at most `detail::coop_budget`
// (128) rejected items that were ready at once, then wakes itself and answers pending, so a
// predicate that rejects an endless ready stream cannot starve the executor. Exceptions from the
// upstream or `pred` propagate; a poll after the end reaches the upstream (rule 4).
// Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 3, 4}).filter([](int x) { return x % 2 == 0; });  // 2, 4
#pragma once

#include <futura/stream/detail/skipping.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class P>
class [[nodiscard]] filter_stream : public stream_ext<filter_stream<S, P>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .filter(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  using item_type = item_t<S>;

  filter_stream(S s, P pred) : s_(std::move(s)), pred_(std::move(pred)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    return detail::poll_skipping(s_, w, [this](const item_type& v) { return !std::invoke(pred_, v); });
  }

 private:
  S s_;
  P pred_;
};

}  // namespace futura::stream
