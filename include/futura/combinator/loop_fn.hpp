// futura/combinator/loop_fn.hpp — a loop as a future: step a state until a step breaks.
//
//   idle(s) --step(s) is continue(s')-----------------------------> idle(s')  (same poll)
//   idle(s) --step(s) is break(v)---------------------------------> done: ready with v
//   idle(s) --step(s) is a future Fut--> stepping(Fut) --continue(s')--> idle(s')
//                                                      --break(v)-----> done: ready with v
//   after coop_budget ready steps in one poll: wake self, pending (the state is kept)
//
// `loop_fn(init, step)`: the state starts as `init`; each iteration calls `step(std::move(s))`,
// which returns a `loop_step<T, S>` (`loop_break(v)` ends the loop with output `v`,
// `loop_continue(s2)` runs the next iteration with `s2`) or a future of one. The output is `T`.
//
// Constant stack and memory per iteration, however many run: the state and at most one step
// future live inside the loop object (no recursion, no `boxed_future` chain). Steps that are
// ready at once run inside one poll, up to `detail::coop_budget` (128) of them; then the loop
// wakes its waker and returns pending, so an always-ready loop cannot starve its executor.
//
// Ordering and threads: `step` runs inside `poll`, on the polling thread, one iteration at a
// time; the future of one iteration is destroyed before the next `step` call. Destruction:
// dropping the loop drops the state or the step future in flight (rule 5). Exceptions thrown
// by `step` or by its future propagate out of `poll` (rule 6); the loop is then finished and
// must not be polled again. Allocation: none.
#pragma once

#include <futura/combinator/detail/flatten_stage.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <functional>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

/// What `loop_break(v)` returns: converts to any `loop_step<T, S>` whose `T` can be made from `V`.
template <class V>
struct loop_break_t {
  V value;
};

/// What `loop_continue(s)` returns: converts to any `loop_step<T, S>` whose `S` can be made from `V`.
template <class V>
struct loop_continue_t {
  V state;
};

/// The result of one iteration of `loop_fn`: break with an output `T`, or continue with a state `S`.
template <class T, class S>
class loop_step {
 public:
  using break_type = T;
  using state_type = S;

  template <class V, std::enable_if_t<std::is_constructible_v<T, V&&>, int> = 0>
  loop_step(loop_break_t<V> b)  // NOLINT(google-explicit-constructor): implicit by design
      : step_(std::in_place_type<break_with>, std::in_place, std::move(b.value)) {}
  template <class V, std::enable_if_t<std::is_constructible_v<S, V&&>, int> = 0>
  loop_step(loop_continue_t<V> c)  // NOLINT(google-explicit-constructor): implicit by design
      : step_(std::in_place_type<continue_with>, std::in_place, std::move(c.state)) {}

  bool is_break() const noexcept { return std::holds_alternative<break_with>(step_); }
  bool is_continue() const noexcept { return std::holds_alternative<continue_with>(step_); }
  /// Moves the output out. Precondition: `is_break()`.
  T take_break() { return std::move(std::get_if<break_with>(&step_)->value); }
  /// Moves the next state out. Precondition: `is_continue()`.
  S take_continue() { return std::move(std::get_if<continue_with>(&step_)->state); }

 private:
  // Wrapped, so that T and S may be the same type.
  struct continue_with {
    template <class V>
    continue_with(std::in_place_t, V&& v) : state(std::forward<V>(v)) {}
    S state;
  };
  struct break_with {
    template <class V>
    break_with(std::in_place_t, V&& v) : value(std::forward<V>(v)) {}
    T value;
  };
  std::variant<continue_with, break_with> step_;
};

/// Ends a loop with output `v`.
template <class V>
loop_break_t<std::decay_t<V>> loop_break(V&& v) {
  return {std::forward<V>(v)};
}
/// Ends a loop whose output is `unit`.
inline loop_break_t<unit> loop_break() { return {unit{}}; }

/// Runs the next iteration of a loop with state `s`.
template <class V>
loop_continue_t<std::decay_t<V>> loop_continue(V&& s) {
  return {std::forward<V>(s)};
}

namespace detail {
template <class R, class S>
struct is_loop_step_of : std::false_type {};
template <class T, class S>
struct is_loop_step_of<loop_step<T, S>, S> : std::true_type {};
}  // namespace detail

template <class S, class Step>
class [[nodiscard]] loop_fn_future : public future_ext<loop_fn_future<S, Step>> {
  static_assert(std::is_move_constructible_v<S>, "futura::loop_fn: the state must be move-constructible");
  static_assert(std::is_invocable_v<Step&, S&&>,
                "futura::loop_fn(init, step): step must be callable as step(S&&), where S is the type of init");
  using raw_result = std::invoke_result_t<Step&, S&&>;
  static constexpr bool async = is_future_v<raw_result>;
  using step_result = typename detail::flattened_output<raw_result>::type;
  static_assert(detail::is_loop_step_of<step_result, S>::value,
                "futura::loop_fn(init, step): step must return futura::loop_step<T, S> (S: the type of init) or a "
                "future of one; a lambda that returns loop_break(...) / loop_continue(...) needs the return type "
                "`-> futura::loop_step<T, S>`");
  // idle: the state waits for the next step; stepping: the step's future runs; done.
  struct idle {
    template <class V>
    idle(std::in_place_t, V&& v) : state(std::forward<V>(v)) {}
    S state;
  };
  using stepping = detail::running_stage<raw_result>;  // empty when the step returns a value
  struct done {};

 public:
  using output_type = typename step_result::break_type;

  loop_fn_future(S init, Step step)
      : step_(std::move(step)), state_(std::in_place_type<idle>, std::in_place, std::move(init)) {}

  poll_result<output_type> poll(waker& w) {
    detail::coop_meter meter;
    for (;;) {
      if constexpr (async) {
        if (auto* running = std::get_if<stepping>(&state_)) {
          poll_result<step_result> r = running->f.poll(w);
          if (r.is_pending()) return pending;
          if (r.value().is_break()) {
            state_.template emplace<done>();
            return poll_result<output_type>(std::in_place, r.value().take_break());
          }
          state_.template emplace<idle>(std::in_place, r.value().take_continue());
          if (meter.spend()) return detail::coop_meter::yield(w);
        }
      }
      auto* waiting = std::get_if<idle>(&state_);
      if (!waiting) detail::polled_after_completion("futura::loop_fn_future");
      S s(std::move(waiting->state));
      state_.template emplace<done>();  // the step owns the state now: if it throws, the loop is finished
      if constexpr (async) {
        // Built in place; should `step` throw, the variant is left valueless, which a later poll
        // reports as misuse like `done`.
        state_.template emplace<stepping>(std::in_place,
                                          [&]() -> raw_result { return std::invoke(step_, std::move(s)); });
      } else {
        step_result r = std::invoke(step_, std::move(s));
        if (r.is_break()) return poll_result<output_type>(std::in_place, r.take_break());
        state_.template emplace<idle>(std::in_place, r.take_continue());
        if (meter.spend()) return detail::coop_meter::yield(w);
      }
    }
  }

 private:
  // Declared first so that it is destroyed last: a step future may use what `step` captured.
  Step step_;
  std::variant<idle, stepping, done> state_;
};

/// A loop whose iterations are `step(state)`: see the top of this header.
/// @code
///   auto f = futura::loop_fn(0, [](int i) -> futura::loop_step<std::string, int> {
///     if (i == 10) return futura::loop_break(std::string("done"));
///     return futura::loop_continue(i + 1);
///   });
///   std::string s = futura::block_on(std::move(f));   // "done"
///
///   // A step may be a future of a loop_step: here one read per iteration until EOF.
///   auto lines = futura::loop_fn(0, [&](int n) {
///     return read_line(sock).then([n](std::optional<std::string> l) -> futura::loop_step<int, int> {
///       if (!l) return futura::loop_break(n);
///       return futura::loop_continue(n + 1);
///     });
///   });
/// @endcode
template <class S, class Step>
loop_fn_future<std::decay_t<S>, std::decay_t<Step>> loop_fn(S&& init, Step&& step) {
  return {std::forward<S>(init), std::forward<Step>(step)};
}

}  // namespace futura
