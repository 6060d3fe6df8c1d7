// futura/combinator/lazy.hpp — run a function at first poll.
//
//   waiting --poll: f() is a value--------------------------> done
//   waiting --poll: f() is a future Fut--> running(Fut) --ready--> done
//
// `lazy(f)` calls `f()` at the first poll (rule 1: nothing runs before), on the polling
// thread. If `f` returns a future, `lazy` flattens to its output; `void` becomes `unit`.
// `f` (and what it captures) lives as long as the lazy future, so the future it returned may use
// buffers its captures own. Exceptions from `f` propagate out of poll.
// Allocation: none.
#pragma once

#include <futura/combinator/detail/flatten_stage.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

template <class Fn>
class [[nodiscard]] lazy_future : public future_ext<lazy_future<Fn>> {
  static_assert(std::is_invocable_v<Fn&>, "futura::lazy(f): f must be callable with no arguments");
  using raw_result = std::invoke_result_t<Fn&>;
  struct waiting {};
  using running = detail::running_stage<raw_result>;  // { Fut f; } when f() is a future Fut, else empty
  struct done {};
  using stage = detail::flatten_stage<raw_result, done>;

 public:
  using output_type = typename stage::output;

  explicit lazy_future(Fn fn) : fn_(std::move(fn)) {}

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (std::holds_alternative<waiting>(state_)) {
      state_.template emplace<done>();  // a call that throws leaves the future complete
      if constexpr (stage::flattens) {
        stage::start(state_, fn_);
      } else {
        return detail::invoke_to_unit(fn_);
      }
    }
    return stage::poll(state_, w, "futura::lazy_future");
  }

 private:
  // Declared first so that it is destroyed last: the running future may use what f captured.
  Fn fn_;
  std::variant<waiting, running, done> state_;
};

/// A future that calls `f()` at its first poll.
/// @code
///   auto f = futura::lazy([] { return 6 * 7; });   // nothing runs yet
///   int v = futura::block_on(std::move(f));        // 42
/// @endcode
template <class Fn>
lazy_future<std::decay_t<Fn>> lazy(Fn&& fn) {
  return lazy_future<std::decay_t<Fn>>(std::forward<Fn>(fn));
}

}  // namespace futura
