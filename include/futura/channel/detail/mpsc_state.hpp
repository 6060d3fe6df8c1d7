// futura/channel/detail/mpsc_state.hpp — the shared state of the mpsc channels, bounded and
// unbounded (docs/design.md, "The mpsc channel").
//
//   open --rx.close() (wakes a parked receiver) / receiver dropped--> closed (sends fail, value back)
//   open --the last sender (or send future) leaves--> senders_gone
//   items flow: sender --push under the lock--> incoming --receiver swaps it whole--> its batch
//   receiver: batch empty --take: incoming empty--> register waker, take again --still empty--> parked
//   sender:   push --parked was set--> clear parked, wake the receiver (after the lock)
//
// One lock (a spin lock: every critical section is a push_back, a swap or a few flags) guards
// `incoming_`, `closed_`, `senders_gone_`, `parked_` and `left_senders_`. Senders push one item per lock; the
// receiver takes every item pushed so far in one swap with its own, emptied, batch vector and then
// hands them out without touching the state, so a burst costs the receiver one lock per batch and
// the two vectors trade places (and capacity): a steady state allocates nothing. A send wakes the
// receiver only when the receiver said, under the lock, that it parks with its waker registered
// (registered before that lock, so the sender that reads `parked_` finds the waker; no lost
// wakeup, rule 3); any take clears `parked_`, so a burst of sends after a park wakes once.
//
// Ownership: one atomic word, `owners_`: bit 0 is the receiver, the bits above count the senders
// (every sender handle, every pending send future, every from_callback_stream callback), with
// the reference-count policy of core/detail/ref_count.hpp (adding is relaxed, leaving acq_rel).
// Whoever leaves last deletes the state. The last sender announces the end (`senders_gone_`, and a
// wake) *before* it leaves, while it still owns the state: it knows it is the last one because
// nobody can add a sender without copying a live one, and it is the only live one. A bounded send
// future that completes without a wake to make leaves its count under the lock instead
// (`left_senders_`): the receiver subtracts such counts at its next take, under the same lock,
// and announces the end itself if they were the last (it takes the lock before it could park, so
// it never parks on them); a dropped receiver subtracts them with its own bit.
//
// Places: the bounded channel's capacity is a semaphore of places (`bounded_places`), the unbounded
// channel's is nothing (`unbounded_places`); the receiver gives one place back per item it hands to
// the user, and closing closes the semaphore. A send that needs no wait takes its place under the
// lock it pushes under, from places the channel took from the semaphore ahead, a batch per CAS
// (push_if_room); a send that must wait queues in the semaphore and gives those back first.
#pragma once

#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/detail/spin_lock.hpp>
#include <futura/core/waker.hpp>
#include <futura/sync/detail/semaphore_state.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace futura::detail {

/// The places of an unbounded channel: none to count.
struct unbounded_places {
  explicit unbounded_places(std::size_t) noexcept {}
  void give_back_one() noexcept {}
  void close() noexcept {}
};

/// The places of a bounded channel: a semaphore of `capacity` permits. A send that needs no wait
/// takes its place under the channel's lock from the places taken ahead (`ahead_`), which are
/// refilled from the semaphore a batch at a time (one CAS for every place free then); a send that
/// must wait acquires one from the semaphore (FIFO, through a semaphore_acquisition), and once
/// queued gives the places taken ahead back to it, so that they go to the waiting sends in order.
/// The receiver gives one back per item it hands to the user; closing the channel closes it,
/// which fails the waiting sends. Exact capacity holds: free places are the semaphore's count
/// plus `ahead_`.
class bounded_places {
 public:
  explicit bounded_places(std::size_t capacity) noexcept : semaphore_(capacity), capacity_(capacity) {}
  void give_back_one() noexcept { semaphore_.give_back(1); }
  void close() noexcept { semaphore_.close(); }
  semaphore_state& semaphore() noexcept { return semaphore_; }

  /// Under the channel's lock: a place for a send that does not wait. False when none is free,
  /// or when a send waits for one (it comes first: FIFO; it gives back the places taken ahead as
  /// soon as it is queued, and a refill fails while it waits).
  bool take_one_locked() noexcept {
    if (ahead_ == 0) {
      ahead_ = semaphore_.try_acquire_up_to(capacity_);
      if (ahead_ == 0) return false;
    } else if (semaphore_.has_waiters()) {
      return false;
    }
    --ahead_;
    return true;
  }
  /// Under the channel's lock: the place take_one_locked() gave was not used (the push threw).
  void untake_one_locked() noexcept { ++ahead_; }
  /// Under the channel's lock: the places taken ahead, which the caller gives back to the
  /// semaphore after the lock (a give_back may wake and drop wakers).
  std::size_t take_all_ahead_locked() noexcept { return std::exchange(ahead_, 0); }

 private:
  semaphore_state semaphore_;
  std::size_t capacity_;
  std::size_t ahead_ = 0;  // under the channel's lock
};

/// What a bounded send's push did: `full` (no free place, or a send waits: nothing was pushed)
/// and, for a send future, what became of its sender count (`left`: left under the lock).
enum class mpsc_push { closed, full, pushed, left };

/// What a receiver's take found.
enum class mpsc_take { items, empty, ended };
/// Why the receiver takes (see mpsc_state::take).
enum class mpsc_take_mode { poll, park, peek };

template <class T, class Places>
class mpsc_state {
 public:
  using places_type = Places;

  /// A new channel owned by one sender and the receiver, with the places of `capacity` items and
  /// room for `reserve` items in the shared buffer (the bounded channel reserves its capacity
  /// here, and the receiver's batch as much, once).
  explicit mpsc_state(std::size_t capacity, std::size_t reserve) : places_(capacity) { incoming_.reserve(reserve); }
  mpsc_state(const mpsc_state&) = delete;
  mpsc_state& operator=(const mpsc_state&) = delete;

  Places& places() noexcept { return places_; }

  // --- senders ---

  void add_sender() noexcept { senders::add(owners_); }

  /// A sender (or send future) leaves. The last one announces the end to the receiver first.
  void release_sender() noexcept {
    std::uint64_t word = owners_.load(std::memory_order_acquire);
    while (senders::count(word) != 1) {
      FUTURA_CHAOS_POINT("mpsc.sender.leaving");
      if (owners_.compare_exchange_weak(word, word - senders::one, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        return;
      }
    }
    // The last sender: no one can add another (that needs a live sender), so announce, then leave.
    bool wake = false;
    {
      std::lock_guard<spin_lock> guard(lock_);
      senders_gone_ = true;
      wake = std::exchange(parked_, false);
    }
    FUTURA_CHAOS_POINT("mpsc.last_sender.announced");
    if (wake) rx_waker_.wake();
    leave(senders::one);
  }

  /// Pushes `v` (moved from) unless the channel is closed; false (and `v` untouched) then.
  bool push(T& v) {
    bool wake = false;
    {
      std::lock_guard<spin_lock> guard(lock_);
      if (closed_.load(std::memory_order_relaxed)) return false;
      incoming_.push_back(std::move(v));
      wake = std::exchange(parked_, false);
    }
    if (wake) {
      FUTURA_CHAOS_POINT("mpsc.send.wake");
      rx_waker_.wake();
    }
    return true;
  }

  /// Bounded: a send that needs no wait takes a place (the channel's places taken ahead, see
  /// bounded_places) and pushes `v` in one critical section: one lock for both, where a place
  /// from the semaphore costs a CAS of its own. `full` when no place is free or a send waits
  /// (nothing happened: the caller waits for a place through the semaphore, then calls
  /// give_back_places_ahead() once queued); `closed`. A send future (`leave_count`) ends its
  /// sender count as push_into_place_and_leave() does (`left` or `pushed`); try_send, which has
  /// none, gets `pushed`. An exception from T's move constructor leaves the place free again.
  mpsc_push push_if_room(T& v, bool leave_count) {
    {
      std::lock_guard<spin_lock> guard(lock_);
      if (closed_.load(std::memory_order_relaxed)) return mpsc_push::closed;
      if (!places_.take_one_locked()) return mpsc_push::full;
      FUTURA_TRY {
        incoming_.push_back(std::move(v));
      }
      FUTURA_CATCH_ALL {
        places_.untake_one_locked();
        FUTURA_RETHROW;
      }
      if (!parked_) {
        if (!leave_count) return mpsc_push::pushed;
        ++left_senders_;
        return mpsc_push::left;  // the guard's unlock is this send's last access to the state
      }
      parked_ = false;
    }
    FUTURA_CHAOS_POINT("mpsc.send.wake");
    rx_waker_.wake();
    return mpsc_push::pushed;
  }

  /// Bounded: a send that queued for a place (push_if_room() said `full`) gives the places taken
  /// ahead back to the semaphore, which hands them to the waiting sends in order. Without this a
  /// send could wait while places taken ahead were free.
  void give_back_places_ahead() noexcept {
    std::size_t ahead = 0;
    {
      std::lock_guard<spin_lock> guard(lock_);
      ahead = places_.take_all_ahead_locked();
    }
    FUTURA_CHAOS_POINT("mpsc.send.ahead_given_back");
    if (ahead != 0) places_.semaphore().give_back(ahead);
  }

  /// A bounded send future's push into the place it took, which also ends its sender count:
  /// `left` when no wake is due (the count is left under the lock, for the receiver's next take
  /// to subtract: the send leaves without another atomic operation, and must not touch the state
  /// again); `pushed` when it woke the receiver (it still owns its count); `closed` when the
  /// channel is closed (the place went back; it still owns its count). An exception from T's move
  /// constructor gives the place back and leaves the count owned.
  mpsc_push push_into_place_and_leave(T& v) {
    bool closed = true;
    FUTURA_TRY {
      std::lock_guard<spin_lock> guard(lock_);
      if (!closed_.load(std::memory_order_relaxed)) {
        incoming_.push_back(std::move(v));
        closed = false;
        if (!parked_) {
          ++left_senders_;
          return mpsc_push::left;  // the guard's unlock is this send's last access to the state
        }
        parked_ = false;
      }
    }
    FUTURA_CATCH_ALL {
      places_.give_back_one();  // after the lock: a give_back may wake and drop wakers
      FUTURA_RETHROW;
    }
    if (closed) {
      places_.give_back_one();
      return mpsc_push::closed;
    }
    FUTURA_CHAOS_POINT("mpsc.send.wake");
    rx_waker_.wake();
    return mpsc_push::pushed;
  }

  bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // --- the receiver ---

  /// Swaps the (empty) `batch` with every item pushed so far. `poll`: the receiver is being
  /// polled (a take that finds items clears `parked_`: this poll answers); `park`: also records,
  /// when nothing is there, that the receiver parks (its waker is registered already); `peek`
  /// (try_recv): leaves `parked_` alone, so a pending poll's registration keeps its wake.
  mpsc_take take(std::vector<T>& batch, mpsc_take_mode mode) {
    std::lock_guard<spin_lock> guard(lock_);
    if (left_senders_ != 0) {
      // Sender counts that send futures left here: subtract them now. If they were the last,
      // nobody announced the end, so the receiver does (it holds the state: it cannot go).
      const std::uint64_t n = std::exchange(left_senders_, 0);
      const std::uint64_t before = owners_.fetch_sub(n * senders::one, std::memory_order_acq_rel);
      if (senders::count(before) == n) senders_gone_ = true;
    }
    batch.swap(incoming_);
    if (!batch.empty()) {
      if (mode != mpsc_take_mode::peek) parked_ = false;
      return mpsc_take::items;
    }
    if (closed_.load(std::memory_order_relaxed) || senders_gone_) return mpsc_take::ended;
    if (mode == mpsc_take_mode::park) parked_ = true;
    return mpsc_take::empty;
  }

  void register_receiver(const waker& w) noexcept { rx_waker_.register_waker(w); }

  /// rx.close(): no new item enters; what is buffered stays for the receiver. A parked receiver
  /// is woken: its stream ends once it has drained the buffer.
  void close() noexcept {
    bool wake = false;
    {
      std::lock_guard<spin_lock> guard(lock_);
      closed_.store(true, std::memory_order_release);
      wake = std::exchange(parked_, false);
    }
    places_.close();
    if (wake) rx_waker_.wake();
  }

  /// The receiver is dropped: closes the channel, destroys what is buffered (outside the lock),
  /// and leaves.
  void release_receiver() noexcept {
    std::vector<T> left;
    std::uint64_t left_counts = 0;
    {
      std::lock_guard<spin_lock> guard(lock_);
      closed_.store(true, std::memory_order_release);  // no send pushes (or leaves a count) after this
      left.swap(incoming_);
      left_counts = std::exchange(left_senders_, 0);
    }
    places_.close();
    left.clear();
    FUTURA_CHAOS_POINT("mpsc.receiver.leaving");
    leave(receiver_bit + left_counts * senders::one);
  }

 private:
  using senders = ref_count_field<std::uint64_t, 1>;
  static constexpr std::uint64_t receiver_bit = 1;

  void leave(std::uint64_t mine) noexcept {
    const std::uint64_t before = owners_.fetch_sub(mine, std::memory_order_acq_rel);
    if (before == mine) delete this;
  }

  // One sender and the receiver.
  std::atomic<std::uint64_t> owners_{senders::one | receiver_bit};
  spin_lock lock_;
  bool senders_gone_ = false;        // under lock_
  std::uint64_t left_senders_ = 0;   // under lock_: sender counts send futures left, still in owners_
  bool parked_ = false;              // under lock_
  std::atomic<bool> closed_{false};  // written under lock_; read without it by is_closed()
  std::vector<T> incoming_;          // under lock_
  atomic_waker rx_waker_;
  Places places_;
};

}  // namespace futura::detail
