// futura/asio/detail/sleep_service.hpp — the sleeps of one execution context: a deadline heap
// and ONE Asio timer, armed for the earliest deadline (docs/design.md, "Sleeps").
//
//   a sleep's first poll:  entry pushed (lock) --the new earliest?--> the timer re-armed
//   the timer fires:       due entries popped (lock, 64 at a time): each marked fired, its waker
//                          taken; the lock dropped, the wakers woken; the timer re-armed for the
//                          new earliest, or left idle when none is left
//   a queued sleep dropped: entry erased (lock); no entry left: the timer cancelled (no work)
//   context shutdown:      every queued entry marked abandoned and woken; the timer destroyed
//
// An entry is `queued` while the heap holds it; the lock's holder makes it `fired` or
// `abandoned` (a release store, after taking its waker) and never touches it again, so the
// future, which owns the entry's memory, frees it as soon as an acquire load shows it final.
// Every call into the timer is made under the lock, so the timer is never used by two threads
// at once. Each arming has a generation: a wait superseded by a later arming (or by the cancel
// when the heap emptied) completes and does nothing, so at most one wait does the firing.
// Why: a sleep with its own steady_timer paid Asio's per-operation costs (an operation, a trip
// through the scheduler, a timer made and destroyed under the reactor's mutex) for each sleep;
// here those are paid per batch of expiries (docs/performance.md, "Change 13").
#pragma once

#include <futura/asio/detail/cached_service.hpp>
#include <futura/asio/detail/recycling_pool.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/spin_lock.hpp>
#include <futura/core/waker.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/wait_traits.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>  // std::lock_guard
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::detail {

class sleep_queue;

/// The heap state of one waiting sleep, owned by its future; the queue refers to it while it is
/// queued. One small block (from the per-thread recycling cache) per sleep.
struct sleep_entry {
  static constexpr std::uint8_t queued = 0;
  static constexpr std::uint8_t fired = 1;
  static constexpr std::uint8_t abandoned = 2;  // the context shut down first

  static void* operator new(std::size_t size) { return recycling::allocate(size, alignof(std::max_align_t)); }
  static void operator delete(void* p, std::size_t size) noexcept {
    recycling::deallocate(p, size, alignof(std::max_align_t));
  }

  std::atomic<std::uint8_t> state{queued};
  std::uint32_t heap_index = 0;  // the queue's, under its lock
  std::chrono::steady_clock::time_point deadline{};
  sleep_queue* queue = nullptr;
  waker registered;           // while queued: the queue's, under its lock (taken when final)
  raw_waker registered_id{};  // the future's own note of what it registered: compared without the lock
};

/// The type-independent half of a context's sleep service: the deadline heap under its lock
/// (lib/asio/detail/sleep_service.cpp).
class sleep_queue {
 public:
  using clock = std::chrono::steady_clock;
  /// Wakers taken per hold of the lock while firing or shutting down.
  static constexpr std::size_t batch = 64;

  sleep_queue() = default;
  sleep_queue(const sleep_queue&) = delete;
  sleep_queue& operator=(const sleep_queue&) = delete;

  /// A later poll with another waker: replaces the registered one. False when the entry is
  /// no longer queued (it fired, or the context shut down): the caller reads its state.
  bool reregister(sleep_entry* e, const waker& w) noexcept;

 protected:
  ~sleep_queue() = default;

  struct item {
    clock::time_point deadline;
    sleep_entry* entry;
  };

  // All under lock_.
  void push_locked(sleep_entry* e);
  void erase_locked(sleep_entry* e) noexcept;
  /// Pops up to `batch` entries due at `now` into `out` (marking them fired); how many.
  std::size_t pop_due_locked(clock::time_point now, waker* out) noexcept;
  /// Pops up to `batch` entries (marking them abandoned) into `out`; how many.
  std::size_t pop_abandoned_locked(waker* out) noexcept;

  spin_lock lock_;
  std::vector<item> heap_;
  bool closed_ = false;
  bool armed_ = false;  // a wait is pending for armed_at_ (or its handler has not run yet)
  clock::time_point armed_at_{};
  std::uint64_t generation_ = 0;

 private:
  void place(std::size_t i, const item& it) noexcept {
    heap_[i] = it;
    it.entry->heap_index = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i, item it) noexcept;
  void sift_down(std::size_t i, item it) noexcept;
  void remove_at(std::size_t i) noexcept;
};

template <class C, class = void>
struct has_own_executor : std::false_type {};
template <class C>
struct has_own_executor<C, std::void_t<typename C::executor_type, decltype(std::declval<C&>().get_executor())>>
    : std::true_type {};

/// The execution context of sleeps on `Executor`, as its static type (io_context, thread_pool,
/// or execution_context when the executor does not say more).
template <class Executor>
using sleep_context_t = std::remove_reference_t<decltype(boost::asio::query(std::declval<const Executor&>(),
                                                                            boost::asio::execution::context))>;

/// The executor of the service's timer: the context's own (io_context, thread_pool, so that a
/// strand's sleeps share their context's service and timer), else the sleep's, type-erased.
template <class Executor, class Context = sleep_context_t<Executor>, bool = has_own_executor<Context>::value>
struct sleep_timer_executor {
  using type = typename Context::executor_type;
  static type of(const Executor&, boost::asio::execution_context& ctx) {
    return static_cast<Context&>(ctx).get_executor();
  }
};
template <class Executor, class Context>
struct sleep_timer_executor<Executor, Context, false> {
  using type = boost::asio::any_io_executor;
  static type of(const Executor& ex, boost::asio::execution_context&) { return type(ex); }
};

/// The sleeps of one execution context whose timer runs on `TimerExecutor` (an Asio service:
/// the context's shutdown abandons the queued sleeps and destroys the timer).
template <class TimerExecutor>
class sleep_service final : public boost::asio::execution_context::service, public sleep_queue {
  using timer_type = boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, TimerExecutor>;

 public:
  static inline boost::asio::execution_context::id id;

  explicit sleep_service(boost::asio::execution_context& ctx) : service(ctx) {}
  ~sleep_service() override {
    // Invalidates every thread's cached lookup: a new context at this address must not find it.
    epoch().fetch_add(1, std::memory_order_release);
  }

  /// The service of `ctx` (made on first use); a thread's last lookup is cached.
  static sleep_service& of(boost::asio::execution_context& ctx) {
    return cached_use_service<sleep_service>(ctx, epoch());
  }

  /// Queues `e` (its deadline and waker set), arming the timer if `e` is the new earliest.
  /// `make_timer_executor()` gives the timer's executor; it is called only by the first sleep,
  /// which makes the timer. False when the context has shut down (`e` is not queued). Throws
  /// what arming throws (`e` is then not queued either).
  template <class MakeTimerExecutor>
  bool queue(sleep_entry* e, MakeTimerExecutor&& make_timer_executor) {
    std::lock_guard<spin_lock> lock(lock_);
    if (closed_) return false;
    if (!timer_) timer_.emplace(make_timer_executor());
    e->queue = this;
    push_locked(e);
    if (!armed_ || e->deadline < armed_at_) {
      try {
        arm_locked();
      } catch (...) {
        erase_locked(e);
        // The failed arming may have cancelled the wait the other sleeps counted on: arm for
        // them again, best effort (only allocation fails here, and it failed just now).
        if (!heap_.empty()) {
          try {
            arm_locked();
          } catch (...) {  // the next queue() arms: armed_ stayed false
          }
        }
        throw;
      }
    }
    return true;
  }

  /// The future of a queued entry is dropped: the entry leaves the heap (if it has not fired).
  void remove(sleep_entry* e) noexcept {
    waker taken;  // dropped after the lock
    std::lock_guard<spin_lock> lock(lock_);
    if (e->state.load(std::memory_order_relaxed) != sleep_entry::queued) return;
    erase_locked(e);
    taken = std::move(e->registered);
    if (heap_.empty()) disarm_locked();
  }

 private:
  static std::atomic<std::uint64_t>& epoch() noexcept {
    static std::atomic<std::uint64_t> e{0};
    return e;
  }

  /// The handler of one arming: fires the due sleeps, unless a later arming superseded it.
  struct fire_handler {
    sleep_service* self;
    std::uint64_t generation;
    using allocator_type = thread_cache_allocator<void>;
    allocator_type get_allocator() const noexcept { return {}; }
    void operator()(const boost::system::error_code&) { self->fire(generation); }
  };

  // Under lock_. Arms the timer for the earliest deadline; the pending wait, if any, completes
  // as superseded. Throws what async_wait throws (allocation): armed_ then stays false, and the
  // next queue() arms again.
  void arm_locked() {
    ++generation_;
    armed_ = false;
    armed_at_ = heap_.front().deadline;
    timer_->expires_at(armed_at_);
    timer_->async_wait(fire_handler{this, generation_});
    armed_ = true;
  }
  // Under lock_. No sleep is left: the pending wait is cancelled, so it holds no work.
  void disarm_locked() noexcept {
    if (!armed_) return;
    ++generation_;
    armed_ = false;
    try {
      timer_->cancel();
    } catch (...) {
      // Cannot fail in Asio 1.81; if it did, the wait would complete at its time, superseded.
    }
  }

  void fire(std::uint64_t generation) {
    waker due[batch];
    for (;;) {
      std::size_t n = 0;
      {
        std::lock_guard<spin_lock> lock(lock_);
        if (generation != generation_ || closed_) return;  // superseded
        n = pop_due_locked(clock::now(), due);
      }
      FUTURA_CHAOS_POINT("sleep_service.fire.popped");
      for (std::size_t i = 0; i < n; ++i) std::move(due[i]).wake_and_drop();
      if (n < batch) break;
    }
    std::lock_guard<spin_lock> lock(lock_);
    if (generation != generation_ || closed_) return;  // a queue() or remove() armed or disarmed since
    armed_ = false;
    if (!heap_.empty()) arm_locked();
  }

  void shutdown() override {
    waker abandoned[batch];
    for (;;) {
      std::size_t n = 0;
      {
        std::lock_guard<spin_lock> lock(lock_);
        closed_ = true;
        ++generation_;
        armed_ = false;
        n = pop_abandoned_locked(abandoned);
        if (n == 0) timer_.reset();  // destroyed with the context's services still in place
      }
      for (std::size_t i = 0; i < n; ++i) std::move(abandoned[i]).wake_and_drop();
      if (n == 0) return;
    }
  }

  std::optional<timer_type> timer_;  // made by the first queue(), on its executor
};

}  // namespace futura::detail
