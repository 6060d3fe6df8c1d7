// futura/combinator/detail/join_try_mode.hpp — the mode of try_join and try_join_all: children output
// `boost::system::result<T, E>`; values are unwrapped (`void` becomes `unit`), and the first
// error ends the join.
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// What a join needs to know of a child's output; total (defined for every type) so that a
/// wrong output reaches the static_assert of check_try_join_output instead of a deep error.
template <class Out>
struct join_result_traits {
  static constexpr bool is_result = false;
  using value_type = Out;
  using error_type = void;
};
template <class T, class E>
struct join_result_traits<boost::system::result<T, E>> {
  static constexpr bool is_result = true;
  using value_type = void_to_unit_t<T>;
  using error_type = E;
};

/// Compile-time check of argument `Index` of `try_join` / `try_join_all` (the index shows in
/// the instantiation trace).
template <class Out, class FirstOut, std::size_t Index = 0>
constexpr bool check_try_join_output() {
  using traits = join_result_traits<Out>;
  static_assert(traits::is_result,
                "futura::try_join / try_join_all: this child's output is not a boost::system::result<T, E>: use "
                "futura::join (or join_all), or map the output to a result with .then()");
  static_assert(
      !traits::is_result || !join_result_traits<FirstOut>::is_result ||
          std::is_same_v<typename traits::error_type, typename join_result_traits<FirstOut>::error_type>,
      "futura::try_join / try_join_all: every child must output boost::system::result<T, E> with the same error "
      "type E as the first child: convert the others with .map_err()");
  return true;
}

template <class E>
struct join_try_mode {
  static constexpr bool short_circuits = true;
  using error_type = E;

  template <class Out>
  using value_t = typename join_result_traits<Out>::value_type;
  template <class Values>
  using output_t = boost::system::result<Values, E>;

  template <class Out>
  static bool failed(const Out& out) noexcept {
    return out.has_error();
  }
  template <class Out>
  static E error(const Out& out) {
    return out.error();
  }
  template <class Out>
  static value_t<Out> value(Out&& out) {
    if constexpr (std::is_same_v<typename Out::value_type, void>) {
      return unit{};
    } else {
      return *std::forward<Out>(out);
    }
  }
  template <class Values, class... Args>
  static poll_result<output_t<Values>> ready(Args&&... args) {
    return poll_result<output_t<Values>>(std::in_place, boost::system::in_place_value, std::forward<Args>(args)...);
  }
  template <class Values>
  static poll_result<output_t<Values>> fail(E e) {
    return poll_result<output_t<Values>>(std::in_place, boost::system::in_place_error, std::move(e));
  }
};

/// The base of the tags of try_join and try_join_all (detail/basic_join.hpp): children of
/// `boost::system::result<T, E>` with one `E`, values unwrapped, the first error wins. A tag adds
/// only its `name`, the one rule 4's error gives; try_join_all checks its one child type `F` as a
/// try_join of `F` alone.
struct trying_join {
  template <class... Fs>
  using first_output = output_t<std::tuple_element_t<0, std::tuple<Fs...>>>;
  template <class... Fs>
  using mode = join_try_mode<typename join_result_traits<first_output<Fs...>>::error_type>;

  /// Every child outputs a result with the first child's error type.
  template <class... Fs>
  static constexpr bool check() {
    return check_outputs<Fs...>(std::index_sequence_for<Fs...>{}) &&
           (same_result<output_t<Fs>, first_output<Fs...>> && ...);
  }

 private:
  template <class Out, class First>
  static constexpr bool same_result = join_result_traits<Out>::is_result&& join_result_traits<First>::is_result&&
      std::is_same_v<typename join_result_traits<Out>::error_type, typename join_result_traits<First>::error_type>;
  template <class... Fs, std::size_t... Is>
  static constexpr bool check_outputs(std::index_sequence<Is...>) {
    return (check_try_join_output<output_t<Fs>, first_output<Fs...>, Is>() && ...);
  }
};

/// The tags of try_join (combinator/try_join.hpp) and try_join_all (combinator/try_join_all.hpp).
struct try_join_combinator : trying_join {
  static constexpr const char* name = "futura::try_join_future";
};
struct try_join_all_combinator : trying_join {
  static constexpr const char* name = "futura::try_join_all_future";
};

}  // namespace futura::detail
