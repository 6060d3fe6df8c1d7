// futura/combinator/detail/flatten_stage.hpp — the last stage of then and lazy: a call whose
// result is the output, or a future whose output is.
//
//   call() is a value: the caller returns it (invoke_to_unit) ------> Done
//   call() is a future Fut: start --> running{Fut} --poll: ready-----> Done
//
// `State` is the combinator's `std::variant` of named states, which holds `running` (the state
// this stage adds) and `Done` (the empty final state). The caller moves `State` to `Done` before
// the call, so that what came before (then's `F`) is released before the call runs, and a call
// that throws leaves the combinator complete. After `start` it falls through to `poll` rather
// than polling the new future itself, so that its poll holds one copy of the polling code.
#pragma once

#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura::detail {

/// The state that runs the future `Fut` a call returned. Empty when the call returns a value
/// (`Fut` is then no future): a member, even an empty one, would keep Clang from folding a chain
/// of value continuations (W1 of docs/performance.md) into its arithmetic.
template <class Fut, bool = is_future_v<Fut>>
struct running_stage {
  /// `Fut` built in place from what `call()` returns (guaranteed elision): never moved.
  template <class Call>
  FUTURA_ALWAYS_INLINE running_stage(std::in_place_t, Call&& call) : f(std::forward<Call>(call)()) {}
  Fut f;
};
template <class Fut>
struct running_stage<Fut, false> {};

/// `Result` is what the call returns.
template <class Result, class Done>
struct flatten_stage {
  using running = running_stage<Result>;
  using output = typename flattened_output<Result>::type;
  static constexpr bool flattens = is_future_v<Result>;

  /// Moves `state` to `running`, built in place from the future `call()` returns. The caller
  /// then falls through to `poll`, as a later poll does.
  template <class State, class Call>
  static FUTURA_ALWAYS_INLINE void start(State& state, Call&& call) {
    state.template emplace<running>(std::in_place, std::forward<Call>(call));
  }

  /// The `running` state's future, or rule 4's error once `Done`.
  template <class State>
  static FUTURA_ALWAYS_INLINE poll_result<output> poll(State& state, waker& w, const char* name) {
    if constexpr (flattens) {
      if (auto* r = std::get_if<running>(&state)) {
        poll_result<output> out = r->f.poll(w);
        if (out.is_ready()) state.template emplace<Done>();  // Fut is finished: release it now
        return out;
      }
    }
    polled_after_completion(name);
  }
};

}  // namespace futura::detail
