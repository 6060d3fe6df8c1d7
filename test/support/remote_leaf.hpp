// A leaf future for race tests, driven from any thread: `complete(v)`, `fail()` and spurious
// `wake()`s come from other threads while a combinator, a task or block_on polls it.
//
// The leaf counts its polls, polls that overlapped (a future polled by two threads at once:
// must stay 0), values delivered (at most one) and its destruction (exactly one when the test
// ends). It keeps the waker of its last poll and lets go of it when it is destroyed, so the
// wakers a combinator hands its children are all released once the children are gone.
// Values are futura_test::tracked, so every value made is seen to be destroyed.
#pragma once

#include <support/probe.hpp>

#include <futura/core.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace futura_test {

/// What a failed remote_leaf throws from its poll.
struct leaf_failure : std::runtime_error {
  leaf_failure() : std::runtime_error("remote_leaf failed") {}
};

struct remote_leaf_state {
  std::mutex m;
  std::optional<tracked> value;
  bool failed = false;
  bool finished = false;  // completed or failed (by its controller)
  futura::waker waker;    // the waker of the last poll
  std::atomic<int> polls{0};
  std::atomic<int> overlapping_polls{0};
  std::atomic<int> delivered{0};
  std::atomic<int> drops{0};
  std::atomic<bool> in_poll{false};
};

class remote_leaf_future : public futura::future_ext<remote_leaf_future> {
 public:
  using output_type = tracked;
  explicit remote_leaf_future(std::shared_ptr<remote_leaf_state> s) : s_(std::move(s)) {}
  remote_leaf_future(remote_leaf_future&&) noexcept = default;
  remote_leaf_future& operator=(remote_leaf_future&&) = delete;
  ~remote_leaf_future() {
    if (!s_) return;
    futura::waker released;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      released = std::move(s_->waker);
    }
    s_->drops.fetch_add(1, std::memory_order_acq_rel);
  }

  futura::poll_result<tracked> poll(futura::waker& w) {
    if (s_->in_poll.exchange(true, std::memory_order_acq_rel)) s_->overlapping_polls.fetch_add(1);
    s_->polls.fetch_add(1, std::memory_order_relaxed);
    struct leave_poll {
      remote_leaf_state* s;
      ~leave_poll() { s->in_poll.store(false, std::memory_order_release); }
    } leave{s_.get()};
    futura::waker replaced;
    std::unique_lock<std::mutex> lock(s_->m);
    if (s_->failed) {
      lock.unlock();
      throw leaf_failure();
    }
    if (s_->value) {
      futura::poll_result<tracked> r(std::in_place, std::move(*s_->value));
      s_->value.reset();
      s_->delivered.fetch_add(1, std::memory_order_acq_rel);
      return r;
    }
    if (!s_->waker.will_wake(w)) {
      replaced = std::move(s_->waker);  // dropped after the lock
      s_->waker = w;
    }
    return futura::pending;
  }

 private:
  std::shared_ptr<remote_leaf_state> s_;
};

/// The controlling end; copyable (every copy controls the same leaf).
class remote_leaf {
 public:
  remote_leaf() : s_(std::make_shared<remote_leaf_state>()) {}

  remote_leaf_future future() const { return remote_leaf_future(s_); }

  /// Makes the leaf ready with `v` and wakes the waker of its last poll. False if it was
  /// already completed or failed.
  bool complete(int v) {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      if (s_->finished) return false;
      s_->finished = true;
      s_->value.emplace(v);
      w = s_->waker;
    }
    w.wake();
    return true;
  }
  /// Makes every later poll throw leaf_failure, and wakes.
  bool fail() {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      if (s_->finished) return false;
      s_->finished = true;
      s_->failed = true;
      w = s_->waker;
    }
    w.wake();
    return true;
  }
  /// A spurious wake of the waker of the last poll (nothing changed).
  void wake() const {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      w = s_->waker;
    }
    w.wake();
  }
  /// A clone of the waker of the last poll.
  futura::waker waker() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->waker;
  }

  bool finished() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->finished;
  }
  bool failed() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->failed;
  }
  int polls() const { return s_->polls.load(); }
  int overlapping_polls() const { return s_->overlapping_polls.load(); }
  int delivered() const { return s_->delivered.load(); }
  int drops() const { return s_->drops.load(); }

 private:
  std::shared_ptr<remote_leaf_state> s_;
};

}  // namespace futura_test
