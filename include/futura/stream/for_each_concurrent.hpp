// futura/stream/for_each_concurrent.hpp — a future that runs `f`'s future for every item of a
// stream, up to `limit` of them at once.
//
//   pulling --room and an item v--> f(v) joins the running futures (same poll)
//   running --a woken future is ready: it is destroyed--> room again: pulling
//   the stream ended and no future is left --> done: ready with unit
//
// `std::move(s).for_each_concurrent(limit, f)`: `f(T&&)` returns a future (its output is
// ignored); up to `limit` of them run at once (`limit == 0`: no limit), in a set with the costs of
// `futures_unordered` (futura/stream/futures_unordered.hpp): O(1) work per wake, each woken future
// polled at most once per poll. The stream is polled for more items only while there is room.
// Items pulled and futures polled count against the cooperative budget (128), after which the
// poll wakes its waker and answers pending. `f` runs on the polling thread; the futures' wakers
// may be woken from any thread.
// Destruction: a future is destroyed as soon as it is ready; dropping the for_each drops the
// stream and every future running. Exceptions: from the stream, `f` or a future, they propagate
// out of `poll` and finish the for_each: the other futures are dropped at once (polling again is
// rule 4's error). Allocation: the set's slots (8, then doubling, up to the most futures that
// ran at once), reused from then on: none per item in a steady state.
//
// Example:
//   auto done = std::move(connections).for_each_concurrent(100, [&](tcp::socket s) {
//     return serve(std::move(s));   // up to 100 clients served at once
//   });
#pragma once

#include <futura/stream/detail/concurrent_for_each.hpp>

namespace futura::stream {

/// The future `s.for_each_concurrent(limit, f)` returns.
template <class S, class F>
using for_each_concurrent_future = detail::concurrent_for_each_future<S, F, detail::for_each_concurrent_mode>;

}  // namespace futura::stream
