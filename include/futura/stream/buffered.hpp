// futura/stream/buffered.hpp — run up to n of a stream's futures at once; their outputs in the
// upstream's order.
//
//   filling --room (fewer than n running or waiting) and an upstream future f--> f joins (same poll)
//   running --the oldest child is ready, or its output was waiting--> that output
//   running --a younger child is ready--> its output waits in its slot
//   upstream ended, nothing left --> the end; a child, the upstream or a push throws --> done
//
// `std::move(s).buffered(n)`: as `buffer_unordered(n)` (futura/stream/buffer_unordered.hpp), with
// the outputs in the order the futures came from `s`, through a `futures_ordered`
// (futura/stream/futures_ordered.hpp). An output that is ready early waits in its child's slot, and
// counts towards `n` until it leaves, so at most `n` futures run or wait at once. Budget, threads,
// destruction, exceptions and allocation as for `buffer_unordered` (plus the set's ring of n slot
// pointers). `n == 0` throws `std::invalid_argument`.
//
// Example:
//   auto pages = futura::stream::iter(urls)
//                    .map([&](std::string u) { return fetch(ctx, u).boxed(); })
//                    .buffered(4);   // 4 fetches at once, pages in the order of urls
#pragma once

#include <futura/stream/detail/buffer_stream.hpp>

namespace futura::stream {

/// The stream `s.buffered(n)` returns (its tag picks the futures_ordered set).
template <class S>
using buffered_stream = detail::buffer_stream<S, detail::buffered_adapter>;

}  // namespace futura::stream
