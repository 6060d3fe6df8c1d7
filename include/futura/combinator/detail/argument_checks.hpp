// futura/combinator/detail/argument_checks.hpp — the checks every combinator makes of its
// arguments.
//
// Each check fires one static_assert whose message says what to write instead, and returns
// whether the combinator may be built. A factory builds its future inside
// `if constexpr (check...())`, so a misuse stops at the first failing check with one message
// instead of a cascade of errors from inside the combinator. The checks run in the order a
// reader would look: is it a future, is it handed over (an rvalue), then what the combinator
// itself needs of it, then the function it stores.
//
// `Combinator` is the combinator's tag type (`detail::then_combinator`, ...). A static_assert
// message is a string literal and cannot spell it, so the messages here say "the combinator";
// compilers print the tag beside them (GCC: "[with Combinator = futura::detail::then_combinator
// ...]", Clang: "requirement 'dependent_false<futura::detail::then_combinator, ...>'"), and the
// instantiation trace ends at the user's call.
#pragma once

#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::detail {

/// The base of a combinator tag whose combinator needs nothing of its futures but that they are
/// futures (join, join_all, select_all): its `check` accepts them all.
struct any_future_goes {
  template <class... Fs>
  static constexpr bool check() {
    return true;
  }
};

/// True when `F` is a future a combinator can hold: what check_future asks for.
template <class F>
inline constexpr bool is_holdable_future_v =
    is_future_v<F>&& std::is_move_constructible_v<std::remove_cv_t<std::remove_reference_t<F>>>;

/// `F`, as a factory's `F&&` deduced it: a future, handed over as an rvalue (a combinator owns its
/// children, rule 5). `Index` is the argument's position, shown in the instantiation trace.
template <class Combinator, class F, std::size_t Index = 0>
constexpr bool check_future_argument() {
  if constexpr (!is_holdable_future_v<F>) {
    check_future<F, Index>();  // fires the static_assert that names what F lacks
    return false;
  } else if constexpr (std::is_lvalue_reference_v<F>) {
    static_assert(dependent_false<Combinator, F>,
                  "futura: the combinator consumes the future: pass std::move(f), or a temporary");
    return false;
  } else {
    return true;
  }
}

/// check_future_argument for each of `Fs` (one message per faulty argument).
template <class Combinator, class... Fs, std::size_t... Is>
constexpr bool check_future_arguments(std::index_sequence<Is...>) {
  return (check_future_argument<Combinator, Fs, Is>() && ...);
}

/// A vector of futures a combinator takes as a whole: `V` (as `V&&` deduced it) must be a
/// `std::vector<F>` of futures, handed over as a non-const rvalue; then `Combinator::check<F>()`
/// says what else the combinator needs of `F`.
template <class V>
struct future_vector {
  static constexpr bool is_vector = false;
  using element_type = void;
};
template <class F>
struct future_vector<std::vector<F>> {
  static constexpr bool is_vector = true;
  using element_type = F;
};
template <class V>
using future_vector_t = future_vector<std::remove_cv_t<std::remove_reference_t<V>>>;

/// What a combinator taking a vector of futures does with a vector it is not handed (an lvalue
/// or a const one): refuse it, or copy it when the futures can be copied (join_all).
enum class vector_lvalue { refuse, copy };

template <class Combinator, class V, vector_lvalue Lvalue = vector_lvalue::refuse>
constexpr bool check_future_vector_argument() {
  using element = typename future_vector_t<V>::element_type;
  constexpr bool handed_over = !std::is_lvalue_reference_v<V> && !std::is_const_v<std::remove_reference_t<V>>;
  if constexpr (!future_vector_t<V>::is_vector) {
    static_assert(dependent_false<Combinator, V>,
                  "futura: the combinator takes a std::vector<F> of futures: pass std::move(v)");
    return false;
  } else if constexpr (!is_holdable_future_v<element>) {
    check_future<element>();  // fires the static_assert that names what the element lacks
    return false;
  } else if constexpr (!handed_over && Lvalue == vector_lvalue::refuse) {
    static_assert(dependent_false<Combinator, V>,
                  "futura: the combinator consumes the vector of futures: pass a non-const std::move(v)");
    return false;
  } else if constexpr (!handed_over && !std::is_copy_constructible_v<element>) {
    static_assert(dependent_false<Combinator, V>,
                  "futura: the combinator consumes the vector of futures: pass std::move(v) (it copies an lvalue "
                  "vector only when the futures can be copied, as shared_future can)");
    return false;
  } else {
    return Combinator::template check<element>();
  }
}

/// `G`, a function the combinator keeps for as long as the future lives, so it moves with it.
template <class Combinator, class G>
constexpr bool check_function_argument() {
  if constexpr (!std::is_move_constructible_v<std::decay_t<G>>) {
    static_assert(dependent_false<Combinator, G>,
                  "futura: the combinator keeps the function inside the future, which moves: the function must "
                  "be move-constructible");
    return false;
  } else {
    return true;
  }
}

/// The output `Out` of the future given to a combinator over `boost::system::result<T, E>`
/// (and_then, or_else, map_err).
template <class Combinator, class Out>
constexpr bool check_result_output() {
  if constexpr (!is_result_v<Out>) {
    static_assert(dependent_false<Combinator, Out>,
                  "futura: the future's output is not a boost::system::result<T, E>: and_then, or_else and map_err "
                  "work on results; use .then()");
    return false;
  } else if constexpr (!error_is_copyable_v<Out>) {
    static_assert(dependent_false<Combinator, Out>,
                  "futura: the result's error type E must be copy- and default-constructible "
                  "(boost::system::result<T, E>::error() returns a copy in Boost 1.81)");
    return false;
  } else {
    return true;
  }
}

}  // namespace futura::detail
