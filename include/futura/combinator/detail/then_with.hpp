// futura/combinator/detail/then_with.hpp — building the combinators that are `then` with a
// function object.
//
// and_then, or_else, map_err and inspect are each a `then_future<F, Fn>` whose `Fn` wraps the
// user's `g` (futures-util's `Inspect` is `Map` with a small function object, likewise), and
// `then` itself is the case `Fn = G`. What they share beyond then's state machine lives here:
// the order of the argument checks, the construction, the name of the future type, and the tag
// each combinator is named by. A combinator writes two templates over the user's `G` and the
// output `In` of the future it is given, and names them in its tag:
//
//   template <class G, class In> struct inspect_traits {     // what it derives from G and In,
//     ...                                                     // its static_asserts (at most one
//     static constexpr bool valid = ...;                      // fires), and whether they hold
//   };
//   template <class Traits, class G, class In> class inspect_fn;   // what then_future calls
//   struct inspect_combinator : then_with_tag<inspect_traits, inspect_fn> {};
//
// The tag's `check` instantiates the traits, which fires their static_assert if any, and returns
// whether `fn` may be instantiated; it runs after `F` is known to be a future and before `G` is
// known to move (argument_checks.hpp). The tags of and_then, or_else and map_err derive from
// `result_combinator` instead, whose `check` looks at the result output first.
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

/// The tag of a combinator that is `then` with the function object `Fn<Traits<G, In>, G, In>`.
template <template <class G, class In> class Traits, template <class T, class G, class In> class Fn>
struct then_with_tag {
  template <class G, class In>
  using fn = Fn<Traits<G, In>, G, In>;

  template <class In, class G>
  static constexpr bool check() {
    return Traits<G, In>::valid;
  }
};

/// The tag of a combinator over `boost::system::result<T, E>` outputs (and_then, or_else,
/// map_err): its `check` looks at the output first (check_result_output, named by `Tag`), and
/// only then instantiates the traits, which need a result. `check_result` is the traits' part
/// alone, for the stream adapters that check their items themselves (stream/detail/result_items.hpp).
template <class Tag, template <class G, class In> class Traits, template <class T, class G, class In> class Fn>
struct result_combinator : then_with_tag<Traits, Fn> {
  template <class In, class G>
  static constexpr bool check() {
    if constexpr (check_result_output<Tag, In>()) return check_result<In, G>();
    return false;
  }

  template <class In, class G>
  static constexpr bool check_result() {
    return Traits<G, In>::valid;
  }
};

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
