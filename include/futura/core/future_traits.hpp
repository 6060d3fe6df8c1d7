// futura/core/future_traits.hpp — what makes a type a future.
#pragma once

#include <futura/core/detail/detection.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <type_traits>
#include <utility>

namespace futura {

namespace detail {
template <class F>
using output_type_member = typename F::output_type;
template <class F>
using has_output_type = is_detected<output_type_member, F>;

template <class F>
using poll_call = decltype(std::declval<F&>().poll(std::declval<waker&>()));
template <class F>
using has_poll = is_detected<poll_call, F>;

// Well-formed only when poll returns the poll_result of output_type.
template <class F>
using future_poll = std::enable_if_t<std::is_same_v<poll_call<F>, poll_result<output_type_member<F>>>>;
template <class F>
using is_future_impl = is_detected<future_poll, F>;

template <class...>
inline constexpr bool dependent_false = false;
}  // namespace detail

/// True for types with `using output_type = T;` and `poll_result<T> poll(futura::waker&)`.
template <class F>
inline constexpr bool is_future_v = detail::is_future_impl<std::remove_cv_t<std::remove_reference_t<F>>>::value;

/// The output type of future `F`.
template <class F>
using output_t = typename std::remove_cv_t<std::remove_reference_t<F>>::output_type;

namespace detail {

/// Compile-time check with a message a user can act on: fires the static_assert of the first
/// thing `F` lacks (one message, not one per missing member) and returns true, so that it can
/// sit inside a `static_assert` of its own. `Index` is the argument's position (shown in the
/// instantiation trace).
template <class F, std::size_t Index = 0>
constexpr bool check_future() {
  using D = std::remove_cv_t<std::remove_reference_t<F>>;
  if constexpr (!has_output_type<D>::value) {
    static_assert(dependent_false<F>,
                  "futura: this argument is not a future: it has no `using output_type = T;` member");
  } else if constexpr (!has_poll<D>::value) {
    static_assert(dependent_false<F>,
                  "futura: this argument is not a future: it has no `poll(futura::waker&)` member function");
  } else if constexpr (!is_future_impl<D>::value) {
    static_assert(dependent_false<F>,
                  "futura: this argument is not a future: its poll(futura::waker&) must return "
                  "futura::poll_result<output_type>");
  } else if constexpr (!std::is_move_constructible_v<D>) {
    static_assert(dependent_false<F>,
                  "futura: futures must be move-constructible (contract rule 2: futures move between polls)");
  }
  return true;
}

}  // namespace detail
}  // namespace futura
