// futura/combinator/detail/result_step.hpp — the second stage of and_then / or_else when the continuation
// returns a future.
//
//   passed(R)  --poll--------------------------> done      (the side the continuation skips)
//   running(Fut) --Fut ready with y--> into_result<R>(y) --> done
//
// `then` flattens a continuation that returns a future; the function object of and_then and
// or_else (result_branch.hpp) must return the same future type on both sides of the result, so on
// the side it does not run it returns this step already holding the answer (`pass`), and on the
// other side this step wrapping the continuation's future (`run`). `Fut` is destroyed as soon as
// it is ready. Allocation: none.
#pragma once

#include <futura/core/detail/config.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura::detail {

template <class R, class Fut>
class [[nodiscard]] result_step {
  static_assert(is_future_v<Fut>);
  struct passed {
    explicit passed(R&& v) : r(std::move(v)) {}
    R r;
  };
  struct running {
    Fut f;
  };
  struct done {};

 public:
  using output_type = R;

  // User-provided on purpose: it makes the step not trivially copyable, so that then's
  // `variant::emplace` builds it in place from the continuation's result (what construct_with
  // is for) rather than in a temporary variant that is then moved, which costs a copy and, for
  // GCC 12 at -O2, a false -Wmaybe-uninitialized on that temporary.
  result_step(result_step&& o) noexcept(std::is_nothrow_move_constructible_v<std::variant<passed, running, done>>)
      : state_(std::move(o.state_)) {}
  result_step& operator=(result_step&&) = default;

  /// A step that is ready at its first poll with `r`.
  static result_step pass(R r) { return result_step(std::in_place_type<passed>, std::move(r)); }

  /// A step that runs the future `make()` returns (built in place).
  template <class Make>
  static result_step run(Make&& make) {
    return result_step(std::in_place_type<running>,
                       construct_with{[&] { return running{std::forward<Make>(make)()}; }});
  }

  FUTURA_ALWAYS_INLINE poll_result<R> poll(waker& w) {
    if (auto* s = std::get_if<passed>(&state_)) {
      poll_result<R> out(std::in_place, std::move(s->r));
      state_.template emplace<done>();
      return out;
    }
    if (auto* s = std::get_if<running>(&state_)) {
      poll_result<output_t<Fut>> y = s->f.poll(w);
      if (y.is_pending()) return pending;
      poll_result<R> out(std::in_place, into_result<R>(std::move(y).value()));
      state_.template emplace<done>();  // Fut is finished: release it now, as then does
      return out;
    }
    polled_after_completion("futura::and_then/or_else continuation");
  }

 private:
  template <class State, class Arg>
  result_step(std::in_place_type_t<State> s, Arg&& arg) : state_(s, std::forward<Arg>(arg)) {}

  std::variant<passed, running, done> state_;
};

}  // namespace futura::detail
