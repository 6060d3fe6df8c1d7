// futura/combinator/and_then.hpp — continue on the value of a `boost::system::result<T, E>`.
//
//   then(F, result_branch_fn continuing the value):
//     first(F) --F ready, error e------------------------------> done: result<U, E>(e)
//     first(F) --F ready, value v, g(v) is a value or result---> done: result<U, E>
//     first(F) --F ready, value v, g(v) is a future Fut--> second(Fut) --ready--> done: result<U, E>
//
// `f.and_then(g)` / `and_then(f, g)`, where `f`'s output is `boost::system::result<T, E>`: when
// `f` is ready with a value, calls `g(value)` (`g()` for `result<void, E>`, or when `T` is `unit`
// and `g` takes nothing); when it is ready with an error, the error passes through and `g` is
// never called. What `g` returns becomes the output `result<U, E>`:
//   - a value `U`                     -> `result<U, E>` holding it,
//   - a `result<U, E>`                -> that result (same `E`: convert errors with map_err),
//   - `void` (or `unit`)              -> `result<void, E>` (the natural Boost spelling),
//   - a future of any of the above    -> polled to completion, then as above.
//
// It is `then` with a small function object, not a state machine of its own: ordering,
// threads, destruction and exceptions are `then`'s. `g` runs inside `poll`, on the polling
// thread, at most once; `F` is destroyed as soon as it is ready (before `g` runs); `g` and its
// captures live as long as the and_then future, so the future `g` returned may use them.
// Exceptions from `F`, `g` or `g`'s future propagate out of `poll` (rule 6). Allocation: none.
#pragma once

#include <futura/combinator/detail/result_branch.hpp>
#include <futura/combinator/detail/then_with.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/combinator/then.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

template <class Y, class E>
struct and_then_output {
  using type = boost::system::result<Y, E>;
};
template <class E>
struct and_then_output<unit, E> {
  using type = boost::system::result<void, E>;
};
template <class U, class E2, class E>
struct and_then_output<boost::system::result<U, E2>, E> {
  using type = boost::system::result<U, E2>;
};

/// Everything and_then derives from `G` and the input result `In` (its branch: `g` on the value,
/// result_branch.hpp), and what it requires of them.
template <class G, class In>
struct and_then_traits : value_branch<G, In> {
  using branch = value_branch<G, In>;
  using error_type = result_error_t<In>;
  using output = typename and_then_output<step_output_t<typename branch::raw_result>, error_type>::type;
  static constexpr bool error_matches = std::is_same_v<result_error_t<output>, error_type>;

  static_assert(branch::callable,
                "futura::and_then: the continuation cannot be called with the result's value: it must accept "
                "T (or take no argument when the output is boost::system::result<void, E>)");
  static_assert(!branch::callable || error_matches,
                "futura::and_then: the continuation returns a boost::system::result<U, E2> whose error type "
                "differs from the future's E; errors pass through unchanged, so return result<U, E> "
                "(convert the error inside g, or with .map_err() before or after)");
  static constexpr bool valid = branch::callable && error_matches;
};

/// and_then's tag (detail/then_with.hpp): its continuation is the value branch of result_branch.hpp.
struct and_then_combinator : result_combinator<and_then_combinator, and_then_traits, result_branch_fn> {};

}  // namespace detail

/// The future `and_then(F{}, G{})` returns: a `then_future` with and_then's function object.
template <class F, class G>
using and_then_future = detail::then_with_future<detail::and_then_combinator, F, G>;

/// Runs `g` on the value of `f`'s `boost::system::result<T, E>` output; errors pass through.
/// See the top of this header for what `g` may return.
/// @code
///   using res = boost::system::result<int>;
///   auto f = futura::ready(res(20)).and_then([](int x) { return x + 1; });        // result<int>: 21
///   auto g = futura::ready(res(20)).and_then([](int x) { return futura::ready(res(x)); });  // flattened
///   auto h = futura::ready(res(boost::system::errc::make_error_code(boost::system::errc::io_error)))
///                .and_then([](int) { return 0; });                                // error passes; g not called
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto and_then(F&& f, G&& g) {
  return detail::then_with<detail::and_then_combinator>(std::forward<F>(f), std::forward<G>(g));
}

}  // namespace futura
