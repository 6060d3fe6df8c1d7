// Deterministic interleavings in FUTURA_CHAOS builds: a gate stops one chosen thread when it
// reaches one named chaos point, until the test opens it. With gates a race from a review
// becomes a fixed schedule ("thread T is inside wake(), past its count, when the join closes").
//
//   chaos_gates gates;                           // installs the hook for this scope
//   chaos_gate& g = gates.add("atomic_waker.take.taken");
//   std::thread t([&] { g.bind_this_thread(); ...code that reaches the point... });
//   g.wait_reached();   // t is stopped at the point
//   ...the other side of the race...
//   g.open();           // t carries on
//
// The gate's own hand-off uses relaxed atomics only, on purpose: it adds no happens-before
// edge between the two threads, so ThreadSanitizer still sees the protocol's own ordering (or
// its absence) exactly as in a real race.
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/exceptions.hpp>

#if FUTURA_CHAOS_ENABLED

#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace futura_test {

class chaos_gate {
 public:
  /// Only this thread stops at the point (by default: the first thread that reaches it).
  void bind_this_thread() noexcept { thread_.store(std::this_thread::get_id(), std::memory_order_relaxed); }
  /// Blocks until the bound thread stopped at the point.
  void wait_reached() const noexcept {
    while (state_.load(std::memory_order_relaxed) != reached) std::this_thread::yield();
  }
  bool was_reached() const noexcept { return state_.load(std::memory_order_relaxed) != armed; }
  /// Lets the stopped thread (or the one still to come) go on; the gate stays open.
  void open() noexcept { state_.store(opened, std::memory_order_relaxed); }

 private:
  friend class chaos_gates;
  static constexpr int idle = 0, armed = 1, reached = 2, opened = 3;

  void arm(const char* point) noexcept {
    point_ = point;
    state_.store(armed, std::memory_order_relaxed);
  }
  void on_point(const char* name) noexcept {
    if (state_.load(std::memory_order_relaxed) != armed || std::strcmp(name, point_) != 0) return;
    const std::thread::id bound = thread_.load(std::memory_order_relaxed);
    if (bound != std::thread::id() && bound != std::this_thread::get_id()) return;
    int expected = armed;
    if (!state_.compare_exchange_strong(expected, reached, std::memory_order_relaxed)) return;
    while (state_.load(std::memory_order_relaxed) != opened) std::this_thread::yield();
  }

  const char* point_ = "";
  std::atomic<std::thread::id> thread_{};
  std::atomic<int> state_{idle};
};

/// Up to four gates, active while this object lives (one such object at a time). Random
/// perturbation is turned off meanwhile, so the schedule is the gates' alone.
class chaos_gates {
 public:
  chaos_gates() {
    if (active_.exchange(this) != nullptr) {
      futura::detail::throw_standard<std::logic_error>(boost::system::errc::invalid_argument,
                                                       "chaos_gates: one set of gates at a time");
    }
    saved_perturbation_ = futura::detail::chaos::set_perturbation(false);
    futura::detail::chaos::set_hook(&hook);
  }
  ~chaos_gates() {
    for (std::size_t i = 0; i < count_; ++i) gates_[i].open();
    futura::detail::chaos::set_hook(nullptr);
    futura::detail::chaos::set_perturbation(saved_perturbation_);
    active_.store(nullptr);
  }
  chaos_gates(const chaos_gates&) = delete;
  chaos_gates& operator=(const chaos_gates&) = delete;

  chaos_gate& add(const char* point) {
    if (count_ == gates_.size()) {
      futura::detail::throw_standard<std::logic_error>(boost::system::errc::invalid_argument,
                                                       "chaos_gates: at most four gates");
    }
    chaos_gate& g = gates_[count_];
    g.arm(point);
    count_us_.store(++count_, std::memory_order_release);
    return g;
  }

 private:
  static void hook(const char* name) noexcept {
    chaos_gates* self = active_.load(std::memory_order_acquire);
    if (!self) return;
    const std::size_t n = self->count_us_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) self->gates_[i].on_point(name);
  }

  static inline std::atomic<chaos_gates*> active_{nullptr};
  std::array<chaos_gate, 4> gates_;
  std::size_t count_ = 0;
  std::atomic<std::size_t> count_us_{0};
  bool saved_perturbation_ = false;
};

}  // namespace futura_test

#endif
