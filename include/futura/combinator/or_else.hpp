// futura/combinator/or_else.hpp — recover from the error of a `boost::system::result<T, E>`.
//
//   then(F, result_branch_fn continuing the error):
//     first(F) --F ready, value v-----------------------------> done: result<T, E2>(v)
//     first(F) --F ready, error e, g(e) is a result------------> done: that result<T, E2>
//     first(F) --F ready, error e, g(e) is a future Fut--> second(Fut) --ready--> done: result<T, E2>
//
// `f.or_else(g)` / `or_else(f, g)`, where `f`'s output is `boost::system::result<T, E>`: when `f`
// is ready with an error, calls `g(error)`, which returns `boost::system::result<T, E2>` (a
// recovered value, or a new error, possibly of another type) or a future of one; when `f` is
// ready with a value, the value passes through (moved, never copied) and `g` is never called.
// Output: `result<T, E2>`.
//
// It is `then` with a small function object: ordering, threads, destruction and exceptions are
// `then`'s. `g` runs inside `poll`, on the polling thread, at most once, with a copy of the error
// (Boost 1.81's `result::error()` returns by value); `F` is destroyed as soon as it is ready;
// `g` and its captures live as long as the or_else future. Exceptions from `F`, `g` or `g`'s
// future propagate out of `poll` (rule 6). Allocation: none.
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

/// Everything or_else derives from `G` and the input result `In` (its branch: `g` on the error,
/// result_branch.hpp), and what it requires of them.
template <class G, class In>
struct or_else_traits : error_branch<G, In> {
  using branch = error_branch<G, In>;
  using output = step_output_t<typename branch::raw_result>;
  static constexpr bool returns_result = is_result_v<output>;

  template <class R, bool = is_result_v<R>>
  struct same_value : std::false_type {};
  template <class R>
  struct same_value<R, true> : std::is_same<result_value_t<R>, result_value_t<In>> {};
  static constexpr bool value_matches = same_value<output>::value;

  static_assert(branch::callable,
                "futura::or_else: the continuation cannot be called with the result's error: it must accept E");
  static_assert(!branch::callable || returns_result,
                "futura::or_else: the continuation must return a boost::system::result<T, E2> (or a future of "
                "one): the recovered value or a new error; to only convert the error use .map_err()");
  static_assert(!branch::callable || !returns_result || value_matches,
                "futura::or_else: the continuation returns a boost::system::result<U, E2> whose value type "
                "differs from the future's T; values pass through unchanged, so return result<T, E2>");
  static constexpr bool valid = branch::callable && returns_result && value_matches;
};

/// or_else's tag (detail/then_with.hpp): its continuation is the error branch of result_branch.hpp.
struct or_else_combinator : result_combinator<or_else_combinator, or_else_traits, result_branch_fn> {};

}  // namespace detail

/// The future `or_else(F{}, G{})` returns: a `then_future` with or_else's function object.
template <class F, class G>
using or_else_future = detail::then_with_future<detail::or_else_combinator, F, G>;

/// Runs `g` on the error of `f`'s `boost::system::result<T, E>` output; values pass through.
/// @code
///   using res = boost::system::result<int>;
///   auto f = fetch()                                      // a future of result<int>
///                .or_else([](boost::system::error_code ec) -> res {
///                  if (ec == boost::system::errc::timed_out) return 0;   // recover
///                  return ec;                                            // or keep failing
///                });
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto or_else(F&& f, G&& g) {
  return detail::then_with<detail::or_else_combinator>(std::forward<F>(f), std::forward<G>(g));
}

}  // namespace futura
