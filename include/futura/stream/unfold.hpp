// futura/stream/unfold.hpp — a stream from a state and a step that makes an item and the next state.
//
//   idle(s) --f(s) is {item, s'}---------------------------------> item; idle(s')
//   idle(s) --f(s) is std::nullopt--------------------------------> std::nullopt; ended
//   idle(s) --f(s) is a future Fut--> stepping(Fut) --{item, s'}--> item; idle(s')
//                                                    --nullopt----> std::nullopt; ended
//   ended --poll--> polled_after_completion
//
// `stream::unfold(state, f)`: each item is made by `f(std::move(s))`, which returns
// `std::optional<std::pair<T, S>>` (an item and the next state, or the end) or a future of one.
// The stream's items are `T`. `f` runs on the polling thread, once per item, when the item is
// polled for (never ahead). The future of one step is destroyed before the item it made is
// returned. Dropping the stream drops the state or the step future in flight (rule 5).
// Exceptions from `f` or its future propagate (rule 6); the stream is then ended and must not
// be polled again. Allocation: none.
#pragma once

#include <futura/combinator/detail/flatten_stage.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {
namespace detail {
template <class R, class S>
struct unfold_step : std::false_type {};
template <class T, class S>
struct unfold_step<std::optional<std::pair<T, S>>, S> : std::true_type {
  using item_type = T;
};
}  // namespace detail

namespace stream {

template <class S, class F>
class [[nodiscard]] unfold_stream : public stream_ext<unfold_stream<S, F>> {
  static_assert(std::is_move_constructible_v<S>, "futura::stream::unfold: the state must be move-constructible");
  static_assert(std::is_invocable_v<F&, S&&>,
                "futura::stream::unfold(state, f): f must be callable as f(S&&), where S is the type of state");
  using raw_result = std::invoke_result_t<F&, S&&>;
  static constexpr bool async = is_future_v<raw_result>;
  using step_result = typename detail::flattened_output<raw_result>::type;
  static_assert(detail::unfold_step<step_result, S>::value,
                "futura::stream::unfold(state, f): f must return std::optional<std::pair<T, S>> (S: the type of "
                "state), or a future of one");
  // idle: the state waits for the next step; stepping: the step's future runs; ended.
  struct idle {
    explicit idle(S&& s) : state(std::move(s)) {}
    S state;
  };
  using stepping = detail::running_stage<raw_result>;  // empty when f returns a value
  struct ended {};

 public:
  using item_type = typename detail::unfold_step<step_result, S>::item_type;

  unfold_stream(S init, F f) : f_(std::move(f)), state_(std::in_place_type<idle>, std::move(init)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (auto* waiting = std::get_if<idle>(&state_)) {
      S s(std::move(waiting->state));
      state_.template emplace<ended>();  // f owns the state now: if it throws, the stream is ended
      if constexpr (async) {
        // Built in place; should f throw, the variant is left valueless, which a later poll
        // reports as misuse like `ended`.
        state_.template emplace<stepping>(std::in_place, [&]() -> raw_result { return std::invoke(f_, std::move(s)); });
      } else {
        return yield(std::invoke(f_, std::move(s)));
      }
    }
    if constexpr (async) {
      if (auto* running = std::get_if<stepping>(&state_)) {
        poll_result<step_result> r = running->f.poll(w);
        if (r.is_pending()) return futura::pending;
        state_.template emplace<ended>();  // the step's future is finished: release it first
        return yield(std::move(r).value());
      }
    }
    detail::polled_after_completion("futura::stream::unfold_stream");
  }

 private:
  // Precondition: the state is `ended`; an item puts the next state back.
  std::optional<item_type> yield(step_result r) {
    if (!r) return std::nullopt;
    state_.template emplace<idle>(std::move(r->second));
    return std::optional<item_type>(std::move(r->first));
  }

  // Declared first so that it is destroyed last: a step future may use what `f` captured.
  F f_;
  std::variant<idle, stepping, ended> state_;
};

/// A stream made by stepping `state` with `f`; see the top of this header.
/// @code
///   auto s = futura::stream::unfold(1, [](int n) -> std::optional<std::pair<int, int>> {
///     if (n > 100) return std::nullopt;
///     return std::pair{n, n * 2};
///   });                                  // 1, 2, 4, ..., 64, end
/// @endcode
template <class S, class F>
unfold_stream<std::decay_t<S>, std::decay_t<F>> unfold(S&& state, F&& f) {
  return {std::forward<S>(state), std::forward<F>(f)};
}

}  // namespace stream
}  // namespace futura
