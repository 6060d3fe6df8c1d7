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

#include <futura/stream/detail/rule_stream.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] skip_stream
    : public detail::skipping_stream<skip_stream<S>, S, detail::countdown_rule<detail::count_check::each_item>> {
 public:
  skip_stream(S s, std::size_t n) : skip_stream::skipping_stream(std::move(s), n) {}
};

}  // namespace futura::stream
