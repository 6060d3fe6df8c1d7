// futura/combinator/map_err.hpp — convert the error of a `boost::system::result<T, E>`.
//
//   then(F, map_err_fn):
//     first(F) --F ready, value v--> done: result<T, E2>(v)
//     first(F) --F ready, error e--> done: result<T, E2>(g(e))
//
// `f.map_err(g)` / `map_err(f, g)`, where `f`'s output is `boost::system::result<T, E>`: the
// output is `result<T, E2>` with `E2` what `g(E)` returns. The value passes through (moved) and
// `g` is not called; an error is replaced by `g(error)`. `g` returns the new error itself: to run
// a future on the error, or to recover, use `or_else`.
//
// It is `then` with a small function object: `g` runs inside `poll`, on the polling thread, at
// most once, with a copy of the error; `F` is destroyed as soon as it is ready. Exceptions from
// `F` or `g` propagate out of `poll` (rule 6). Allocation: none.
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

/// Everything map_err derives from `G` and the input result `In` (its branch: `g` on the error,
/// result_branch.hpp), and what it requires of them.
template <class G, class In>
struct map_err_traits : error_branch<G, In> {
  using branch = error_branch<G, In>;
  using raw_result = typename branch::raw_result;
  using new_error = std::decay_t<raw_result>;
  static constexpr bool returns_error = !std::is_void_v<raw_result> && !is_future_v<new_error>;
  using output = boost::system::result<result_value_t<In>, std::conditional_t<returns_error, new_error, unit>>;

  static_assert(branch::callable,
                "futura::map_err: the function cannot be called with the result's error: it must accept E");
  static_assert(!branch::callable || returns_error,
                "futura::map_err: the function must return the new error value (not void, not a future); to "
                "run a future on the error, or to recover, use .or_else()");
  static constexpr bool valid = branch::callable && returns_error;
};

/// The continuation `then` runs: the value passed through, the error mapped by `g`.
template <class Traits, class G, class In>
class map_err_fn {
  using output = typename Traits::output;

 public:
  explicit map_err_fn(G g) : g_(std::move(g)) {}

  FUTURA_ALWAYS_INLINE output operator()(In&& r) {
    if (r) return pass_value<output>(r);
    return output(boost::system::in_place_error, Traits::invoke(g_, r));
  }

 private:
  G g_;
};

/// map_err's tag (detail/then_with.hpp).
struct map_err_combinator : result_combinator<map_err_combinator, map_err_traits, map_err_fn> {};

}  // namespace detail

/// The future `map_err(F{}, G{})` returns: a `then_future` with map_err's function object.
template <class F, class G>
using map_err_future = detail::then_with_future<detail::map_err_combinator, F, G>;

/// Replaces the error of `f`'s `boost::system::result<T, E>` output by `g(error)`.
/// @code
///   // result<int, error_code>  ->  result<int, std::string>
///   auto f = fetch().map_err([](boost::system::error_code ec) { return ec.message(); });
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto map_err(F&& f, G&& g) {
  return detail::then_with<detail::map_err_combinator>(std::forward<F>(f), std::forward<G>(g));
}

}  // namespace futura
