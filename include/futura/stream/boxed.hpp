// futura/stream/boxed.hpp — a type-erased stream: boxed_stream<T>.
//
//   holding(S) --poll_next--> S's answer (item, pending or end; a poll after the end reaches S)
//   holding(S) --moved from / dropped: S destroyed--> empty --poll_next--> polled_after_completion
//
// `s.boxed()` / `futura::stream::boxed_stream<T>(std::move(s))` erases the type of any stream `S`
// whose item type is `T`, so streams of different types can be stored together (a vector for
// `stream::select_all`), returned from one function, or built in a loop. boxed_stream is
// move-only and is itself a stream (every `stream_ext` method works on it); `.boxed()` on a
// boxed_stream returns it as it is.
//
// Allocation: exactly one per boxing: `S` moves into a heap block (no small-buffer: a stream is
// long-lived, so the block is paid once). Moving a boxed_stream moves a pointer. A poll costs one
// indirect call. Destruction of boxes nested deeper than 128 defers to boxed_future's per-thread
// destroy list (futura/combinator/detail/boxed_trampoline.hpp), so dropping a deep nest does not
// overflow the stack. Polls are not trampolined: a stream nested through thousands of boxes
// (`s = std::move(s).chain(x).boxed()` in a loop) recurses once per box when polled; merge such
// streams with `stream::select_all` or `flatten` instead.
//
// Ordering, threads and exceptions are `S`'s: `poll_next` polls `S` on the polling thread with
// the waker it was given, and its exceptions propagate. Dropping the box drops `S` (rule 5). A
// moved-from or default-constructed box is empty: polling it is rule 4's error.
//
// Example:
//   futura::stream::boxed_stream<int> numbers(bool odd) {   // one return type for two streams
//     if (odd) return futura::stream::iter(std::vector<int>{1, 3, 5});
//     return futura::stream::repeat(2).take(3);
//   }
#pragma once

#include <futura/combinator/detail/boxed_trampoline.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

/// What a boxed_stream<T> needs to know about the stream it holds.
template <class T>
struct boxed_stream_ops {
  poll_result<std::optional<T>> (*poll_next)(void* s, waker& w);
  boxed_destroy_fn destroy;
};

template <class T, class S>
struct boxed_stream_impl {
  static poll_result<std::optional<T>> poll_next(void* s, waker& w) { return static_cast<S*>(s)->poll_next(w); }
  static void destroy(void* s) noexcept { delete static_cast<S*>(s); }
  static constexpr boxed_stream_ops<T> table{&poll_next, &destroy};
};

}  // namespace detail

namespace stream {

template <class T>
class [[nodiscard]] boxed_stream : public stream_ext<boxed_stream<T>> {
 public:
  using item_type = T;

  /// Boxes `s` (any stream whose item type is `T`) in one heap block. Implicit, so a function
  /// returning boxed_stream<T> can `return` any such stream.
  template <class S, std::enable_if_t<is_stream_v<S> && !std::is_same_v<std::decay_t<S>, boxed_stream>, int> = 0>
  boxed_stream(S&& s) {  // NOLINT(google-explicit-constructor): implicit by design
    using D = std::decay_t<S>;
    static_assert(!std::is_lvalue_reference_v<S>,
                  "futura::stream::boxed_stream<T> consumes the stream: pass std::move(s)");
    static_assert(std::is_same_v<item_t<D>, T>,
                  "futura::stream::boxed_stream<T>: the stream's item_type must be exactly T (map it first)");
    if constexpr (!std::is_lvalue_reference_v<S> && std::is_same_v<item_t<D>, T> && detail::check_stream<D>()) {
      stream_ = new D(std::forward<S>(s));
      ops_ = &detail::boxed_stream_impl<T, D>::table;
    }
  }

  /// An empty box (like a moved-from one): assign a stream to it before polling.
  boxed_stream() noexcept = default;
  boxed_stream(boxed_stream&& other) noexcept
      : stream_(std::exchange(other.stream_, nullptr)), ops_(std::exchange(other.ops_, nullptr)) {}
  boxed_stream& operator=(boxed_stream&& other) noexcept {
    if (this != &other) {
      boxed_stream incoming(std::move(other));  // `other` may live inside what reset() destroys
      reset();
      stream_ = std::exchange(incoming.stream_, nullptr);
      ops_ = std::exchange(incoming.ops_, nullptr);
    }
    return *this;
  }
  boxed_stream(const boxed_stream&) = delete;
  boxed_stream& operator=(const boxed_stream&) = delete;
  ~boxed_stream() { reset(); }

  /// False for an empty box: default-constructed or moved-from.
  bool valid() const noexcept { return stream_ != nullptr; }

  poll_result<std::optional<T>> poll_next(waker& w) {
    if (!stream_) detail::polled_after_completion("futura::stream::boxed_stream");
    return ops_->poll_next(stream_, w);
  }

 private:
  void reset() noexcept {
    if (!stream_) return;
    void* s = std::exchange(stream_, nullptr);
    detail::boxed_destroy_bounded([&] { return detail::boxed_defer_destroy(s, ops_->destroy); },
                                  [&] { ops_->destroy(s); });
    ops_ = nullptr;
  }

  void* stream_ = nullptr;
  const detail::boxed_stream_ops<T>* ops_ = nullptr;
};

}  // namespace stream
}  // namespace futura
