// futura/stream/futures_unordered.hpp — a growable set of futures of one type, as a stream of
// their outputs in completion order.
//
//   empty --push(f)--> running(n) --push(f)--> running(n + 1)
//   running(n) --poll: a woken child is ready: it is destroyed--> item; running(n - 1)
//   running(n) --poll: no woken child is ready--> pending
//   running(1) --the last child is ready--> item; empty --poll--> std::nullopt (again and again)
//   running(n) --a child's poll throws: that child is destroyed--> the exception; running(n - 1)
//
// `futures_unordered<F> set; set.push(f);`: `push(f)` adds a child (its first poll is at the set's
// next poll: push polls nothing and wakes nothing, so whoever pushes polls the set afterwards),
// `size()` counts the children, `empty()` tells whether there are none. The set is a stream of
// `output_t<F>`: each poll answers the output of one child that finished, in completion order (the
// order of their wakes), pending while no woken child is ready, and `std::nullopt` while the set is
// empty. That is the exception to rule 4: an empty set answers the end again at every poll, and
// yields items again after a push.
//
// Cost: each child has its own waker. A wake puts the child on the set's ready queue (one atomic
// exchange and one compare-and-swap, no allocation) and wakes the set's waker once per batch of
// wakes between two polls. A poll first polls the children it took earlier and has not polled
// yet, and the ones pushed since (in that order); when none is left, it registers its waker and
// takes the queue (one exchange), once per poll, and polls those, in wake order. So a poll after
// one child's wake polls exactly that child; a poll that finds a ready child on its own list
// touches no shared atomic; and a child is polled at most once per poll: one that wakes itself
// during its poll is polled again at the next poll, never in this one, so it cannot livelock the
// set (the set's waker is woken, and the poll returns). One poll polls at most
// `detail::coop_budget` (128) children that stay pending, then wakes its waker and answers pending.
// Threads: the set is pushed to and polled by one thread at a time; its children's wakers may be
// woken from any thread, also while the set is being dropped.
// Destruction: a child is destroyed as soon as it is ready, before its output is returned; dropping
// the set (or `clear()`) destroys every child still running, exactly once (cancellation, rule 5).
// Exceptions: if a child's poll throws, that child is destroyed and the exception propagates out
// of `poll_next`; the other children stay in the set, which may be polled again. (`buffered`,
// `buffer_unordered` and `for_each_concurrent` are finished instead: they drop the other children.)
// Moves and wakers: the set may be moved between polls (rule 2); children's wakers may outlive it
// (rule 7: waking them then does nothing). A finished child's slot is reused, so a waker the old
// child left behind may wake the new one: a spurious poll.
// Allocation: slots are allocated in chunks (8, then doubling), only when more children are live
// than ever before; a finished child's slot is reused, so a steady state allocates nothing. Per
// child: 24 bytes and its future (at least 8 bytes: a free slot links the free list there).
// The chunks are freed with the set, once no waker is left.
//
// Example:
//   futura::stream::futures_unordered<futura::boxed_future<reply>> set;
//   for (const auto& host : hosts) set.push(fetch(ctx, host).boxed());
//   std::optional<reply> first = futura::block_on(set.next());   // whichever answered first
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/detail/futures_set.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace futura::stream {

template <class F>
class [[nodiscard]] futures_unordered : public stream_ext<futures_unordered<F>> {
  static_assert(is_future_v<F>, "futura::stream::futures_unordered<F>: F must be a future type");
  using set_type = detail::futures_set<F, detail::no_kept_output>;

 public:
  using item_type = output_t<F>;

  futures_unordered() noexcept = default;

  /// Adds `f`; it is first polled at the set's next poll.
  void push(F f) { (void)set_.push(std::move(f)); }
  /// The children not yet finished.
  std::size_t size() const noexcept { return set_.live(); }
  bool empty() const noexcept { return set_.live() == 0; }
  /// Drops every child (each exactly once).
  void clear() noexcept { set_.clear(); }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    detail::coop_meter meter;
    return poll_next(w, meter);
  }

  /// poll_next counting against a budget the caller shares (the adapters built on the set).
  poll_result<std::optional<item_type>> poll_next(waker& w, detail::coop_meter& meter) {
    if (set_.live() == 0) return std::optional<item_type>();
    set_.start_poll();
    poll_result<typename set_type::finished_child> r = set_.poll_woken(w, meter);
    if (r.is_pending()) return futura::pending;
    set_.release(r.value().where);
    return std::optional<item_type>(std::move(r.value().value));
  }

 private:
  set_type set_;
};

}  // namespace futura::stream
