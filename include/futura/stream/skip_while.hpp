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

#include <futura/stream/detail/rule_stream.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// skip_while's rule (detail/rule_stream.hpp): holds while `pred` does; done (passing) from the
/// first item it rejects on, which passes.
template <class S, class P>
struct skip_while_rule {
  bool done() const { return passing; }
  bool holds(const item_t<S>& v) {
    passing = !std::invoke(pred, v);
    return !passing;
  }

  P pred;
  bool passing = false;
};

}  // namespace futura::detail

namespace futura::stream {

template <class S, class P>
class [[nodiscard]] skip_while_stream
    : public detail::skipping_stream<skip_while_stream<S, P>, S, detail::skip_while_rule<S, P>> {
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .skip_while(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  skip_while_stream(S s, P pred) : skip_while_stream::skipping_stream(std::move(s), std::move(pred)) {}
};

}  // namespace futura::stream
