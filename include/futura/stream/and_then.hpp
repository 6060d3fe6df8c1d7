// futura/stream/and_then.hpp — the values of a stream of results continued by a function that
// returns a result, or a future of one; errors pass.
//
//   g(v) returns a result (or a value, or void):  map(S, and_then's function object)
//     forwarding --item value v--> item g(v) as result<U, E>;  --item error e--> item e (g not called)
//   g(v) returns a future Fut:                    then(S, and_then's function object)
//     waiting --item value v: Fut = g(v)--> running(Fut) --ready r--> item r; waiting
//     waiting --item error e--> item e (no future runs)
//
// `s.and_then(g)`, where `s`'s items are `boost::system::result<T, E>`: for each item, what
// `futura::and_then` (futura/combinator/and_then.hpp) would make of it: `g(value)` may return
// `U`, `result<U, E>` (same `E`), `void`, or a future of any of those; the item is then
// `result<U, E>` (`result<void, E>`). The stream does not stop at an error: the error is an item
// like the others (the try_ consumers stop there). With a future, `then`'s rules hold: one future
// at a time, in item order, destroyed before its output leaves; dropping the stream drops the
// upstream and the future in flight. Exceptions propagate. Allocation: none.
//
// Example:
//   auto bodies = std::move(urls_or_errors).and_then([&](std::string url) { return fetch(ctx, url); });
#pragma once

#include <futura/combinator/and_then.hpp>
#include <futura/stream/detail/result_items.hpp>
