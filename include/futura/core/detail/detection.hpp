// futura/core/detail/detection.hpp — the detection idiom, written once: `is_detected<Op, Args...>`
// is true when `Op<Args...>` names a type, false when substituting it fails. C++17 has `void_t`
// but not the Library Fundamentals TS's `is_detected`; with it every "does T have member X"
// trait is an alias for the expression and one line, e.g.:
//   template <class F> using poll_call = decltype(std::declval<F&>().poll(std::declval<waker&>()));
//   template <class F> using has_poll = is_detected<poll_call, F>;
#pragma once

#include <type_traits>

namespace futura::detail {

template <class AlwaysVoid, template <class...> class Op, class... Args>
struct detector : std::false_type {};
template <template <class...> class Op, class... Args>
struct detector<std::void_t<Op<Args...>>, Op, Args...> : std::true_type {};

/// `std::true_type` when `Op<Args...>` is well-formed, else `std::false_type`.
template <template <class...> class Op, class... Args>
using is_detected = detector<void, Op, Args...>;

}  // namespace futura::detail
