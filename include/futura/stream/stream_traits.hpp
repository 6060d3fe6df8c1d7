// futura/stream/stream_traits.hpp — what makes a type a stream.
//
// A stream is an object with `using item_type = T;` and
// `poll_result<std::optional<T>> poll_next(waker&)`: pending (after arranging a wake, rule 3),
// an item, or `std::nullopt` for the end. Polling again after the end is misuse (rule 4), except
// on a `fuse()`d stream.
#pragma once

#include <futura/core/detail/detection.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

namespace detail {
template <class S>
using item_type_member = typename S::item_type;
template <class S>
using has_item_type = is_detected<item_type_member, S>;

template <class S>
using poll_next_call = decltype(std::declval<S&>().poll_next(std::declval<waker&>()));
template <class S>
using has_poll_next = is_detected<poll_next_call, S>;

// Well-formed only when poll_next returns the poll_result of an optional item_type.
template <class S>
using stream_poll =
    std::enable_if_t<std::is_same_v<poll_next_call<S>, poll_result<std::optional<item_type_member<S>>>>>;
template <class S>
using is_stream_impl = is_detected<stream_poll, S>;
}  // namespace detail

/// True for types with `using item_type = T;` and
/// `poll_result<std::optional<T>> poll_next(futura::waker&)`.
template <class S>
inline constexpr bool is_stream_v = detail::is_stream_impl<std::remove_cv_t<std::remove_reference_t<S>>>::value;

/// The item type of stream `S`.
template <class S>
using item_t = typename std::remove_cv_t<std::remove_reference_t<S>>::item_type;

namespace detail {

/// Compile-time check with a message a user can act on: names what the type lacks.
template <class S>
constexpr bool check_stream() {
  using D = std::remove_cv_t<std::remove_reference_t<S>>;
  static_assert(has_item_type<D>::value,
                "futura: this argument is not a stream: it has no `using item_type = T;` member");
  static_assert(has_poll_next<D>::value,
                "futura: this argument is not a stream: it has no `poll_next(futura::waker&)` member function");
  static_assert(!has_item_type<D>::value || !has_poll_next<D>::value || is_stream_impl<D>::value,
                "futura: this argument is not a stream: its poll_next(futura::waker&) must return "
                "futura::poll_result<std::optional<item_type>>");
  static_assert(std::is_move_constructible_v<D>,
                "futura: streams must be move-constructible (rule 2: streams move between polls)");
  return true;
}

}  // namespace detail
}  // namespace futura
