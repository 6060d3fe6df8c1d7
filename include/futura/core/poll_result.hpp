// futura/core/poll_result.hpp — the answer of every poll: pending, or ready with a value.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

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

namespace detail {

/// How a poll_result keeps its value, chosen for the code GCC makes of it (docs/performance.md,
/// "Change 14"). The ABI returns a poll_result of up to 16 trivially copyable bytes in
/// registers. GCC builds a `std::optional<int>` or a `std::variant<int, int>` for that on the
/// stack, with narrow stores, then loads it whole; the load cannot be forwarded from the stores
/// and stalls every poll that returns one across a call. So:
/// - a scalar or an empty type (`int`, a pointer, `unit`) sits in a union with a flag, which GCC
///   builds in registers;
/// - a trivially copyable `std::variant` (a select's output) keeps a `std::optional`, with a
///   destructor of its own so that it is returned through memory, where the caller reads each
///   part with a load the size of its store;
/// - everything else keeps a `std::optional`. A union there made GCC copy a `std::optional<long>`
///   through the stack even in fully inlined code (W8's pipeline ran 4× slower).
enum class poll_storage_kind {
  in_registers,  // a scalar or an empty type: a union and a flag
  in_memory,     // a trivially copyable variant (select's output): returned through memory
  optional,      // everything else
};

template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};

template <class T>
constexpr poll_storage_kind poll_storage_kind_of() {
  if constexpr ((std::is_scalar_v<T> || std::is_empty_v<T>)&&std::is_trivially_copyable_v<T> &&
                std::is_trivially_destructible_v<T>) {
    return poll_storage_kind::in_registers;
  } else if constexpr (is_variant<T>::value && std::is_trivially_copyable_v<T>) {
    return poll_storage_kind::in_memory;
  } else {
    return poll_storage_kind::optional;
  }
}

template <class T, poll_storage_kind = poll_storage_kind_of<T>()>
class poll_storage {
 public:
  constexpr poll_storage() noexcept = default;
  template <class... Args>
  constexpr explicit poll_storage(std::in_place_t, Args&&... args)
      : value_(std::in_place, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return value_.has_value(); }
  constexpr T& get() noexcept { return *value_; }
  constexpr const T& get() const noexcept { return *value_; }

 private:
  std::optional<T> value_;
};

template <class T>
class poll_storage<T, poll_storage_kind::in_registers> {
 public:
  constexpr poll_storage() noexcept : empty_() {}
  template <class... Args>
  constexpr explicit poll_storage(std::in_place_t, Args&&... args)
      : value_(std::forward<Args>(args)...), ready_(true) {}

  constexpr bool has_value() const noexcept { return ready_; }
  constexpr T& get() noexcept { return value_; }
  constexpr const T& get() const noexcept { return value_; }

 private:
  struct nothing {};  // the member a pending result holds: initialising it writes no byte
  union {
    nothing empty_;
    T value_;
  };
  bool ready_ = false;
};

// The std::optional storage above, with a user-provided destructor: the ABI then returns it
// through memory. T is trivially destructible, so the destructor does nothing.
template <class T>
class poll_storage<T, poll_storage_kind::in_memory> : public poll_storage<T, poll_storage_kind::optional> {
 public:
  using poll_storage<T, poll_storage_kind::optional>::poll_storage;
  poll_storage() noexcept = default;
  poll_storage(const poll_storage&) = default;
  poll_storage& operator=(const poll_storage&) = default;
  ~poll_storage() {}  // NOLINT(modernize-use-equals-default): `= default` would be trivial
};

}  // namespace detail

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
  constexpr T& value() & noexcept { return value_.get(); }
  constexpr const T& value() const& noexcept { return value_.get(); }
  constexpr T&& value() && noexcept { return std::move(value_.get()); }

  /// Moves the ready value out. Precondition: `is_ready()`.
  constexpr T take() { return std::move(value_.get()); }

 private:
  detail::poll_storage<T> value_;
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
