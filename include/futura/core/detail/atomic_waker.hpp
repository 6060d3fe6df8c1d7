// futura/core/detail/atomic_waker.hpp — one waker slot shared between a consumer that registers and
// producers that wake, from any threads, without a lock (the algorithm of futures-rs's
// AtomicWaker).
//
//   state: waiting --register--> registering --done--> waiting
//          waiting --wake-->     waking      --taken--> waiting
//   A wake that lands during a register sets `waking`; the registrar sees it on its way out
//   and wakes the waker it just stored itself, so no wakeup is lost (rule 3).
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstdint>

namespace futura::detail {

class atomic_waker {
 public:
  /// Stores (a clone of) `w` so that the next `wake()` wakes it. One registrar at a time.
  void register_waker(const waker& w) noexcept {
    std::uint8_t expected = waiting;
    if (state_.compare_exchange_strong(expected, registering, std::memory_order_acquire, std::memory_order_acquire)) {
      if (!waker_.will_wake(w)) waker_ = w;
      FUTURA_CHAOS_POINT("atomic_waker.register.stored");
      expected = registering;
      if (!state_.compare_exchange_strong(expected, waiting, std::memory_order_acq_rel, std::memory_order_acquire)) {
        // A wake arrived while we held the slot: it left the waking to us.
        waker taken = std::move(waker_);
        FUTURA_CHAOS_POINT("atomic_waker.register.woken_meanwhile");
        state_.exchange(waiting, std::memory_order_acq_rel);
        std::move(taken).wake_and_drop();
      }
    } else if (expected == waking) {
      // A wake is in progress and may have taken the old waker: wake the new one directly.
      w.wake();
    }
    // else: a concurrent register, which the single-consumer protocol excludes.
  }

  /// Stores (a clone of) `w` while no other thread can reach this slot: before the state that
  /// holds it is published (an operation's state, before the operation starts). A plain write,
  /// no locked instruction; the publication orders it before any wake. The slot must be empty.
  void register_unpublished(const waker& w) noexcept { waker_ = w; }

  /// Wakes the registered waker, if any, and clears the slot.
  void wake() noexcept { take().wake_and_drop(); }

  /// Removes and returns the registered waker (a no-op waker when there is none, or when a
  /// register or another take is in progress: that one will see to it).
  waker take() noexcept {
    waker taken;
    if (std::uint8_t prev = state_.fetch_or(waking, std::memory_order_acq_rel); prev == waiting) {
      taken = std::move(waker_);
      FUTURA_CHAOS_POINT("atomic_waker.take.taken");
      // The word is exactly `waking` until this store: a register's CAS expects `waiting` and
      // fails, and another take only sets `waking` again. So a plain release store ends the take
      // (the next register's acquiring CAS sees the empty slot): no second locked instruction.
      state_.store(waiting, std::memory_order_release);
    }
    return taken;
  }

 private:
  static constexpr std::uint8_t waiting = 0;
  static constexpr std::uint8_t registering = 1;
  static constexpr std::uint8_t waking = 2;

  std::atomic<std::uint8_t> state_{waiting};
  waker waker_;
};

}  // namespace futura::detail
