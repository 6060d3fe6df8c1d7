// A counting waker for race tests: counts wakes and live clones like futura_test::counting_waker
// (probe.hpp), and also catches a clone dropped twice.
//
// counting_waker frees its counters when the last reference goes, so a double drop is a
// use-after-free there (ASan) or a silent miscount (other builds). Here the counters are never
// freed while the program runs (they stay reachable, so LeakSanitizer does not report them):
// a double drop, even one racing the last legitimate drop, shows as `underflows() > 0` or as
// a live count that ends below zero, and nothing crashes before the test can say which waker
// and which scenario. Wakers may outlive the strict_waker object (rule 7): their counters stay.
#pragma once

#include <futura/core/waker.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

namespace futura_test {

class strict_waker {
 public:
  strict_waker() : c_(new_counters()) {}
  strict_waker(const strict_waker&) = delete;
  strict_waker& operator=(const strict_waker&) = delete;

  /// An owning waker (one clone) of this target.
  futura::waker make() const {
    c_->clones.fetch_add(1, std::memory_order_relaxed);
    return futura::waker(futura::raw_waker{&vtable, c_});
  }
  /// Wakes (wake or wake_by_ref) of any clone so far.
  int wakes() const { return c_->wakes.load(std::memory_order_acquire); }
  /// Clones alive now (negative after a double drop).
  int live_clones() const { return c_->clones.load(std::memory_order_acquire); }
  /// Drops of a clone that did not exist (a clone released twice). Must stay 0.
  int underflows() const { return c_->underflows.load(std::memory_order_acquire); }
  /// Makes every wake spin `spins` iterations and yield the processor `yields` times first: a
  /// slow waker (as a task's wake that posts to an executor) keeps wakes in flight longer, which
  /// widens the races around them (yields let the other threads run even on few cores).
  void set_slow_wakes(int spins, int yields = 0) {
    c_->wake_spins.store(spins, std::memory_order_relaxed);
    c_->wake_yields.store(yields, std::memory_order_relaxed);
  }
  /// True when `w` wakes this target.
  bool is_target_of(const futura::waker& w) const { return w.raw().vtable == &vtable && w.raw().data == c_; }

  /// Double drops seen by every strict_waker of the program so far.
  static int underflows_anywhere() { return any_underflow().load(std::memory_order_acquire); }

 private:
  struct counters {
    std::atomic<int> wakes{0};
    std::atomic<int> clones{0};
    std::atomic<int> underflows{0};
    std::atomic<int> wake_spins{0};
    std::atomic<int> wake_yields{0};
  };

  static counters* new_counters() {
    // Never freed: see the top of this header. A few bytes per strict_waker made.
    static std::mutex m;
    static std::deque<counters> all;
    std::lock_guard<std::mutex> lock(m);
    return &all.emplace_back();
  }
  static std::atomic<int>& any_underflow() {
    static std::atomic<int> n{0};
    return n;
  }

  static futura::raw_waker clone(void* p) noexcept {
    static_cast<counters*>(p)->clones.fetch_add(1, std::memory_order_relaxed);
    return {&vtable, p};
  }
  static void wake(void* p) noexcept {
    wake_by_ref(p);
    drop(p);
  }
  static void wake_by_ref(void* p) noexcept {
    auto* c = static_cast<counters*>(p);
    for (int i = 0, n = c->wake_spins.load(std::memory_order_relaxed); i < n; ++i) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    for (int i = 0, n = c->wake_yields.load(std::memory_order_relaxed); i < n; ++i) std::this_thread::yield();
    c->wakes.fetch_add(1, std::memory_order_acq_rel);
  }
  static void drop(void* p) noexcept {
    auto* c = static_cast<counters*>(p);
    if (c->clones.fetch_sub(1, std::memory_order_acq_rel) <= 0) {
      c->underflows.fetch_add(1, std::memory_order_acq_rel);
      any_underflow().fetch_add(1, std::memory_order_acq_rel);
    }
  }
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  counters* c_;
};

}  // namespace futura_test
