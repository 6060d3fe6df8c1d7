// futura/stream/once.hpp — a stream of one item: a future's output.
//
//   waiting(F) --F ready with v: item v--> yielded --poll: std::nullopt--> ended
//   ended --poll--> polled_after_completion
//
// `stream::once(f)`: polls `f` until it is ready, yields its output, then ends. `F` is destroyed
// inside the poll that saw it ready; dropping the stream before that drops `F` (rule 5). An
// exception from `F`'s poll propagates (rule 6). Allocation: none.
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura::stream {

template <class F>
class [[nodiscard]] once_stream : public stream_ext<once_stream<F>> {
  static_assert(detail::check_future<F>());
  struct waiting {
    explicit waiting(F&& inner) : f(std::move(inner)) {}
    F f;
  };
  struct yielded {};
  struct ended {};

 public:
  using item_type = output_t<F>;

  explicit once_stream(F f) : state_(std::in_place_type<waiting>, std::move(f)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (auto* pending_output = std::get_if<waiting>(&state_)) {
      poll_result<item_type> r = pending_output->f.poll(w);
      if (r.is_pending()) return futura::pending;
      std::optional<item_type> item(std::move(r).value());
      state_.template emplace<yielded>();  // F is finished: release it now
      return item;
    }
    if (std::holds_alternative<yielded>(state_)) {
      state_.template emplace<ended>();
      return std::optional<item_type>();
    }
    detail::polled_after_completion("futura::stream::once_stream");
  }

 private:
  std::variant<waiting, yielded, ended> state_;
};

/// A stream that yields the output of `f` and ends.
/// @code
///   auto s = futura::stream::once(futura::ready(7));   // 7, end
/// @endcode
template <class F>
once_stream<std::decay_t<F>> once(F&& f) {
  static_assert(detail::check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F>, "futura::stream::once consumes the future: pass std::move(f)");
  return once_stream<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace futura::stream
