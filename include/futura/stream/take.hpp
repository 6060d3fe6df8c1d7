// futura/stream/take.hpp — the first n items of a stream.
//
//   taking(left > 0) --upstream item v--> item v; taking(left - 1)
//   taking(left > 0) --upstream end-----> end: ended
//   taking(0) --poll: end, upstream not polled--> ended
//   ended --poll--> polled_after_completion
//
// `s.take(n)`: yields at most `n` items, then ends without polling the upstream again;
// `take(0)` is an empty stream that never polls its upstream. The upstream is kept (not
// destroyed) until the `take` is. Exceptions from the upstream propagate. Allocation: none.
//
// Example:
//   auto s = futura::stream::repeat(1).take(3);   // 1, 1, 1, end
#pragma once

#include <futura/stream/detail/rule_stream.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] take_stream
    : public detail::taking_stream<take_stream<S>, S, detail::countdown_rule<detail::count_check::done_first>> {
 public:
  static constexpr const char* name = "futura::stream::take_stream";  // what a poll after the end reports

  take_stream(S s, std::size_t n) : take_stream::taking_stream(std::move(s), n) {}
};

}  // namespace futura::stream
