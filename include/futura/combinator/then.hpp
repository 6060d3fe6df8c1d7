// futura/combinator/then.hpp — run a continuation on a future's output.
//
//   first(F) --F ready, g(v) is a value-----------------------------> done
//   first(F) --F ready, g(v) is a future Fut2--> second(Fut2) --ready--> done
//
// `f.then(g)` / `then(f, g)`: when `f` is ready with `v`, calls `g(v)` (or `g()` when `v` is
// `unit` and `g` takes nothing). If `g` returns a future, `then` flattens: its output is that
// future's output. `g` returning `void` gives `unit`.
//
// Ordering and threads: `g` runs inside `poll`, on the thread that polls, exactly once.
// Destruction: `F` is destroyed as soon as it is ready (before `g` runs); `g` (and what it
// captures) lives as long as the `then` future, so the future `g` returned may use buffers
// owned by `g`'s captures. Dropping the `then` future drops whichever stage is running.
// Exceptions thrown by `F`'s poll, by `g`, or by `Fut2`'s poll propagate out of `poll`
// (rule 6); after `g` throws the future is complete and must not be polled again.
// Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

template <class F, class G>
class [[nodiscard]] then_future : public future_ext<then_future<F, G>> {
  static_assert(detail::check_future<F>());
  using in_type = output_t<F>;
  using traits = detail::continuation_traits<G, in_type>;
  static_assert(traits::callable,
                "futura::then: the continuation cannot be called with the future's output: it must accept "
                "output_t<F> (or take no argument when the output is futura::unit)");
  static_assert(std::is_move_constructible_v<G>, "futura::then: the continuation must be move-constructible");
  using raw_result = typename traits::raw_result;
  static constexpr bool flattens = is_future_v<raw_result>;
  struct no_second {};
  using second_type = std::conditional_t<flattens, raw_result, no_second>;
  struct done {};

 public:
  using output_type = typename detail::flattened_output<raw_result>::type;

  FUTURA_ALWAYS_INLINE then_future(F f, G g) : g_(std::move(g)), state_(std::in_place_index<0>, std::move(f)) {}

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (auto* first = std::get_if<0>(&state_)) {
      poll_result<in_type> r = first->poll(w);
      if (r.is_pending()) return pending;
      state_.template emplace<2>();  // F is finished: release it before g runs
      if constexpr (flattens) {
        state_.template emplace<1>(detail::construct_with{
            [&]() -> raw_result { return detail::invoke_continuation(g_, std::move(r).value()); }});
      } else {
        return detail::invoke_to_unit(
            [&]() -> decltype(auto) { return detail::invoke_continuation(g_, std::move(r).value()); });
      }
    }
    if constexpr (flattens) {
      if (auto* second = std::get_if<1>(&state_)) {
        poll_result<output_type> r = second->poll(w);
        if (r.is_ready()) state_.template emplace<2>();
        return r;
      }
    }
    detail::polled_after_completion("futura::then_future");
  }

 private:
  // Declared first so that it is destroyed last: the running stage may use what g captured.
  G g_;
  std::variant<F, second_type, done> state_;
};

/// Runs `g` on the output of `f`; see the top of this header.
/// @code
///   auto f = futura::then(futura::ready(20), [](int x) { return x + 1; });   // output int
///   auto g = futura::ready(1).then([](int) { return futura::ready(2); });    // flattened: int
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE then_future<std::decay_t<F>, std::decay_t<G>> then(F&& f, G&& g) {
  static_assert(detail::check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F>, "futura::then consumes the future: pass std::move(f)");
  return {std::forward<F>(f), std::forward<G>(g)};
}

template <class Derived>
template <class G>
FUTURA_ALWAYS_INLINE auto future_ext<Derived>::then(G&& g) && {
  return then_future<Derived, std::decay_t<G>>(static_cast<Derived&&>(*this), std::forward<G>(g));
}

}  // namespace futura
