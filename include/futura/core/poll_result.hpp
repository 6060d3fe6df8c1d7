// futura/core/poll_result.hpp — the answer of every poll: pending, or ready with a value.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

/// The output of a future that produces "nothing" (the C++ counterpart of Rust's `()`).
/// Continuations of a `unit` future may take no argument.
struct unit {
  friend constexpr bool operator==(unit, unit) noexcept { return true; }
  friend constexpr bool operator!=(unit, unit) noexcept { return false; }
};

/// Tag type of `futura::pending`.
struct pending_t {
  explicit constexpr pending_t(int) noexcept {}
};

/// Returned from `poll` to say "not yet": `return futura::pending;`.
/// Contract rule 3: a future returns it only after arranging to be woken.
inline constexpr pending_t pending{0};

/// The result of one poll: pending, or ready with a `T`.
///
/// Implicitly constructible from a `T` (ready) and from `futura::pending`, so a hand-written
/// `poll` reads naturally:
/// @code
///   futura::poll_result<int> poll(futura::waker& w) {
///     if (!done) { w.wake(); return futura::pending; }
///     return 42;
///   }
/// @endcode
template <class T>
class [[nodiscard]] poll_result {
  static_assert(!std::is_reference_v<T>, "futura::poll_result<T>: T must be a value type, not a reference");
  static_assert(!std::is_void_v<T>, "futura::poll_result<void> does not exist: use futura::unit as the output type");

 public:
  using value_type = T;

  constexpr poll_result(pending_t) noexcept {}  // NOLINT(google-explicit-constructor): implicit by design

  template <class U = T,
            std::enable_if_t<std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, poll_result> &&
                                 !std::is_same_v<std::decay_t<U>, pending_t>,
                             int> = 0>
  constexpr poll_result(U&& v)  // NOLINT(google-explicit-constructor): implicit by design
      noexcept(std::is_nothrow_constructible_v<T, U&&>)
      : value_(std::in_place, std::forward<U>(v)) {}

  /// Constructs the ready value in place.
  template <class... Args>
  constexpr explicit poll_result(std::in_place_t, Args&&... args)
      : value_(std::in_place, std::forward<Args>(args)...) {}

  constexpr bool is_ready() const noexcept { return value_.has_value(); }
  constexpr bool is_pending() const noexcept { return !value_.has_value(); }

  /// The ready value. Precondition: `is_ready()`.
  constexpr T& value() & noexcept { return *value_; }
  constexpr const T& value() const& noexcept { return *value_; }
  constexpr T&& value() && noexcept { return std::move(*value_); }

  /// Moves the ready value out. Precondition: `is_ready()`.
  constexpr T take() { return std::move(*value_); }

 private:
  std::optional<T> value_;
};

namespace detail {
template <class T>
struct is_poll_result : std::false_type {};
template <class T>
struct is_poll_result<poll_result<T>> : std::true_type {};

/// `void` becomes `unit`; everything else stays.
template <class T>
using void_to_unit_t = std::conditional_t<std::is_void_v<T>, unit, T>;
}  // namespace detail

}  // namespace futura
