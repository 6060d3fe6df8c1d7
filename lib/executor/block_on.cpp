// The thread parker behind block_on: a reference-counted flag with a mutex and condition
// variable, the protocol of Rust's std::thread::park.
//
//   empty --park--> parked --unpark--> notified --(woken thread)--> empty
//   empty --unpark--> notified --park returns at once--> empty
#include <futura/executor/block_on.hpp>

#include <futura/combinator/detail/boxed_trampoline.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/ref_count.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace futura::detail {

class thread_parker : public intrusive_ref_count<thread_parker> {
 public:
  thread_parker() = default;
  void wake() noexcept { unpark(); }

  void park() {
    int expected = notified;
    if (state_.compare_exchange_strong(expected, empty, std::memory_order_acquire)) return;
    FUTURA_CHAOS_POINT("parker.park.about_to_lock");
    std::unique_lock<std::mutex> lock(mutex_);
    expected = empty;
    if (!state_.compare_exchange_strong(expected, parked, std::memory_order_acquire)) {
      // Notified between the first check and taking the lock.
      state_.exchange(empty, std::memory_order_acquire);
      return;
    }
    for (;;) {
      cv_.wait(lock);
      expected = notified;
      if (state_.compare_exchange_strong(expected, empty, std::memory_order_acquire)) return;
      // Spurious wakeup: still parked.
    }
  }

  void unpark() noexcept {
    if (state_.exchange(notified, std::memory_order_release) != parked) return;
    FUTURA_CHAOS_POINT("parker.unpark.was_parked");
    // The parked thread holds the mutex between its state change and its wait: taking the
    // mutex here orders our notify after its wait began.
    { std::lock_guard<std::mutex> lock(mutex_); }
    cv_.notify_one();
  }

 private:
  static constexpr int empty = 0;
  static constexpr int parked = 1;
  static constexpr int notified = 2;

  std::atomic<int> state_{empty};
  std::mutex mutex_;
  std::condition_variable cv_;
};

namespace {

// The waker vtable of block_on's parkers: ref_counted_waker's functions, in an object of the
// library so that the header can name its address (block_on_scope::raw() is inline).
raw_waker parker_clone(void* p) noexcept {
  static_cast<thread_parker*>(p)->add_ref();
  return {&block_on_parker_vtable, p};
}
void parker_wake(void* p) noexcept {
  static_cast<thread_parker*>(p)->wake();
  static_cast<thread_parker*>(p)->release();
}
void parker_wake_by_ref(void* p) noexcept { static_cast<thread_parker*>(p)->wake(); }
void parker_drop(void* p) noexcept { static_cast<thread_parker*>(p)->release(); }

// Set when this thread's parker was released at thread exit: a block_on run later in the
// thread's exit (from another thread_local's destructor) parks on a parker of its own.
thread_local bool parker_released_at_exit = false;

// Releases the thread's parker (block_on_this_thread, in the header, is trivially destructible
// so that the inline entry reads it without a TLS wrapper). Registered at the first parker.
struct thread_parker_holder {
  ~thread_parker_holder() {
    parker_released_at_exit = true;
    if (thread_parker* p = std::exchange(block_on_this_thread.parker, nullptr)) p->release();
  }
};

}  // namespace

const waker_vtable block_on_parker_vtable{&parker_clone, &parker_wake, &parker_wake_by_ref, &parker_drop};

thread_parker* block_on_scope::enter_slow() {
  block_on_thread& t = block_on_this_thread;
  // An inner block_on must not consume the outer one's wakeups: it gets a parker of its own.
  if (t.depth > 0 || parker_released_at_exit) return new thread_parker();
  static thread_local thread_parker_holder holder;  // registered here, runs at thread exit
  (void)holder;
  t.parker = new thread_parker();
  return t.parker;
}

void block_on_scope::release_parker(thread_parker* p) noexcept { p->release(); }

void block_on_scope::wait() { parker_->park(); }

}  // namespace futura::detail
