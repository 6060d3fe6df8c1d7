// futura/combinator/try_join_all.hpp — join_all over futures of boost::system::result; the first
// error wins.
//
//   unpolled(vector<F>) --first poll: one block, children moved in--> polling
//   polling --a child is ready with a value: destroy it, keep the value--> polling
//   polling --the last child is ready with a value--> done (result with the vector of values)
//   polling --a child is ready with an error--> destroy every other child and value --> done (that error)
//   polling --a child's poll throws--> done (the exception propagates)
//
// `try_join_all(std::move(v))` / `try_join_all(first, last)`: each child outputs
// `boost::system::result<T, E>`; the output is `boost::system::result<std::vector<T>, E>` (a
// `result<void, E>` child contributes `futura::unit`), values in input order.
//
// Polling, cost, threads and moves are join_all's (combinator/join_all.hpp): O(n) total work
// for n children each woken once, at most one poll per child per poll, only woken children
// re-polled (the first poll polls all, in input order; later polls in the order of the wakes).
// The first error seen wins: the children not polled yet in that poll are not polled, and every
// other child (running or finished) is destroyed (cancelled) before `poll` returns the error.
// A child's poll that throws makes `poll` throw; the join is then complete and the other
// children are destroyed with it.
// Allocation: join_all's (one block at the first poll, the output vector at completion).
#pragma once

#include <futura/combinator/detail/basic_join.hpp>
#include <futura/combinator/detail/join_try_mode.hpp>

#include <boost/system/result.hpp>

#include <utility>

namespace futura {

/// The future of `futura::try_join_all(...)`; see the top of this header. Its output is
/// `boost::system::result<std::vector<T>, E>`.
template <class F>
using try_join_all_future = detail::basic_join_all_future<detail::try_join_all_combinator, F>;

/// Runs every future of `children` (a `std::vector<F>`) concurrently; ready with all values in
/// input order, or with the first error (the other futures are then dropped, so cancelled).
/// Pass the vector with `std::move(v)`; an lvalue vector is copied, for futures that can be
/// copied (shared_future), and refused otherwise.
/// @code
///   using boost::system::result;
///   std::vector<futura::ready_future<result<int>>> v;
///   v.push_back(futura::ready(result<int>(1)));
///   v.push_back(futura::ready(result<int>(boost::system::errc::make_error_code(boost::system::errc::io_error))));
///   result<std::vector<int>> r = futura::block_on(futura::try_join_all(std::move(v)));   // the io_error
/// @endcode
template <class V>
auto try_join_all(V&& children) {
  return detail::make_join_all<detail::try_join_all_combinator>(std::forward<V>(children));
}

/// The futures of `[first, last)`, moved from (the range keeps moved-from futures).
template <class It>
auto try_join_all(It first, It last) {
  return try_join_all(detail::move_into_vector(first, last));
}

}  // namespace futura
