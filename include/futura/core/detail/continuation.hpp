// futura/core/detail/continuation.hpp — calling a user continuation with a future's output.
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// How continuation `G` is called with output `T`: with the value, or with nothing when the
/// value is `unit` and `G` takes no argument. `G` is called as an lvalue: it stays alive
/// (it may own what the future it returned uses).
template <class G, class T>
struct continuation_traits {
  static constexpr bool with_value = std::is_invocable_v<G&, T&&>;
  static constexpr bool without_value = std::is_same_v<T, unit> && !with_value && std::is_invocable_v<G&>;
  static constexpr bool callable = with_value || without_value;

  template <class... A>
  struct result_of {
    using type = std::invoke_result_t<G&, A...>;
  };
  using raw_result =
      typename std::conditional_t<with_value, result_of<T&&>,
                                  std::conditional_t<without_value, result_of<>, std::enable_if<true, unit>>>::type;
};

template <class G, class T>
decltype(auto) invoke_continuation(G& g, T&& v) {
  using traits = continuation_traits<G, std::decay_t<T>>;
  if constexpr (traits::with_value) {
    return std::invoke(g, std::forward<T>(v));
  } else {
    return std::invoke(g);
  }
}

/// The output of a continuation stage: a future result is flattened to its output, `void`
/// becomes `unit`, any other value stays.
template <class R, bool = is_future_v<R>>
struct flattened_output {
  using type = void_to_unit_t<R>;
};
template <class R>
struct flattened_output<R, true> {
  using type = output_t<R>;
};

/// Calls `fn()` and returns its result, mapping `void` to `unit`.
template <class Fn>
auto invoke_to_unit(Fn&& fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<Fn&&>>) {
    std::forward<Fn>(fn)();
    return unit{};
  } else {
    return std::forward<Fn>(fn)();
  }
}

/// Converts to whatever `Fn` returns, by calling it: lets `std::variant::emplace` and
/// `std::optional::emplace` build a non-movable-in-practice value in place (guaranteed
/// copy elision) instead of moving a temporary.
template <class Fn>
struct construct_with {
  Fn fn;
  operator std::invoke_result_t<Fn&&>() && { return std::move(fn)(); }  // NOLINT: implicit by design
};
template <class Fn>
construct_with(Fn) -> construct_with<Fn>;

}  // namespace futura::detail
