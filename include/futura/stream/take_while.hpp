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

#include <futura/stream/detail/rule_stream.hpp>
#include <futura/stream/stream_ext.hpp>

#include <type_traits>
#include <utility>

namespace futura::stream {

/// take_while(pred) is taking_stream passing the items `pred` is true for (detail/rule_stream.hpp).
template <class S, class P>
class [[nodiscard]] take_while_stream
    : public detail::taking_stream<take_while_stream<S, P>, S, detail::predicate_is<S, P, true>> {
  static_assert(std::is_invocable_r_v<bool, P&, const item_t<S>&>,
                "futura: .take_while(pred): pred must be callable as pred(const item_t<S>&) and return bool");

 public:
  static constexpr const char* name = "futura::stream::take_while_stream";  // what a poll after the end reports

  take_while_stream(S s, P pred) : take_while_stream::taking_stream(std::move(s), std::move(pred)) {}
};

}  // namespace futura::stream
