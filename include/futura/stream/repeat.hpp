// futura/stream/repeat.hpp — endless streams: copies of a value, or the results of a callable.
//
//   repeat(v):       yielding --poll: a copy of v--> yielding   (never ends)
//   repeat_with(f):  yielding --poll: f()--------> yielding    (never ends)
//
// Every poll is ready at once, so a consumer of these streams runs on its cooperative budget
// (or bound them with `take(n)`). `f` is called as a non-const lvalue on the polling thread; an
// exception from it propagates out of `poll_next`. Allocation: none.
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class T>
class [[nodiscard]] repeat_stream : public stream_ext<repeat_stream<T>> {
  static_assert(std::is_copy_constructible_v<T>, "futura::stream::repeat(v): v must be copyable");

 public:
  using item_type = T;

  explicit repeat_stream(T v) : value_(std::move(v)) {}

  poll_result<std::optional<T>> poll_next(waker&) { return std::optional<T>(value_); }

 private:
  T value_;
};

template <class F>
class [[nodiscard]] repeat_with_stream : public stream_ext<repeat_with_stream<F>> {
  static_assert(std::is_invocable_v<F&>, "futura::stream::repeat_with(f): f must be callable as f()");
  static_assert(!std::is_void_v<std::invoke_result_t<F&>>,
                "futura::stream::repeat_with(f): f must return the item (it returns void)");

 public:
  using item_type = std::decay_t<std::invoke_result_t<F&>>;

  explicit repeat_with_stream(F f) : f_(std::move(f)) {}

  poll_result<std::optional<item_type>> poll_next(waker&) { return std::optional<item_type>(f_()); }

 private:
  F f_;
};

/// An endless stream of copies of `v`.
/// @code
///   auto s = futura::stream::repeat(1).take(3);   // 1, 1, 1, end
/// @endcode
template <class T>
repeat_stream<std::decay_t<T>> repeat(T&& v) {
  return repeat_stream<std::decay_t<T>>(std::forward<T>(v));
}

/// An endless stream of `f()`, called once per item.
/// @code
///   int n = 0;
///   auto s = futura::stream::repeat_with([&] { return n++; });   // 0, 1, 2, ...
/// @endcode
template <class F>
repeat_with_stream<std::decay_t<F>> repeat_with(F&& f) {
  return repeat_with_stream<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace futura::stream
