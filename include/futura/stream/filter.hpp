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

#include <futura/stream/detail/rule_stream.hpp>
#include <futura/stream/stream_ext.hpp>

#include <type_traits>
#include <utility>

namespace futura::stream {

/// filter(pred) is skipping_stream dropping the items `pred` is false for (detail/rule_stream.hpp).
template <class S, class P>
class [[nodiscard]] filter_stream
    : public detail::skipping_stream<filter_stream<S, P>, S, detail::predicate_is<S, P, false>> {
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .filter(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  filter_stream(S s, P pred) : filter_stream::skipping_stream(std::move(s), std::move(pred)) {}
};

}  // namespace futura::stream
