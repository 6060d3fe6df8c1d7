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

#include <futura/combinator/detail/flatten_stage.hpp>
#include <futura/combinator/detail/then_with.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura {
namespace detail {

/// What then requires of `G` (core/detail/continuation.hpp: how it is called with `In`).
template <class G, class In>
struct then_traits : continuation_traits<G, In> {
  static constexpr bool valid = continuation_traits<G, In>::callable;
  static_assert(valid,
                "futura::then: the continuation cannot be called with the future's output: it must accept "
                "output_t<F> (or take no argument when the output is futura::unit)");
};

/// then's function object is `g` itself.
template <class Traits, class G, class In>
using then_fn = G;

/// then's tag (detail/then_with.hpp).
struct then_combinator : then_with_tag<then_traits, then_fn> {};

}  // namespace detail

template <class F, class G>
class [[nodiscard]] then_future : public future_ext<then_future<F, G>> {
  static_assert(detail::check_then_with<detail::then_combinator, F, G>());
  using in_type = output_t<F>;
  using raw_result = typename detail::continuation_traits<G, in_type>::raw_result;
  struct first {
    explicit first(F&& inner) : f(std::move(inner)) {}
    F f;
  };
  using second = detail::running_stage<raw_result>;  // { Fut2 f; } when g(v) is a future Fut2, else empty
  struct done {};
  using stage = detail::flatten_stage<raw_result, done>;

 public:
  using output_type = typename stage::output;

  FUTURA_ALWAYS_INLINE then_future(F f, G g) : g_(std::move(g)), state_(std::in_place_type<first>, std::move(f)) {}

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (auto* s = std::get_if<first>(&state_)) {
      poll_result<in_type> r = s->f.poll(w);
      if (r.is_pending()) return pending;
      state_.template emplace<done>();  // F is finished: release it before g runs
      auto call = [&]() -> decltype(auto) { return detail::invoke_continuation(g_, std::move(r).value()); };
      if constexpr (stage::flattens) {
        stage::start(state_, call);
      } else {
        return detail::invoke_to_unit(call);
      }
    }
    return stage::poll(state_, w, "futura::then_future");
  }

 private:
  // Declared first so that it is destroyed last: the running stage may use what g captured.
  G g_;
  std::variant<first, second, done> state_;
};

/// Runs `g` on the output of `f`; see the top of this header.
/// @code
///   auto f = futura::then(futura::ready(20), [](int x) { return x + 1; });   // output int
///   auto g = futura::ready(1).then([](int) { return futura::ready(2); });    // flattened: int
/// @endcode
template <class F, class G>
FUTURA_ALWAYS_INLINE auto then(F&& f, G&& g) {
  return detail::then_with<detail::then_combinator>(std::forward<F>(f), std::forward<G>(g));
}

}  // namespace futura
