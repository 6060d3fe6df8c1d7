// futura/stream/map_ok.hpp — the values of a stream of results mapped by a function; errors pass.
//
//   map(S, and_then's function object):
//     forwarding --item value v--> item result<U, E>(f(v))
//     forwarding --item error e--> item result<U, E>(e)   (f not called)
//     forwarding --upstream pending / end--> the same
//
// `s.map_ok(f)`, where `s`'s items are `boost::system::result<T, E>`: the items are
// `result<U, E>`, `U` what `f(T&&)` returns (`f()` for `result<void, E>`; `f` returning void
// gives `result<void, E>`). It is `s.map(...)` with and_then's function object
// (futura/combinator/and_then.hpp); `f` must return a plain value: when it returns a result, or a
// future, use `.and_then(f)`. Order, threads, drops and exceptions are `map`'s. Allocation: none.
//
// Example:
//   auto sizes = std::move(reads).map_ok([](std::string s) { return s.size(); });  // result<size_t, error_code>
#pragma once

#include <futura/combinator/and_then.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/detail/result_items.hpp>

#include <type_traits>

namespace futura::detail {

/// map_ok's tag for adapt_result_items: and_then's function object and checks, and one more:
/// f returns a plain value.
struct map_ok_combinator : and_then_combinator {
  template <class In, class G>
  static constexpr bool check_result() {
    if constexpr (and_then_combinator::check_result<In, G>()) {
      using raw = typename and_then_traits<G, In>::raw_result;
      constexpr bool plain = !is_result_v<raw> && !is_future_v<raw>;
      static_assert(plain, "futura: .map_ok(f): f returns a boost::system::result or a future: use .and_then(f)");
      return plain;
    }
    return false;
  }
};

}  // namespace futura::detail
