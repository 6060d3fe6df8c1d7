// futura/combinator/detail/then_with.hpp — building the combinators that are `then` with a
// function object.
//
// and_then, or_else, map_err and inspect are each a `then_future<F, Fn>` whose `Fn` wraps the
// user's `g` (futures-util's `Inspect` is `Map` with a small function object, likewise), and
// `then` itself is the case `Fn = G`. What they share beyond then's state machine lives here:
// the order of the argument checks, the construction, and the name of the future type. Each
// combinator describes itself with a tag type:
//
//   struct and_then_combinator {
//     template <class G, class In> using fn = and_then_fn<G, In>;  // what then_future calls
//     template <class In, class G> static constexpr bool check();   // its own checks of In and G
//   };
//
// `check` fires at most one static_assert (argument_checks.hpp) and returns whether `fn` may be
// instantiated; it runs after `F` is known to be a future and before `G` is known to move. The
// tags of and_then, or_else and map_err get their `check` from `result_combinator`, which looks
// at the result output first and then calls their `check_result`.
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>

namespace futura {

template <class F, class G>
class then_future;

namespace detail {

/// The future `then_with<C>(F{}, G{})` returns.
template <class C, class F, class G>
using then_with_future = then_future<F, typename C::template fn<G, output_t<F>>>;

/// Every check of `then_with<C>(f, g)` (with `F`, `G` as `F&&`, `G&&` deduced them), in an order
/// that reports only the first problem.
template <class C, class F, class G>
constexpr bool check_then_with() {
  if constexpr (check_future_argument<C, F>()) {
    if constexpr (C::template check<output_t<F>, std::decay_t<G>>()) return check_function_argument<C, G>();
  }
  return false;
}

/// `then_future<F, C::fn<G, output_t<F>>>(f, fn(g))`, once every check passed (nothing otherwise:
/// the static_assert that failed is the one message).
template <class C, class F, class G>
FUTURA_ALWAYS_INLINE auto then_with(F&& f, G&& g) {
  if constexpr (check_then_with<C, F, G>()) {
    using D = std::decay_t<F>;
    using Fn = typename C::template fn<std::decay_t<G>, output_t<D>>;
    return then_future<D, Fn>(std::forward<F>(f), Fn(std::forward<G>(g)));
  }
}

}  // namespace detail
}  // namespace futura
