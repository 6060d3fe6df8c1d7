// futura/stream/buffer_unordered.hpp — run up to n of a stream's futures at once; their outputs in
// completion order.
//
//   filling --room (fewer than n running) and an upstream future f--> f joins the set (same poll)
//   running --a woken child is ready--> its output
//   running --nothing ready--> pending
//   upstream ended, no child left --> the end; a child, the upstream or a push throws --> done
//
// `std::move(s).buffer_unordered(n)`: the items of `s` are futures; up to `n` of them run at once
// in a `futures_unordered` (futura/stream/futures_unordered.hpp), whose costs apply: O(1) work per
// child wake, each woken child polled at most once per poll. Each poll first pulls futures from
// `s` while fewer than `n` run, then answers the output of one child that finished, in completion
// order. Items pulled and children polled count against the cooperative budget (128), after
// which the poll wakes its waker and answers pending. `n == 0` throws `std::invalid_argument`.
// Threads: polled on one thread at a time; children's wakers may be woken from any thread.
// Destruction: a child is destroyed when it is ready, before its output leaves; dropping the
// stream drops the upstream and every child running. Exceptions: from the upstream or a child,
// they propagate out of `poll_next` and finish the stream: the other children are dropped at once
// (polling again is rule 4's error). Allocation: the set's slots, at most n of them (8, then
// doubling), reused from then on: none per item in a steady state.
//
// Example:
//   auto replies = futura::stream::iter(hosts)
//                      .map([&](std::string h) { return fetch(ctx, h).boxed(); })
//                      .buffer_unordered(8);   // at most 8 fetches at once, fastest first
#pragma once

#include <futura/stream/detail/buffer_stream.hpp>

namespace futura::stream {

/// The stream `s.buffer_unordered(n)` returns (its tag picks the futures_unordered set).
template <class S>
using buffer_unordered_stream = detail::buffer_stream<S, detail::buffer_unordered_adapter>;

}  // namespace futura::stream
