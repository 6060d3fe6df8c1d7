// futura/core/detail/spin_lock.hpp — the library's one spin lock: one byte, for critical sections of
// a few instructions that are rarely contended (the live-task list of a context, a sleep's
// timer between a drop's cancel and the handler's destruction), where a std::mutex would cost
// 40 bytes and two library calls. Spins briefly, then yields the thread; never sleeps.
#pragma once

#include <futura/core/detail/chaos.hpp>

#include <atomic>
#include <thread>

namespace futura::detail {

/// A Lockable one-byte spin lock (use with std::lock_guard).
class spin_lock {
 public:
  void lock() noexcept {
    // The uncontended case inline (one exchange); the wait out of line, so that callers inline
    // this instead of calling it (GCC kept the whole loop as a call on every lock).
    if (locked_.exchange(true, std::memory_order_acquire)) lock_contended();
    FUTURA_CHAOS_POINT("spin_lock.locked");
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  [[gnu::noinline]] void lock_contended() noexcept {
    for (int spins = 0;;) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins > 64) std::this_thread::yield();
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};

static_assert(sizeof(spin_lock) == 1, "futura::detail::spin_lock: one byte, as the timer state's layout assumes");

}  // namespace futura::detail
