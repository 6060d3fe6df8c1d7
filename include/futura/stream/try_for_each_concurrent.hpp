// futura/stream/try_for_each_concurrent.hpp — for_each_concurrent over a stream of results,
// stopping at the first error.
//
//   pulling --room and an item r: r holds a value v--> f(v) joins the running futures (same poll)
//   pulling --an item holding an error e--> done: ready with e (every future dropped first)
//   running --a future is ready with a value--> room again: pulling
//   running --a future is ready with an error e--> done: ready with e (the others dropped first)
//   the stream ended and no future is left --> done: ready with an empty result<void, E>
//
// `std::move(s).try_for_each_concurrent(limit, f)` on a stream of `boost::system::result<T, E>`:
// `f(T&&)` (`f()` for `result<void, E>`) returns a future of `result<U, E>`, with the stream's `E`
// (`result<void, E>` most often; a value `U` is ignored, as `try_join` turns `void` into `unit`).
// Up to `limit` of them run at once (`limit == 0`: no limit). The output is
// `boost::system::result<void, E>`: the first error seen, from the stream or from a future, in
// polling order, or a value when the stream ended and every future succeeded. On an error the
// other futures are dropped before `poll` returns and the stream is not polled again. Costs,
// budget, threads, destruction, exceptions and allocation as for `for_each_concurrent`
// (futura/stream/for_each_concurrent.hpp).
//
// Example:
//   boost::system::result<void> r = futura::block_on(std::move(files).try_for_each_concurrent(
//       4, [&](std::string path) { return upload(ctx, std::move(path)); }));   // 4 uploads at once
#pragma once

#include <futura/stream/detail/concurrent_for_each.hpp>

namespace futura::stream {

/// The future `s.try_for_each_concurrent(limit, f)` returns.
template <class S, class F>
using try_for_each_concurrent_future = detail::concurrent_for_each_future<S, F, detail::try_for_each_concurrent_mode>;

}  // namespace futura::stream
