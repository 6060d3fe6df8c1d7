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

#include <futura/combinator/future_ext.hpp>
#include <futura/combinator/then.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

template <class G, class In>
struct map_err_traits {
  using value_type = result_value_t<In>;
  using call = error_call<G, result_error_t<In>>;
  static constexpr bool callable = call::callable;
  using new_error = std::decay_t<typename call::raw_result>;
  static constexpr bool returns_error = !std::is_void_v<typename call::raw_result> && !is_future_v<new_error>;
  using output = boost::system::result<value_type, std::conditional_t<returns_error, new_error, unit>>;
};

/// The continuation `then` runs: the value passed through, the error mapped by `g`.
template <class G, class In>
class map_err_fn {
  using output = typename map_err_traits<G, In>::output;

 public:
  explicit map_err_fn(G g) : g_(std::move(g)) {}

  FUTURA_ALWAYS_INLINE output operator()(In&& r) {
    if (r) return pass_value<output>(r);
    return output(boost::system::in_place_error, std::invoke(g_, r.error()));
  }

 private:
  G g_;
};

template <class F, class G>
constexpr bool check_map_err() {
  using in_type = output_t<F>;
  if constexpr (!is_result_v<in_type>) {
    static_assert(dependent_false<F, G>,
                  "futura::map_err: the future's output is not a boost::system::result<T, E>; use .then()");
    return false;
  } else if constexpr (!error_is_copyable_v<in_type>) {
    static_assert(dependent_false<F, G>,
                  "futura::map_err: the result's error type E must be copy- and default-constructible "
                  "(boost::system::result<T, E>::error() returns a copy in Boost 1.81)");
    return false;
  } else {
    using traits = map_err_traits<G, in_type>;
    if constexpr (!traits::callable) {
      static_assert(dependent_false<F, G>,
                    "futura::map_err: the function cannot be called with the result's error: it must accept E");
      return false;
    } else if constexpr (!traits::returns_error) {
      static_assert(dependent_false<F, G>,
                    "futura::map_err: the function must return the new error value (not void, not a future); to "
                    "run a future on the error, or to recover, use .or_else()");
      return false;
    } else {
      static_assert(std::is_move_constructible_v<G>, "futura::map_err: the function must be move-constructible");
      return std::is_move_constructible_v<G>;
    }
  }
}

template <class F, class G>
FUTURA_ALWAYS_INLINE auto make_map_err(F&& f, G&& g) {
  using D = std::decay_t<F>;
  using Fn = map_err_fn<std::decay_t<G>, output_t<D>>;
  return then_future<D, Fn>(std::forward<F>(f), Fn(std::forward<G>(g)));
}

}  // namespace detail

/// The future `map_err(F{}, G{})` returns: a `then_future` with map_err's function object.
template <class F, class G>
using map_err_future = then_future<F, detail::map_err_fn<G, output_t<F>>>;

/// Replaces the error of `f`'s `boost::system::result<T, E>` output by `g(error)`.
/// @code
///   // result<int, error_code>  ->  result<int, std::string>
///   auto f = fetch().map_err([](boost::system::error_code ec) { return ec.message(); });
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto map_err(F&& f, G&& g) {
  static_assert(detail::check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F>, "futura::map_err consumes the future: pass std::move(f)");
  if constexpr (is_future_v<F> && !std::is_lvalue_reference_v<F>) {
    if constexpr (detail::check_map_err<std::decay_t<F>, std::decay_t<G>>()) {
      return detail::make_map_err(std::forward<F>(f), std::forward<G>(g));
    }
  }
}

template <class Derived>
template <class G>
FUTURA_ALWAYS_INLINE auto future_ext<Derived>::map_err(G&& g) && {
  if constexpr (detail::check_map_err<Derived, std::decay_t<G>>()) {
    return detail::make_map_err(static_cast<Derived&&>(*this), std::forward<G>(g));
  }
}

}  // namespace futura
