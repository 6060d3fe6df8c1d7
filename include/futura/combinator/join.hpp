// futura/combinator/join.hpp — wait for several futures of different types, concurrently.
//
//   unpolled(F1..Fn) --first poll: make the wake state--> polling(running children, kept outputs)
//   polling --a child is ready: destroy it, keep its output--> polling
//   polling --the last child is ready--> done (std::tuple of the outputs, in argument order)
//   polling --a child's poll throws--> done (the exception propagates)
//
// `join(f1, f2, ...)`: the output is `std::tuple<output_t<F1>, output_t<F2>, ...>`.
//
// Polling: the first poll polls every child; after that only the children that were woken since
// the previous poll are polled again. Each child gets its own waker: waking it marks that child
// and wakes the join's waker once (each child wake reaches the parent once; a registration of a
// new waker that races a child wake also wakes it, with no child wake). Within one poll,
// children are polled in argument order, on the thread that polls the join.
// Destruction: a child is destroyed as soon as it is ready (before `poll` returns; its output is
// kept); dropping the join destroys the children still running (cancellation, rule 5) and the
// outputs kept so far. If a child's poll throws, the exception propagates out of `poll` and the
// join is complete (polling it again is rule 4's violation); the other children and the outputs
// are destroyed with the join.
// Moves and wakers: the join may be moved between polls (rule 2); children's wakers may outlive
// it (rule 7: waking them then does nothing).
// Allocation: one small reference-counted state at the first poll (per child, a 16-byte waker
// target and one bit; plus the parent's waker), freed when the join is complete or destroyed and
// no child waker clone is left. Nothing else allocates.
#pragma once

#include <futura/combinator/detail/basic_join.hpp>
#include <futura/combinator/detail/join_mode.hpp>

#include <type_traits>
#include <utility>

namespace futura {

/// The future of `futura::join(fs...)`; see the top of this header. Its output is
/// `std::tuple<output_t<Fs>...>`.
template <class... Fs>
using join_future = detail::basic_join_future<detail::join_combinator, Fs...>;

/// Runs the futures concurrently; ready with all their outputs, in argument order.
/// @code
///   futura::promise<std::string> p;
///   auto both = futura::join(futura::ready(1), p.get_future());
///   p.set_value("one");
///   auto [n, s] = futura::block_on(std::move(both));   // 1, "one"
/// @endcode
template <class... Fs>
auto join(Fs&&... fs) {
  return detail::make_join<detail::join_combinator>(std::forward<Fs>(fs)...);
}

}  // namespace futura
