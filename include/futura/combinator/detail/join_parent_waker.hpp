// futura/combinator/detail/join_parent_waker.hpp — the waker of a join's own poller, which every child wake
// is forwarded to, from any thread, without a lock.
//
// Unlike atomic_waker (a wake takes the waker out of the slot), a join keeps its parent's waker
// registered: each child wake is forwarded by reference, so every child wake wakes the parent
// once. Only the poller writes the slot (register_waker, close); any number of threads read it
// (wake). The state word counts the wakes in flight and flags a register in progress:
//
//   idle --register (no wake in flight)--> registering --swap done--> idle
//   a wake that finds `registering` does not touch the waker; it leaves `missed` behind and the
//   registrar wakes the new waker on its way out, so no wakeup is lost (rule 3).
//   A register that finds wakes in flight cannot swap the waker they are reading: it wakes the
//   new waker instead (the caller is polled again and registers then).
//   close: the join is finished or destroyed. Later wakes do nothing; the parent's waker is
//   released at once, or by the last wake that was reading it when the close came (`orphaned`).
//   Closing again does nothing: `orphaned` is set once, so the waker is released exactly once
//   (a second close that set it again would race the release by a wake still in flight).
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace futura::detail {

class join_parent_waker {
 public:
  join_parent_waker() = default;
  join_parent_waker(const join_parent_waker&) = delete;
  join_parent_waker& operator=(const join_parent_waker&) = delete;

  /// Poller only: child wakes are forwarded to `w` from now on.
  void register_waker(const waker& w) noexcept {
    // The poller is the only writer of waker_, so reading it here races with nothing.
    if (waker_.will_wake(w)) return;
    FUTURA_CHAOS_POINT("join_parent_waker.register.begin");
    std::uint32_t expected = 0;
    if (!state_.compare_exchange_strong(expected, registering, std::memory_order_acquire, std::memory_order_relaxed)) {
      // Wakes in flight are reading the old waker: it cannot be swapped now. Waking the new one
      // makes its owner poll again, and that poll registers again.
      w.wake();
      return;
    }
    waker old = std::exchange(waker_, w);
    FUTURA_CHAOS_POINT("join_parent_waker.register.swapped");
    std::uint32_t prev = state_.fetch_and(~(registering | missed), std::memory_order_acq_rel);
    // Wakes that arrived during the swap (still in flight, or gone and left `missed`) did not
    // reach any waker: deliver them to the new one.
    if ((prev & ~registering) != 0) w.wake();
  }

  /// Any thread: wakes the registered waker (by reference: it stays registered).
  void wake() noexcept {
    std::uint32_t s = state_.fetch_add(one_waking, std::memory_order_acquire);
    FUTURA_CHAOS_POINT("join_parent_waker.wake.counted");
    if ((s & (registering | closed)) == 0) {
      waker_.wake();
      FUTURA_CHAOS_POINT("join_parent_waker.wake.forwarded");
      // No register can start while we are counted, so nobody needs to hear from us.
      s = state_.fetch_sub(one_waking, std::memory_order_acq_rel) - one_waking;
    } else {
      // A register is swapping the waker (or the slot is closed): do not touch it, and leave
      // `missed` for the registrar if it is still running.
      s = state_.load(std::memory_order_relaxed);
      std::uint32_t next;
      do {
        next = s - one_waking;
        if (next & registering) next |= missed;
      } while (!state_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_relaxed));
      s = next;
    }
    if ((s & orphaned) != 0 && s < one_waking) release_orphan(s);
  }

  /// Poller only: the join is done or destroyed. Later wakes do nothing, and the parent's waker
  /// (which may own a task) is released now, or by the last wake reading it at this instant.
  void close() noexcept {
    // Only the poller sets `closed`, so its own plain look is enough to make this idempotent.
    if ((state_.load(std::memory_order_relaxed) & closed) != 0) return;
    std::uint32_t s = state_.fetch_or(closed | orphaned, std::memory_order_acq_rel) | closed | orphaned;
    FUTURA_CHAOS_POINT("join_parent_waker.close.closed");
    if (s < one_waking) release_orphan(s);
  }

 private:
  static constexpr std::uint32_t registering = 1;
  static constexpr std::uint32_t missed = 2;
  static constexpr std::uint32_t closed = 4;
  static constexpr std::uint32_t orphaned = 8;     // closed, and the waker is still to be released
  static constexpr std::uint32_t one_waking = 16;  // the bits from here count the wakes in flight
  static_assert((registering | missed | closed | orphaned) < one_waking,
                "join_parent_waker: the count of wakes in flight overlaps a flag");

  /// Closed with no wake in flight: whoever clears `orphaned` first releases the waker (wakes
  /// arriving after the close never read it).
  void release_orphan(std::uint32_t s) noexcept {
    while ((s & orphaned) != 0 && s < one_waking) {
      if (state_.compare_exchange_weak(s, s & ~orphaned, std::memory_order_acquire, std::memory_order_relaxed)) {
        FUTURA_CHAOS_POINT("join_parent_waker.release.claimed");
        waker released = std::move(waker_);
        return;
      }
    }
  }

  std::atomic<std::uint32_t> state_{0};
  waker waker_;
};

}  // namespace futura::detail
