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

#include <futura/combinator/detail/join_core.hpp>
#include <futura/combinator/detail/join_mode.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/future_traits.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace futura {

/// The future of `futura::join(fs...)`; see the top of this header.
template <class... Fs>
class [[nodiscard]] join_future : public future_ext<join_future<Fs...>> {
  static_assert(sizeof...(Fs) > 0, "futura::join needs at least one future");
  static_assert(detail::check_join_arguments<Fs...>(std::index_sequence_for<Fs...>{}));
  using core_type = detail::join_core<detail::join_collect_mode, Fs...>;

 public:
  /// `std::tuple<output_t<Fs>...>`.
  using output_type = typename core_type::output_type;

  explicit join_future(Fs&&... fs) : core_(std::move(fs)...) {}

  poll_result<output_type> poll(waker& w) { return core_.poll(w, "futura::join_future"); }

 private:
  core_type core_;
};

/// Runs the futures concurrently; ready with all their outputs, in argument order.
/// @code
///   futura::promise<std::string> p;
///   auto both = futura::join(futura::ready(1), p.get_future());
///   p.set_value("one");
///   auto [n, s] = futura::block_on(std::move(both));   // 1, "one"
/// @endcode
template <class... Fs>
join_future<std::decay_t<Fs>...> join(Fs&&... fs) {
  static_assert(sizeof...(Fs) > 0, "futura::join needs at least one future");
  static_assert(detail::check_join_arguments<Fs...>(std::index_sequence_for<Fs...>{}));
  static_assert((!std::is_lvalue_reference_v<Fs> && ...),
                "futura::join consumes its futures: pass std::move(f) (or a temporary) for each argument");
  return join_future<std::decay_t<Fs>...>(std::forward<Fs>(fs)...);
}

}  // namespace futura
