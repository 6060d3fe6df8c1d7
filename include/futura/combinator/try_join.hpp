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

#include <futura/combinator/detail/basic_join.hpp>
#include <futura/combinator/detail/join_try_mode.hpp>

#include <boost/system/result.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace futura {

/// The future of `futura::try_join(fs...)`; see the top of this header. Its output is
/// `boost::system::result<std::tuple<T1, T2, ...>, E>`.
template <class... Fs>
using try_join_future = detail::basic_join_future<detail::try_join_combinator, Fs...>;

/// Runs futures of `boost::system::result<Ti, E>` concurrently; ready with all values, or with
/// the first error (the other futures are then dropped, so cancelled).
/// @code
///   using boost::system::result;
///   auto both = futura::try_join(futura::ready(result<int>(1)), futura::ready(result<void>()));
///   result<std::tuple<int, futura::unit>> r = futura::block_on(std::move(both));
///   if (r) std::get<0>(*r);   // 1
/// @endcode
template <class... Fs>
auto try_join(Fs&&... fs) {
  return detail::make_join<detail::try_join_combinator>(std::forward<Fs>(fs)...);
}

}  // namespace futura
