// futura/stream/futures_ordered.hpp — a growable set of futures of one type, as a stream of their
// outputs in push order.
//
//   running --poll: the oldest child is ready--> its output (the next in push order)
//   running --poll: a younger child is ready--> its output waits in the child's slot
//   running --poll: the oldest child's output was waiting--> that output, at once
//   empty --poll--> std::nullopt (again and again; a push makes it run again)
//
// `futures_ordered<F>` is `futures_unordered<F>` (futura/stream/futures_unordered.hpp) that
// answers the outputs in the order of the pushes: the same slots, ready queue, wakes, budget,
// threads, destruction, moves and allocation, plus a ring of slot pointers in push order (8 bytes
// per child, grown by doubling like the slots). A child that finishes early keeps its output in
// its own slot until every older output has left. `size()` counts the children running and the
// outputs waiting.
// Cost: O(1) per push, per wake and per item (amortised over the ring's growth); the outputs of up
// to size() - 1 children may wait at once, when the oldest child is the slowest.
// Exceptions: if a child's poll throws, that child is destroyed, the exception propagates out of
// `poll_next`, and the child's place in the order is skipped; the other children stay.
// Dropping the set destroys every child and every waiting output, exactly once.
//
// Example:
//   futura::stream::futures_ordered<futura::promise_future<int>> set;
//   set.push(p1.get_future());
//   set.push(p2.get_future());
//   p2.set_value(2);
//   p1.set_value(1);
//   std::vector<int> v = futura::block_on(std::move(set).collect());   // {1, 2}
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/detail/futures_set.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace futura::stream {

template <class F>
class [[nodiscard]] futures_ordered : public stream_ext<futures_ordered<F>> {
  static_assert(is_future_v<F>, "futura::stream::futures_ordered<F>: F must be a future type");
  using set_type = detail::futures_set<F, output_t<F>>;
  using slot = typename set_type::slot;

 public:
  using item_type = output_t<F>;

  futures_ordered() noexcept = default;

  /// Adds `f` after every child pushed before; it is first polled at the set's next poll.
  void push(F f) {
    if (count_ == ring_.size()) grow_ring();  // first, so that a failure leaves no child behind
    slot* s = set_.push(std::move(f));
    ring_[(head_ + count_) & (ring_.size() - 1)] = s;
    ++count_;
  }
  /// The children running plus the outputs waiting for their turn.
  std::size_t size() const noexcept { return set_.live() - dropped_; }
  bool empty() const noexcept { return size() == 0; }
  /// Drops every child and waiting output (each exactly once).
  void clear() noexcept {
    set_.clear();
    head_ = count_ = dropped_ = 0;
  }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    detail::coop_meter meter;
    return poll_next(w, meter);
  }

  /// poll_next counting against a budget the caller shares (the adapters built on the set).
  poll_result<std::optional<item_type>> poll_next(waker& w, detail::coop_meter& meter) {
    skip_dropped();
    if (count_ == 0) return std::optional<item_type>();
    if (front()->stage == detail::slot_stage::kept) return std::optional<item_type>(pop_kept());
    set_.start_poll();
    for (;;) {
      poll_result<typename set_type::finished_child> r = poll_woken(w, meter);
      if (r.is_pending()) return futura::pending;
      slot* s = r.value().where;
      if (s == front()) {
        set_.release(s);
        pop_front();
        return std::optional<item_type>(std::move(r.value().value));
      }
      set_.keep(s, std::move(r.value().value));  // a younger child: its output waits its turn
    }
  }

 private:
  poll_result<typename set_type::finished_child> poll_woken(waker& w, detail::coop_meter& meter) {
    FUTURA_TRY {
      return set_.poll_woken(w, meter);
    }
    FUTURA_CATCH_ALL {
      ++dropped_;  // the child that threw: its place is skipped when its turn comes
      FUTURA_RETHROW;
    }
  }
  slot* front() const noexcept { return ring_[head_]; }
  void pop_front() noexcept {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
  }
  item_type pop_kept() {
    slot* s = front();
    pop_front();
    return set_.take_kept(s);
  }
  void skip_dropped() noexcept {
    while (count_ != 0 && front()->stage == detail::slot_stage::dropped) {
      set_.release(front());
      --dropped_;
      pop_front();
    }
  }
  void grow_ring() {
    std::vector<slot*> bigger(ring_.empty() ? 8 : ring_.size() * 2);  // a power of two
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  set_type set_;
  std::vector<slot*> ring_;  // the slots in push order, from head_, count_ of them
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t dropped_ = 0;  // children dropped by an exception, still in the ring
};

}  // namespace futura::stream
