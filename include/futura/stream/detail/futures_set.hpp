// futura/stream/detail/futures_set.hpp — the slots of a set of futures and the owner's side of its
// ready queue: what futures_unordered, futures_ordered, buffered, buffer_unordered and
// for_each_concurrent share.
//
//   push(f):      take a free slot (or grow), move f in, queue the slot on the owner's list
//   start_poll:   a new poll of the owner: each child is polled at most once until the next one
//   poll_woken:   pop the owner's list in order; unqueue each slot, then poll its child once:
//                   pending --> next slot (one budget step; spent: wake self, pending)
//                   ready   --> the child is destroyed; its slot and output go to the caller,
//                               which releases the slot or keeps the output in it (ordered sets)
//                   throws  --> the child is destroyed, its slot released (or marked dropped, for
//                               an ordered set's bookkeeping), the exception propagates
//                 the list empty: register the parent's waker and take the woken slots
//                 (ready_queue.hpp) onto the list, once per poll; a slot polled in this poll
//                 already goes back to the stack. Nothing left: pending.
//
// The owner's list is polled before the stack is taken, so a poll that finds a ready child there
// registers nothing and takes nothing: a stream of ready children (buffer_unordered over ready
// futures) costs no atomic operation on the shared state per item.
//
// Slots live in chunks owned by the shared state (ready_queue.hpp): the first chunk holds 8,
// each later one as many as all before it, so capacity doubles and a chunk is allocated only
// when more children are live than ever before. A released slot goes on a free list, linked
// through the storage its child used (last in, first out: the warmest slot is reused first), so a
// steady state allocates nothing. A slot is constructed when first
// used, and a chunk never moves: child wakers point into it.
//
// Work: O(1) per push, per wake and per child poll; a poll polls only the children woken since
// the last poll (plus those pushed since), each at most once. Clearing (the owner's drop)
// visits every slot once.
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/intrusive_list.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/detail/ready_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace futura::detail {

/// What a slot holds: nothing (on the free list), a child, a kept output (futures_ordered), or
/// nothing after its child was dropped by an exception (futures_ordered skips it in order).
enum class slot_stage : std::uint8_t { free, running, finished, kept, dropped };

/// An unordered set keeps no outputs in its slots.
struct no_kept_output {};

template <class F, class V>
struct set_slot : ready_node {
  set_slot() noexcept {}  // NOLINT(modernize-use-equals-default): the union's members start unconstructed
  ~set_slot() {}          // NOLINT(modernize-use-equals-default): the owner destroys what `stage` names
  set_slot(const set_slot&) = delete;
  set_slot& operator=(const set_slot&) = delete;

  slot_stage stage = slot_stage::free;
  std::uint32_t polled_in = 0;  // owner only: the poll that polled it last (futures_set::start_poll)
  union {
    F future;
    V value;
    set_slot* next_free;  // on the free list (owner only)
  };
};

/// The shared state of a set: the ready queue and the chunks of slots it owns.
template <class F, class V>
class set_slots final : public ready_queue {
 public:
  using slot = set_slot<F, V>;

  set_slots() noexcept = default;
  ~set_slots() override {  // the owner destroyed what the slots held
    for (chunk& c : chunks_) {
      for (std::size_t i = 0, n = used(c); i < n; ++i) c.slots[i].~slot();
      std::allocator<slot>().deallocate(c.slots, c.size);
    }
  }

  /// Owner only: a free slot (the last released first), else the next never used, growing when
  /// none is left.
  slot* acquire_slot() {
    if (free_ != nullptr) {
      slot* s = free_;
      free_ = s->next_free;
      return s;
    }
    if (unused_ == end_) grow();
    slot* s = ::new (static_cast<void*>(unused_++)) slot();
    s->owner = this;
    return s;
  }

  /// Owner only: `s` holds nothing any more; it will be reused first.
  void release_slot(slot* s) noexcept {
    s->stage = slot_stage::free;
    s->next_free = free_;
    free_ = s;
  }

  /// Owner only: destroys every child and kept output.
  void destroy_all() noexcept {
    for (chunk& c : chunks_) {
      for (std::size_t i = 0, n = used(c); i < n; ++i) {
        slot& s = c.slots[i];
        if (s.stage == slot_stage::running) {
          s.future.~F();
        } else if (s.stage == slot_stage::kept) {
          s.value.~V();
        }
        s.stage = slot_stage::free;
      }
    }
  }

 private:
  // A chunk's slots are constructed when first used, so a chunk costs nothing before.
  struct chunk {
    slot* slots;
    std::size_t size;
  };

  /// The slots of `c` constructed so far: all but in the last chunk, up to unused_.
  std::size_t used(const chunk& c) const noexcept {
    return &c == &chunks_.back() ? static_cast<std::size_t>(unused_ - c.slots) : c.size;
  }

  void grow() {
    const std::size_t n = capacity_ == 0 ? 8 : capacity_;
    // Room first, so that the push below cannot throw and leak the chunk.
    if (chunks_.size() == chunks_.capacity()) chunks_.reserve(chunks_.empty() ? 8 : 2 * chunks_.size());
    slot* slots = std::allocator<slot>().allocate(n);
    chunks_.push_back(chunk{slots, n});
    unused_ = slots;
    end_ = slots + n;
    capacity_ += n;
  }

  std::vector<chunk> chunks_;
  slot* unused_ = nullptr;  // the last chunk's slots not constructed yet: [unused_, end_)
  slot* end_ = nullptr;
  slot* free_ = nullptr;  // through the free slots' next_free
  std::size_t capacity_ = 0;
};

/// The owner's side of a set of futures `F` whose slots may keep outputs `V`.
template <class F, class V>
class futures_set {
 public:
  using slots_type = set_slots<F, V>;
  using slot = typename slots_type::slot;
  using output_type = output_t<F>;

  /// A child that finished in poll_woken: its slot (stage `finished`, holding nothing) and output.
  struct finished_child {
    slot* where;
    output_type value;
  };

  futures_set() noexcept = default;
  futures_set(futures_set&& o) noexcept
      : state_(std::move(o.state_)),
        queued_(std::move(o.queued_)),
        live_(std::exchange(o.live_, 0)),
        poll_id_(o.poll_id_),
        taken_(o.taken_) {}
  futures_set& operator=(futures_set&& o) noexcept {
    futures_set moved(std::move(o));
    std::swap(state_, moved.state_);
    queued_.swap(moved.queued_);
    std::swap(live_, moved.live_);
    std::swap(poll_id_, moved.poll_id_);
    std::swap(taken_, moved.taken_);
    return *this;
  }
  futures_set(const futures_set&) = delete;
  futures_set& operator=(const futures_set&) = delete;
  ~futures_set() { clear(); }

  /// Children running plus slots finished or kept and not yet released.
  std::size_t live() const noexcept { return live_; }

  /// Moves `f` into a slot; its first poll is at the next poll_woken.
  slot* push(F&& f) {
    if (!state_) state_ = ref_ptr<slots_type>(new slots_type);
    slot* s = state_->acquire_slot();
    FUTURA_TRY {
      ::new (static_cast<void*>(&s->future)) F(std::move(f));
    }
    FUTURA_CATCH_ALL {
      state_->release_slot(s);
      FUTURA_RETHROW;
    }
    s->stage = slot_stage::running;
    s->polled_in = poll_id_ - 1;  // not polled in this poll, whatever its slot's last child was
    ++live_;
    if (ready_queue::claim(s)) queued_.push_back(s);  // else a stale wake queued the reused slot already
    return s;
  }

  /// Starts a poll of the set (once per poll of its owner): from here to the next start_poll, each
  /// child is polled at most once, and the woken children are taken at most once.
  void start_poll() noexcept {
    ++poll_id_;
    taken_ = false;
  }

  /// Polls the queued children in order until one finishes (its slot is the caller's to release
  /// or keep). First the ones taken by earlier polls and pushed since; when none is left, the
  /// parent's waker is registered and the woken children are taken, once per poll. Pending when
  /// nothing is left (a later wake wakes `w`), or after spending the budget (then `w` was woken).
  /// A child already polled in this poll and woken since goes back to the stack, for the next.
  poll_result<finished_child> poll_woken(waker& w, coop_meter& meter) {
    for (;;) {
      while (ready_node* n = queued_.pop_front()) {
        slot* s = static_cast<slot*>(n);
        if (s->polled_in == poll_id_) {
          state_->requeue(n);  // still queued: back on the stack, for the next poll
          continue;
        }
        ready_queue::unqueue(n);
        if (s->stage != slot_stage::running) continue;  // woken by a stale waker of its slot
        s->polled_in = poll_id_;
        poll_result<output_type> r = poll_child(*s);
        if (r.is_ready()) {
          s->future.~F();  // a finished child is destroyed before its output leaves
          s->stage = slot_stage::finished;
          return poll_result<finished_child>(std::in_place, finished_child{s, std::move(r).value()});
        }
        if (meter.spend()) return coop_meter::yield(w);
      }
      if (taken_ || !state_) return pending;
      // Register before taking, so that a wake after the take finds the stack empty and wakes w.
      taken_ = true;
      state_->parent.register_waker(w);
      ready_node* last = nullptr;
      if (ready_node* first = state_->take_woken(last)) queued_.append(first, last);
    }
  }

  /// The slot of a finished child holds nothing any more.
  void release(slot* s) noexcept {
    state_->release_slot(s);
    --live_;
  }
  /// Keeps `v` in the slot of a finished child, until take_kept.
  void keep(slot* s, output_type&& v) {
    ::new (static_cast<void*>(&s->value)) V(std::move(v));
    s->stage = slot_stage::kept;
  }
  /// Moves the kept output out and releases the slot.
  V take_kept(slot* s) {
    V v(std::move(s->value));
    s->value.~V();
    release(s);
    return v;
  }

  /// Drops every child and kept output, releases the parent's waker and the state: the set is
  /// as new. Wakes still in flight find the state alive and do nothing.
  void clear() noexcept {
    if (!state_) return;
    state_->destroy_all();
    (void)state_->parent.take();
    state_.reset();
    queued_.reset();
    live_ = 0;
  }

 private:
  poll_result<output_type> poll_child(slot& s) {
    borrowed_waker child_waker(ready_queue::child_waker(&s));
    FUTURA_TRY {
      return s.future.poll(child_waker.get());
    }
    FUTURA_CATCH_ALL {
      s.future.~F();  // a child that threw is finished (rule 6)
      if constexpr (std::is_same_v<V, no_kept_output>) {
        release(&s);
      } else {
        s.stage = slot_stage::dropped;  // the ordered set releases it when its turn comes
      }
      FUTURA_RETHROW;
    }
  }

  ref_ptr<slots_type> state_;          // from the first push
  intrusive_list<ready_node> queued_;  // the owner's list: taken or pushed, not yet polled
  std::size_t live_ = 0;
  std::uint32_t poll_id_ = 0;  // counts start_poll (wraps: a stale match costs one deferred poll)
  bool taken_ = false;         // the woken children were taken in this poll
};

}  // namespace futura::detail
