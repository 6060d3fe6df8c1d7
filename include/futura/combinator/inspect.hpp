// futura/combinator/inspect.hpp — peek at a future's output.
//
//   then(F, inspect_fn): first(F) --F ready with v: g(std::as_const(v))--> done: v
//
// `f.inspect(g)` / `inspect(f, g)`: when `f` is ready with `v`, calls `g(v)` with a const
// reference (or `g()` when `v` is `unit` and `g` takes nothing) and yields `v` itself, moved,
// never copied. Output: `output_t<F>`, unchanged. Logging, metrics and tests are the use.
//
// It is `then` with a small function object: `g` runs inside `poll`, on the polling thread, at
// most once; `F` is destroyed as soon as it is ready (the value is held in `poll`'s frame while
// `g` looks at it, then moved into the result). Exceptions from `F` or `g` propagate out of
// `poll` (rule 6); when `g` throws, the value is destroyed. Allocation: none.
#pragma once

#include <futura/combinator/detail/then_with.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/combinator/ready.hpp>
#include <futura/combinator/then.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

/// Everything inspect derives from `G` and the output `T`, and what it requires of them.
template <class G, class T>
struct inspect_traits {
  static constexpr bool with_value = std::is_invocable_v<G&, const T&>;
  static constexpr bool without_value = std::is_same_v<T, unit> && !with_value && std::is_invocable_v<G&>;
  static constexpr bool valid = with_value || without_value;
  static_assert(valid,
                "futura::inspect: the function cannot be called with the future's output: it must accept "
                "const T& (or take no argument when the output is futura::unit)");
  // `then` flattens a future returned by its continuation; an output that is itself a future
  // is handed back inside a ready_future so that exactly that one level is flattened.
  using step = std::conditional_t<is_future_v<T>, ready_future<T>, T>;
};

/// The continuation `then` runs: shows the value to `g`, then hands it on.
template <class Traits, class G, class T>
class inspect_fn {
 public:
  explicit inspect_fn(G g) : g_(std::move(g)) {}

  FUTURA_ALWAYS_INLINE typename Traits::step operator()(T&& v) {
    if constexpr (Traits::with_value) {
      std::invoke(g_, std::as_const(v));
    } else {
      std::invoke(g_);
    }
    if constexpr (is_future_v<T>) {
      return ready_future<T>(std::move(v));
    } else {
      return std::move(v);
    }
  }

 private:
  G g_;
};

/// inspect's tag (detail/then_with.hpp).
struct inspect_combinator : then_with_tag<inspect_traits, inspect_fn> {};

}  // namespace detail

/// The future `inspect(F{}, G{})` returns: a `then_future` with inspect's function object.
template <class F, class G>
using inspect_future = detail::then_with_future<detail::inspect_combinator, F, G>;

/// Calls `g(const T&)` with `f`'s output, and yields that output unchanged.
/// @code
///   auto f = futura::ready(42).inspect([](const int& v) { spdlog::debug("got {}", v); });  // int: 42
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto inspect(F&& f, G&& g) {
  return detail::then_with<detail::inspect_combinator>(std::forward<F>(f), std::forward<G>(g));
}

}  // namespace futura
