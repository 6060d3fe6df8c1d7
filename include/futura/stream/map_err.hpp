// futura/stream/map_err.hpp — the errors of a stream of results converted by a function.
//
//   map(S, map_err's function object):
//     forwarding --item value v--> item result<T, E2>(v)      (g not called)
//     forwarding --item error e--> item result<T, E2>(g(e))
//     forwarding --upstream pending / end--> the same
//
// `s.map_err(g)`, where `s`'s items are `boost::system::result<T, E>`: the items are
// `result<T, E2>`, `E2` what `g(E)` returns. It is `s.map(...)` with the function object of
// `futura::map_err` (futura/combinator/map_err.hpp), whose checks and messages it shares: `g`
// returns the new error itself. Order, threads, drops and exceptions are `map`'s. Allocation: none.
//
// Example:
//   auto s = std::move(reads).map_err([](boost::system::error_code ec) { return ec.message(); });
#pragma once

#include <futura/combinator/map_err.hpp>
#include <futura/stream/detail/result_items.hpp>
