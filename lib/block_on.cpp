// The thread parker behind block_on: a reference-counted flag with a mutex and condition
// variable, the protocol of Rust's std::thread::park.
//
//   empty --park--> parked --unpark--> notified --(woken thread)--> empty
//   empty --unpark--> notified --park returns at once--> empty
#include <futura/executor/block_on.hpp>

#include <futura/detail/boxed_trampoline.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace futura::detail {

class thread_parker {
 public:
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void wake() noexcept { unpark(); }

  void park() {
    int expected = notified;
    if (state_.compare_exchange_strong(expected, empty, std::memory_order_acquire)) return;
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
    // The parked thread holds the mutex between its state change and its wait: taking the
    // mutex here orders our notify after its wait began.
    { std::lock_guard<std::mutex> lock(mutex_); }
    cv_.notify_one();
  }

 private:
  static constexpr int empty = 0;
  static constexpr int parked = 1;
  static constexpr int notified = 2;

  std::atomic<std::uint32_t> refs_{1};
  std::atomic<int> state_{empty};
  std::mutex mutex_;
  std::condition_variable cv_;
};

namespace {

using parker_waker = ref_counted_waker<thread_parker>;

struct thread_block_on_state {
  thread_parker* parker = nullptr;  // made at this thread's first block_on, owned here
  int depth = 0;
  ~thread_block_on_state() {
    if (parker) parker->release();
  }
};
thread_local thread_block_on_state this_thread;

}  // namespace

block_on_scope::block_on_scope() {
  boxed_thread& boxes = boxed_this_thread();
  saved_boxed_depth_ = boxes.poll_depth;
  boxes.poll_depth = 0;
  thread_block_on_state& t = this_thread;
  nested_ = t.depth++ > 0;
  if (nested_) {
    parker_ = new thread_parker();  // an inner block_on must not consume the outer one's wakeups
  } else {
    if (!t.parker) t.parker = new thread_parker();
    parker_ = t.parker;
  }
}

block_on_scope::~block_on_scope() {
  boxed_this_thread().poll_depth = saved_boxed_depth_;
  --this_thread.depth;
  if (nested_) parker_->release();
}

raw_waker block_on_scope::raw() const noexcept { return {&parker_waker::vtable, parker_}; }

void block_on_scope::park() { parker_->park(); }

}  // namespace futura::detail
