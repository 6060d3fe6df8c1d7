// futura/combinator/join_all.hpp — wait for n futures of one type, concurrently.
//
//   unpolled(vector<F>) --first poll: one block, children moved in--> polling
//   polling --a child is ready: destroy it, keep its output in its place--> polling
//   polling --the last child is ready--> done (std::vector of the outputs, in input order)
//   polling --a child's poll throws--> done (the exception propagates)
//
// `join_all(std::move(v))` / `join_all(first, last)`: the output is `std::vector<output_t<F>>`,
// in input order whatever the order of completion. An empty input is ready at the first poll.
//
// Cost, for every n (one algorithm, no small-n special case): each child has its own waker; a
// child wake sets the child's bit in a tree of "woken" bits (one atomic OR, no allocation) and
// wakes the join's waker once per batch of wakes between two polls. A poll takes the woken bits
// (one exchange per 64 children) and polls only those children, so n children each woken once
// cost O(n) in total, not O(n^2). Every poll polls children in input order: the first poll
// every child, later polls the woken ones. A poll polls each child at most once: a child that
// wakes itself during its poll is polled again at the next poll, so self-waking children cannot
// livelock the join.
// Threads: children are polled on the thread that polls the join; their wakers may be woken
// from any thread.
// Destruction: a child is destroyed as soon as it is ready (its output takes its place);
// dropping the join destroys the children still running (cancellation, rule 5) and the outputs
// kept so far. If a child's poll throws, the exception propagates out of `poll` and the join is
// complete (polling it again is rule 4's violation); the other children are destroyed with the
// join.
// Moves and wakers: the join may be moved between polls (rule 2); children's wakers may outlive
// it (rule 7: waking them then does nothing).
// Allocation: one block at the first poll (a header of under 96 bytes, then a 4-byte id per
// child, then per child a stage byte, padded to F's alignment, plus the larger of F and its
// output, then one bit per child, and one per 64 bits above them), and the output vector at
// completion; the input vector is released at the first poll. The block is freed when the join
// is complete or destroyed and no child waker clone is left. `join_all(first, last)` first moves the range into a vector.
#pragma once

#include <futura/combinator/detail/basic_join.hpp>
#include <futura/combinator/detail/join_mode.hpp>

#include <utility>

namespace futura {

/// The future of `futura::join_all(...)`; see the top of this header. Its output is
/// `std::vector<output_t<F>>`.
template <class F>
using join_all_future = detail::basic_join_all_future<detail::join_all_combinator, F>;

/// Runs every future of `children` (a `std::vector<F>`) concurrently; ready with their outputs,
/// in input order. Pass the vector with `std::move(v)`; an lvalue vector is copied, for futures
/// that can be copied (shared_future), and refused otherwise.
/// @code
///   std::vector<futura::promise<int>> promises(3);
///   std::vector<futura::promise_future<int>> futures;
///   for (auto& p : promises) futures.push_back(p.get_future());
///   auto all = futura::join_all(std::move(futures));
///   for (int i = 2; i >= 0; --i) promises[i].set_value(i * 10);   // any order
///   std::vector<int> v = futura::block_on(std::move(all));          // {0, 10, 20}
/// @endcode
template <class V>
auto join_all(V&& children) {
  return detail::make_join_all<detail::join_all_combinator>(std::forward<V>(children));
}

/// The futures of `[first, last)`, moved from (the range keeps moved-from futures).
/// @code
///   std::deque<futura::promise_future<int>> pending = ...;
///   auto all = futura::join_all(pending.begin(), pending.end());
/// @endcode
template <class It>
auto join_all(It first, It last) {
  return join_all(detail::move_into_vector(first, last));
}

}  // namespace futura
