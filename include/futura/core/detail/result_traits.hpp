// futura/core/detail/result_traits.hpp — what and_then / or_else / map_err need to know about
// `boost::system::result<T, E>`: recognising it, calling a continuation with its value (none for
// `result<void, E>`), and turning a continuation's output into the combinator's result type.
#pragma once

#include <futura/core/detail/continuation.hpp>
#include <futura/core/poll_result.hpp>

#include <boost/system/result.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

template <class R>
struct is_result : std::false_type {};
template <class T, class E>
struct is_result<boost::system::result<T, E>> : std::true_type {};

/// True for `boost::system::result<T, E>` (cv and references ignored).
template <class R>
inline constexpr bool is_result_v = is_result<std::remove_cv_t<std::remove_reference_t<R>>>::value;

/// How a continuation `G` is called with the value of a `result<T, E>`: like `then` (with the
/// value, or with nothing when it is `unit`), and with nothing at all for `result<void, E>`.
template <class G, class T>
struct value_call : continuation_traits<G, T> {
  template <class R>
  static decltype(auto) invoke(G& g, R& r) {
    return invoke_continuation(g, std::move(*r));
  }
};
template <class G>
struct value_call<G, void> {
  static constexpr bool callable = std::is_invocable_v<G&>;
  using raw_result = typename std::conditional_t<callable, std::invoke_result<G&>, std::enable_if<true, unit>>::type;
  template <class R>
  static decltype(auto) invoke(G& g, R&) {
    return std::invoke(g);
  }
};

/// How a continuation `G` is called with the error of a `result<T, E>` (a copy: Boost 1.81's
/// `result::error()` returns by value).
template <class G, class E>
struct error_call {
  static constexpr bool callable = std::is_invocable_v<G&, E>;
  using raw_result = typename std::conditional_t<callable, std::invoke_result<G&, E>, std::enable_if<true, unit>>::type;
};

/// What a continuation step yields once flattened: a future's output, `void` as `unit`,
/// anything else decayed (a returned reference is copied into the result).
template <class X>
using step_output_t = std::decay_t<typename flattened_output<std::decay_t<X>>::type>;

/// The value type of a result, `void` included.
template <class R>
using result_value_t = typename std::remove_cv_t<std::remove_reference_t<R>>::value_type;
template <class R>
using result_error_t = typename std::remove_cv_t<std::remove_reference_t<R>>::error_type;

/// Boost 1.81's `result::error()` returns a copy (and a default-constructed E on a value), so the
/// error side of and_then / or_else / map_err needs both.
template <class In>
inline constexpr bool error_is_copyable_v =
    std::is_copy_constructible_v<result_error_t<In>>&& std::is_default_constructible_v<result_error_t<In>>;

/// Converts what a continuation produced into the combinator's result `R`: a value of type `R`
/// is kept, `unit` becomes the value of `result<void, E>`, anything else becomes R's value.
template <class R, class Y>
R into_result(Y&& y) {
  using D = std::decay_t<Y>;
  if constexpr (std::is_same_v<D, R>) {
    return std::forward<Y>(y);
  } else if constexpr (std::is_void_v<result_value_t<R>>) {
    static_assert(std::is_same_v<D, unit>, "futura: internal: only unit converts to result<void, E>");
    return R(boost::system::in_place_value);
  } else {
    return R(boost::system::in_place_value, std::forward<Y>(y));
  }
}

/// Moves the value of `r` (which holds one) into a result of another error type.
template <class R, class In>
R pass_value(In& r) {
  if constexpr (std::is_void_v<result_value_t<In>>) {
    return R(boost::system::in_place_value);
  } else {
    return R(boost::system::in_place_value, std::move(*r));
  }
}

/// Copies the error of `r` (which holds one) into a result of another value type.
template <class R, class In>
R pass_error(const In& r) {
  return R(boost::system::in_place_error, r.error());
}

}  // namespace futura::detail
