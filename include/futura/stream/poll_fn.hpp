// futura/stream/poll_fn.hpp — a stream from a poll function.
//
//   polling(f) --f answered an item--> polling(f)
//   polling(f) --f answered std::nullopt--> ended --poll--> polled_after_completion
//
// `stream::poll_fn<T>(f)`: each poll calls `f(waker&)`, which returns
// `poll_result<std::optional<T>>`; `f` obeys the rules of a hand-written `poll_next` (rule 3:
// register the waker or wake before answering pending). `f` runs on the polling thread.
// Allocation: none.
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class T, class Fn>
class [[nodiscard]] poll_fn_stream : public stream_ext<poll_fn_stream<T, Fn>> {
  static_assert(std::is_invocable_r_v<poll_result<std::optional<T>>, Fn&, waker&>,
                "futura::stream::poll_fn<T>(f): f must be callable as f(futura::waker&) and return "
                "futura::poll_result<std::optional<T>>");

 public:
  using item_type = T;

  explicit poll_fn_stream(Fn fn) : fn_(std::move(fn)) {}

  poll_result<std::optional<T>> poll_next(waker& w) {
    if (ended_) detail::polled_after_completion("futura::stream::poll_fn_stream");
    poll_result<std::optional<T>> r = fn_(w);
    ended_ = r.is_ready() && !r.value().has_value();
    return r;
  }

 private:
  Fn fn_;
  bool ended_ = false;
};

/// A stream whose `poll_next` is `f(waker&)`.
/// @code
///   int n = 0;
///   auto s = futura::stream::poll_fn<int>([&](futura::waker&) -> futura::poll_result<std::optional<int>> {
///     if (n == 3) return std::optional<int>();   // the end
///     return std::optional<int>(n++);
///   });                                          // 0, 1, 2, end
/// @endcode
template <class T, class Fn>
poll_fn_stream<T, std::decay_t<Fn>> poll_fn(Fn&& fn) {
  return poll_fn_stream<T, std::decay_t<Fn>>(std::forward<Fn>(fn));
}

}  // namespace futura::stream
