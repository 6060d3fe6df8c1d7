// futura/combinator/try_join.hpp — join futures of boost::system::result; the first error wins.
//
//   unpolled(F1..Fn) --first poll: make the wake state--> polling(running children, kept values)
//   polling --a child is ready with a value: destroy it, keep the value--> polling
//   polling --the last child is ready with a value--> done (result with the tuple of values)
//   polling --a child is ready with an error--> destroy every other child and value --> done (that error)
//   polling --a child's poll throws--> done (the exception propagates)
//
// `try_join(f1, f2, ...)`: every child outputs `boost::system::result<Ti, E>` with the same `E`;
// the output is `boost::system::result<std::tuple<T1, T2, ...>, E>`, where a
// `result<void, E>` child contributes `futura::unit`.
//
// Polling is join's (combinator/join.hpp): the first poll polls every child, later polls only
// the woken ones, in argument order within a poll, on the polling thread; each child wake wakes
// the join's waker once. The first error seen in that order wins: the children not polled yet in
// that poll are not polled, and every other child (running or finished) is destroyed
// (cancelled) before `poll` returns the error.
// Destruction: a child is destroyed as soon as it is ready; dropping the join destroys the rest.
// A child's poll that throws makes `poll` throw; the join is then complete and the other
// children are destroyed with it.
// Allocation: join's one small reference-counted state at the first poll; nothing else.
#pragma once

#include <futura/combinator/detail/join_core.hpp>
#include <futura/combinator/detail/join_try_mode.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/future_traits.hpp>

#include <boost/system/result.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace futura {

namespace detail {
/// The checks of try_join's arguments, against the first child's output.
template <class... Fs>
struct try_join_arguments {
  using first_output = output_t<std::tuple_element_t<0, std::tuple<Fs...>>>;
  template <std::size_t... Is>
  static constexpr bool check(std::index_sequence<Is...>) {
    return (check_try_join_output<output_t<Fs>, first_output, Is>() && ...);
  }
  /// The shared error type (error_code when the first output is not a result, so that only the
  /// static_assert above reports the mistake).
  using error_type =
      std::conditional_t<join_result_traits<first_output>::is_result,
                         typename join_result_traits<first_output>::error_type, boost::system::error_code>;
};
}  // namespace detail

/// The future of `futura::try_join(fs...)`; see the top of this header.
template <class... Fs>
class [[nodiscard]] try_join_future : public future_ext<try_join_future<Fs...>> {
  static_assert(sizeof...(Fs) > 0, "futura::try_join needs at least one future");
  static_assert(detail::check_join_arguments<Fs...>(std::index_sequence_for<Fs...>{}));
  static_assert(detail::try_join_arguments<Fs...>::check(std::index_sequence_for<Fs...>{}));
  using core_type =
      detail::join_core<detail::join_try_mode<typename detail::try_join_arguments<Fs...>::error_type>, Fs...>;

 public:
  /// `boost::system::result<std::tuple<T1, T2, ...>, E>`.
  using output_type = typename core_type::output_type;

  explicit try_join_future(Fs&&... fs) : core_(std::move(fs)...) {}

  poll_result<output_type> poll(waker& w) { return core_.poll(w, "futura::try_join_future"); }

 private:
  core_type core_;
};

/// Runs futures of `boost::system::result<Ti, E>` concurrently; ready with all values, or with
/// the first error (the other futures are then dropped, so cancelled).
/// @code
///   using boost::system::result;
///   auto both = futura::try_join(futura::ready(result<int>(1)), futura::ready(result<void>()));
///   result<std::tuple<int, futura::unit>> r = futura::block_on(std::move(both));
///   if (r) std::get<0>(*r);   // 1
/// @endcode
template <class... Fs>
try_join_future<std::decay_t<Fs>...> try_join(Fs&&... fs) {
  static_assert(sizeof...(Fs) > 0, "futura::try_join needs at least one future");
  static_assert(detail::check_join_arguments<Fs...>(std::index_sequence_for<Fs...>{}));
  static_assert((!std::is_lvalue_reference_v<Fs> && ...),
                "futura::try_join consumes its futures: pass std::move(f) (or a temporary) for each argument");
  return try_join_future<std::decay_t<Fs>...>(std::forward<Fs>(fs)...);
}

}  // namespace futura
