// futura/combinator/detail/result_branch.hpp — the function object of and_then and or_else: `g`
// on one side of a `boost::system::result<T, E>`, the other side passed through.
//
//   r on the side g continues --> g's result converted to the output (into_result), or
//                                 result_step::run(g's future) when g returns a future
//   r on the other side -------> that side moved or copied into the output, or
//                                 result_step::pass(it) when g returns a future
//
// and_then continues the value (`value_branch`: the error passes), or_else the error
// (`error_branch`: the value passes). The combinator's traits derive from its branch, which says
// which side `g` runs on (`on_value`) and how it is called (`callable`, `raw_result`, `invoke`),
// and add the `output` result type; map_err's traits derive from `error_branch` too. When
// `g` returns a future, the function object must return one type whichever side the result holds,
// hence result_step (result_step.hpp) on both sides.
#pragma once

#include <futura/combinator/detail/result_step.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// and_then's branch: `g` is called with the value (value_call); the error passes through.
template <class G, class In>
struct value_branch : value_call<G, result_value_t<In>> {
  static constexpr bool on_value = true;
};

/// or_else's and map_err's branch: `g` is called with a copy of the error; the value passes through.
template <class G, class In>
struct error_branch : error_call<G, result_error_t<In>> {
  static constexpr bool on_value = false;
  static decltype(auto) invoke(G& g, In& r) { return std::invoke(g, r.error()); }
};

/// The continuation `then` runs for and_then and or_else: `Traits` (the combinator's traits, a
/// value_branch or error_branch with an `output`) says which side runs `g` and what comes out.
template <class Traits, class G, class In>
class result_branch_fn {
  using output = typename Traits::output;
  using raw_result = typename Traits::raw_result;
  static constexpr bool flattens = is_future_v<raw_result>;
  using step = std::conditional_t<flattens, result_step<output, std::decay_t<raw_result>>, output>;

 public:
  explicit result_branch_fn(G g) : g_(std::move(g)) {}

  FUTURA_ALWAYS_INLINE step operator()(In&& r) {
    auto call = [&]() -> decltype(auto) { return Traits::invoke(g_, r); };
    if constexpr (flattens) {
      if (!continues(r)) return step::pass(passed(r));
      return step::run(call);
    } else {
      if (!continues(r)) return passed(r);
      if constexpr (std::is_same_v<raw_result, output>) {
        return call();  // g returned the output itself: no conversion, no move
      } else {
        return into_result<output>(invoke_to_unit(call));
      }
    }
  }

 private:
  /// Whether `r` holds the side `g` runs on.
  static bool continues(const In& r) { return Traits::on_value ? r.has_value() : r.has_error(); }

  /// The other side of `r`, as the output: the error copied, or the value moved.
  static output passed(In& r) {
    if constexpr (Traits::on_value) {
      return pass_error<output>(r);
    } else {
      return pass_value<output>(r);
    }
  }

  G g_;
};

}  // namespace futura::detail
