// futura/stream/then.hpp — run a future for each item; its outputs are the items.
//
//   waiting --upstream item v: Fut = f(v)--> running(Fut) (polled in the same poll)
//   running(Fut) --Fut ready with u: Fut destroyed--> item u; waiting
//   waiting --upstream pending / end--> the same
//
// `s.then(f)`: `f(T&&)` returns a future; one runs at a time, in item order, and the next item
// is not polled for before the current future is done. `f` runs on the polling thread. Each
// future is destroyed before its output is returned; dropping the stream drops the upstream and
// the future in flight. Exceptions from the upstream, `f` or the future propagate. A poll after
// the end reaches the upstream (rule 4). Allocation: none.
//
// Example:
//   auto s = std::move(urls).then([&](std::string url) { return fetch(ctx, url); });
#pragma once

#include <futura/core/detail/continuation.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class F>
class [[nodiscard]] then_stream : public stream_ext<then_stream<S, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, item_t<S>&&>,
                "futura: .then(f) on a stream: f must be callable with the stream's item (item_t<S>&&)");
  using future_type = std::invoke_result_t<F&, item_t<S>&&>;
  static_assert(is_future_v<future_type>,
                "futura: .then(f) on a stream: f must return a future (to transform items with a plain function, "
                "use .map(f))");

 public:
  using item_type = output_t<future_type>;

  then_stream(S s, F f) : f_(std::move(f)), s_(std::move(s)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (!running_) {
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (!r.value()) return std::optional<item_type>();
      running_.emplace(detail::construct_with{[&]() -> future_type { return std::invoke(f_, std::move(*r.value())); }});
    }
    poll_result<item_type> out = running_->poll(w);
    if (out.is_pending()) return futura::pending;
    running_.reset();  // finished: release it before its output leaves
    return std::optional<item_type>(std::move(out).value());
  }

 private:
  // Declared first so that it is destroyed last: a running future may use what f captured.
  F f_;
  S s_;
  std::optional<future_type> running_;
};

}  // namespace futura::stream
