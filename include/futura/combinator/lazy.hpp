// futura/combinator/lazy.hpp — run a function at first poll.
//
//   waiting(f) --poll: f() is a value------------------------> done
//   waiting(f) --poll: f() is a future Fut--> running(Fut) --ready--> done
//
// `lazy(f)` calls `f()` at the first poll (rule 1: nothing runs before), on the polling
// thread. If `f` returns a future, `lazy` flattens to its output; `void` becomes `unit`.
// `f` (and what it captures) lives as long as the lazy future, so the future it returned may use
// buffers its captures own. Exceptions from `f` propagate out of poll.
// Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/misuse.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

template <class Fn>
class [[nodiscard]] lazy_future : public future_ext<lazy_future<Fn>> {
  static_assert(std::is_invocable_v<Fn&>, "futura::lazy(f): f must be callable with no arguments");
  using raw_result = std::invoke_result_t<Fn&>;
  static constexpr bool flattens = is_future_v<raw_result>;
  struct waiting {};
  struct no_future {};
  using future_type = std::conditional_t<flattens, raw_result, no_future>;
  struct done {};

 public:
  using output_type = typename detail::flattened_output<raw_result>::type;

  explicit lazy_future(Fn fn) : fn_(std::move(fn)) {}

  FUTURA_ALWAYS_INLINE poll_result<output_type> poll(waker& w) {
    if (std::holds_alternative<waiting>(state_)) {
      state_.template emplace<2>();
      if constexpr (flattens) {
        state_.template emplace<1>(detail::construct_with{[&]() -> raw_result { return fn_(); }});
      } else {
        return detail::invoke_to_unit(fn_);
      }
    }
    if constexpr (flattens) {
      if (auto* fut = std::get_if<1>(&state_)) {
        poll_result<output_type> r = fut->poll(w);
        if (r.is_ready()) state_.template emplace<2>();
        return r;
      }
    }
    detail::polled_after_completion("futura::lazy_future");
  }

 private:
  // Declared first so that it is destroyed last: the running future may use what f captured.
  Fn fn_;
  std::variant<waiting, future_type, done> state_;
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
