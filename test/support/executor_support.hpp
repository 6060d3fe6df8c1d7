// Synchronisation helpers shared by the executor suites (spawn, task_wake, join_handle,
// executor_threads).
#pragma once

#include <condition_variable>
#include <mutex>

namespace futura_test {

/// A one-shot event for cross-thread hand-offs (tests synchronise on events, never on sleeps):
/// wait() returns once set() was called, on any thread, before or after it.
class event {
 public:
  void set() {
    {
      std::lock_guard<std::mutex> lock(m_);
      set_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return set_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace futura_test
