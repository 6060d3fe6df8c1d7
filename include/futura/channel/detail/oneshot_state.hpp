// futura/channel/detail/oneshot_state.hpp — the heap state behind promise<T> and from_callback<T>.
//
// Everything the two sides tell each other lives in one atomic word, so each step is at most
// one locked instruction:
//
//   result:  none --sender completes (value | exception | broken), one CAS--> set (final)
//   waker:   empty --receiver registers, one CAS--> set --sender completes: the CAS takes it--> gone
//                                                    set --receiver leaves first: its CAS takes it back--> gone
//   owners:  tx_alive | rx_alive; whoever clears the last one deletes the state
//
// A promise completes and leaves in the same CAS, so setting a value costs one locked
// instruction on the state (plus waking and dropping the waker it took, if one was
// registered); the receiver, seeing the result with the sender gone, deletes the state with a
// plain load. Symmetrically, a promise that completes (or breaks) after its receiver left sees
// that with a plain load and deletes the state without a CAS. Registering costs one CAS the first
// time and nothing while the same waker is registered again.
//
// The waker slot is written by the receiver only while `waker_set` is clear, and read by the
// sender, before its completing CAS, only while `waker_set` is set: the CAS succeeds only if the
// word (with a generation count the receiver bumps on every registration) is unchanged since
// the read, so the sender owns exactly the waker it read (a seqlock whose check is the CAS).
// A registration that finds the result already set keeps its waker and reads the result, so a
// value published between the receiver's check and its registration still completes it (rule 3).
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>

namespace futura::detail {

template <class T>
class oneshot_state {
 public:
  /// The state word (see the top of this header).
  using word_type = std::uint64_t;

  /// A new state held by one sender side and one receiver.
  oneshot_state() noexcept {}
  oneshot_state(const oneshot_state&) = delete;
  oneshot_state& operator=(const oneshot_state&) = delete;

  // ---- the sending side -------------------------------------------------------------------

  /// Stores the value and completes; the sending side leaves at the same time when
  /// `sender_leaves` (a promise: it has nothing left to do). A value whose constructor throws
  /// completes the future with that exception instead. Once set, nothing may set again.
  template <class... Args>
  void complete_with_value(bool sender_leaves, Args&&... args) noexcept {
    FUTURA_TRY {
      ::new (static_cast<void*>(&value_)) T(std::forward<Args>(args)...);
    }
    FUTURA_CATCH_ALL {
      ::new (static_cast<void*>(&error_)) std::exception_ptr(std::current_exception());
      complete(has_exception, sender_leaves);
      return;
    }
    complete(has_value, sender_leaves);
  }
  void complete_with_exception(std::exception_ptr e, bool sender_leaves) noexcept {
    ::new (static_cast<void*>(&error_)) std::exception_ptr(std::move(e));
    complete(has_exception, sender_leaves);
  }
  /// The sending side leaves without a result: the future throws broken_promise.
  void complete_broken() noexcept { complete(broken, true); }

  /// from_callback: a callback handle claims the right to complete. False when another did.
  bool try_claim() noexcept { return (state_.fetch_or(claimed, std::memory_order_acquire) & claimed) == 0; }

  /// from_callback: one more callback handle.
  void add_sender() noexcept { ref_count_field<std::uint32_t>::add(senders_); }
  /// from_callback: a callback handle is gone; the last one leaves for the whole sending side,
  /// breaking the future if no handle ever completed it.
  void release_sender() noexcept {
    if (!ref_count_field<std::uint32_t>::release(senders_)) return;
    FUTURA_CHAOS_POINT("oneshot.release_sender.last");
    // No handle is left, so no claim can be in flight: a claim, if any, has completed.
    if ((state_.load(std::memory_order_acquire) & claimed) == 0) {
      complete_broken();
      return;
    }
    if ((state_.fetch_and(~tx_alive, std::memory_order_acq_rel) & rx_alive) == 0) delete this;
  }

  // ---- the receiving side -----------------------------------------------------------------

  /// The receiver's poll: the state word, after registering `w` if there is no result yet.
  /// Ready when `is_complete(word)`; then the receiver calls take_result(word) once.
  word_type poll(const waker& w) noexcept {
    word_type s = state_.load(std::memory_order_acquire);
    if ((s & result_mask) != none) return s;
    if ((s & waker_set) != 0) {
      if (slot_holds(w.raw())) return s;  // the same waker is registered: nothing to do
      // Take the slot back to rewrite it (fails only if the sender completed meanwhile).
      do {
        if ((s & result_mask) != none) return s;
      } while (!state_.compare_exchange_weak(s, s & ~waker_set, std::memory_order_acquire, std::memory_order_acquire));
      s &= ~waker_set;
    }
    // The slot is the receiver's alone now.
    FUTURA_CHAOS_POINT("oneshot.register.slot_taken");
    drop_slot();
    raw_waker clone = w.raw().vtable->clone(w.raw().data);
    vtable_.store(clone.vtable, std::memory_order_relaxed);
    data_.store(clone.data, std::memory_order_relaxed);
    FUTURA_CHAOS_POINT("oneshot.register.slot_written");
    word_type next;
    do {
      if ((s & result_mask) != none) {
        drop_slot();  // completed without it: the sender never saw this waker
        return s;
      }
      next = (s | waker_set) + generation_one;  // 57 bits: see generation_one
    } while (!state_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_acquire));
    return next;
  }

  static bool is_complete(word_type word) noexcept { return (word & result_mask) != none; }

  /// After poll returned a complete word: the result (or the stored exception, or
  /// broken_promise, thrown). The receiver's share is released either way: forget the state.
  poll_result<T> take_result(word_type word) {
    struct leave_on_exit {
      oneshot_state* state;
      word_type word;
      ~leave_on_exit() { state->leave_receiver_after_result(word); }
    } leave{this, word};
    switch (word & result_mask) {
      case has_value:
        return poll_result<T>(std::in_place, std::move(value_));
      case has_exception: {
        std::exception_ptr e = error_;
        rethrow(std::move(e));
      }
      default:
        throw_future_error(error::broken_promise);
    }
  }

  /// The receiver is gone without taking the result: its waker is released now (it may own a
  /// task), and the state with the last side.
  void leave_receiver() noexcept {
    word_type s = state_.load(std::memory_order_acquire);
    raw_waker mine{};
    do {
      if ((s & result_mask) != none) {  // the sender took the waker (or it was never set)
        leave_receiver_after_result(s);
        return;
      }
      mine = raw_waker{vtable_.load(std::memory_order_relaxed), data_.load(std::memory_order_relaxed)};
      FUTURA_CHAOS_POINT("oneshot.leave_receiver.slot_read");
    } while (!state_.compare_exchange_weak(s, (s & ~(waker_set | rx_alive)) | waker_gone, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
    // No result yet, so the sender is still here and deletes the state when it leaves.
    mine.vtable->drop(mine.data);
  }

  /// A promise whose future was never retrieved owns both sides: no atomics needed.
  void destroy_unshared() noexcept { delete this; }

 private:
  // The state word.
  static constexpr word_type none = 0;  // result (two bits)
  static constexpr word_type has_value = 1;
  static constexpr word_type has_exception = 2;
  static constexpr word_type broken = 3;
  static constexpr word_type result_mask = 3;
  static constexpr word_type waker_set = word_type{1} << 2;   // the slot holds the receiver's waker, for the sender
  static constexpr word_type waker_gone = word_type{1} << 3;  // the slot's waker left with its owner: do not drop it
  static constexpr word_type tx_alive = word_type{1} << 4;    // the sending side still uses the state
  static constexpr word_type rx_alive = word_type{1} << 5;    // the receiver still uses the state
  static constexpr word_type claimed = word_type{1} << 6;     // from_callback: a handle is completing
  // The bits from here count registrations (57 bits). The count is what makes the sender's
  // CAS fail when the receiver rewrote the slot between the sender's read and its CAS; a false
  // match would need the receiver to take the slot back and register a different waker 2^57
  // times (three atomic operations each: centuries) while one sender sits between two of its
  // instructions (docs/design.md 2.4 says why fewer bits are not enough).
  static constexpr word_type generation_one = word_type{1} << 7;
  static_assert(generation_one > claimed && sizeof(word_type) == 8,
                "oneshot_state: the generation takes the 57 bits above the flags");

  ~oneshot_state() {
    const word_type s = state_.load(std::memory_order_relaxed);
    if ((s & waker_gone) == 0) drop_slot();
    switch (s & result_mask) {
      case has_value:
        value_.~T();
        break;
      case has_exception:
        error_.~exception_ptr();
        break;
      default:
        break;
    }
  }

  /// Publishes the result stored in the union (release: the receiver reads it after an
  /// acquire of the word), taking the receiver's waker in the same CAS if it is set.
  void complete(word_type result, bool sender_leaves) noexcept {
    word_type s = state_.load(std::memory_order_acquire);
    if (sender_leaves && (s & rx_alive) == 0) {
      // The receiver left before any result: its CAS in leave_receiver() was its last access to
      // the state (it took its waker back), and this load acquired it. The leaving sender is the
      // only owner left, so nobody can read the result or race this side: no CAS, only the bits
      // the destructor reads to destroy what was stored (a select's loser, a timed-out wait).
      state_.store(s | result, std::memory_order_relaxed);
      delete this;
      return;
    }
    raw_waker taken{};
    word_type next;
    do {
      next = s | result;
      if (sender_leaves) next &= ~tx_alive;
      if ((s & waker_set) != 0) {
        // Valid only if the CAS below succeeds: then the receiver has not touched the slot since.
        taken = raw_waker{vtable_.load(std::memory_order_relaxed), data_.load(std::memory_order_relaxed)};
        next = (next & ~waker_set) | waker_gone;
      }
      FUTURA_CHAOS_POINT("oneshot.complete.before_cas");
    } while (!state_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_acquire));
    // From here the receiver may complete and delete the state: touch only what we took.
    FUTURA_CHAOS_POINT("oneshot.complete.published");
    if ((s & waker_set) != 0) taken.vtable->wake(taken.data);  // wakes and drops the clone we own
    if (sender_leaves && (s & rx_alive) == 0) delete this;     // the receiver left before us
  }

  /// The receiver saw the result (word): it leaves, deleting the state if the sender has left.
  void leave_receiver_after_result(word_type word) noexcept {
    if ((word & tx_alive) == 0) {  // the sender's last write was the CAS we acquired: no one is left
      delete this;
      return;
    }
    if ((state_.fetch_and(~rx_alive, std::memory_order_acq_rel) & tx_alive) == 0) delete this;
  }

  /// True when the registered waker is `w`'s target (receiver only: it is the slot's writer).
  bool slot_holds(const raw_waker& w) const noexcept {
    return vtable_.load(std::memory_order_relaxed) == w.vtable && data_.load(std::memory_order_relaxed) == w.data;
  }
  /// Drops the slot's waker and leaves a no-op one (receiver only, while the slot is its own).
  void drop_slot() noexcept {
    const waker_vtable* vt = vtable_.load(std::memory_order_relaxed);
    if (vt == &noop_vtable) return;
    void* data = data_.load(std::memory_order_relaxed);
    vtable_.store(&noop_vtable, std::memory_order_relaxed);
    data_.store(nullptr, std::memory_order_relaxed);
    vt->drop(data);
  }

  std::atomic<word_type> state_{tx_alive | rx_alive};
  std::atomic<std::uint32_t> senders_{1};  // from_callback's handles; promises leave in complete()
  // The receiver's waker, as its two raw words: atomics because the sender may read them while
  // the receiver rewrites them (it then discards what it read: its CAS fails).
  std::atomic<const waker_vtable*> vtable_{&noop_vtable};
  std::atomic<void*> data_{nullptr};
  union {
    T value_;
    std::exception_ptr error_;
  };
};

/// The receiving end: owns the receiver's share until the result is taken or it is dropped.
template <class T>
class oneshot_receiver {
 public:
  explicit oneshot_receiver(oneshot_state<T>* s) noexcept : state_(s) {}
  oneshot_receiver(oneshot_receiver&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  oneshot_receiver& operator=(oneshot_receiver&& o) noexcept {
    oneshot_receiver(std::move(o)).swap(*this);
    return *this;
  }
  ~oneshot_receiver() {
    if (state_ != nullptr) state_->leave_receiver();
  }

  bool valid() const noexcept { return state_ != nullptr; }

  /// Polls the state; once ready (or throwing), the receiver no longer holds it.
  poll_result<T> poll(const waker& w) {
    const auto word = state_->poll(w);
    if (!oneshot_state<T>::is_complete(word)) return pending;
    return std::exchange(state_, nullptr)->take_result(word);
  }

  void swap(oneshot_receiver& o) noexcept { std::swap(state_, o.state_); }

 private:
  oneshot_state<T>* state_;
};

}  // namespace futura::detail
