// futura/asio/detail/async_op_state.hpp — the heap state an Asio operation shares with its future.
//
//   running --handler called------------------------> value | exception
//   running --handler destroyed uncalled (shutdown)--> abandoned
//
// Two owners hold a reference each: the future (through `op_in_flight`) and the completion
// handler Asio holds. Whoever lets go last frees the state, on any thread. This is what makes a
// drop mid-flight safe: the future may be gone long before Asio runs (or destroys) the handler,
// and the handler then writes into state that is still alive (nobody reads it any more).
//
// The state also owns the `cancellation_signal` whose slot the handler exposes, so the operation
// can install its cancellation handler there; the signal must live as long as the operation may
// touch the slot, which is exactly as long as the handler lives.
// Allocation: from the per-thread recycling cache (recycling_pool.hpp), which the completion
// handlers also give Asio as their associated allocator for the operation itself.
#pragma once

#include <futura/asio/detail/recycling_pool.hpp>
#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>

namespace futura::detail {

template <class Output>
class async_op_state : public intrusive_ref_count<async_op_state<Output>> {
 public:
  /// A new state with two references: one for the future, one for the completion handler.
  async_op_state() noexcept : intrusive_ref_count<async_op_state<Output>>(2) {}
  async_op_state(const async_op_state&) = delete;
  async_op_state& operator=(const async_op_state&) = delete;
  ~async_op_state() {
    // The last release synchronised with the handler's publish: the status is final.
    const std::uint8_t s = status_.load(std::memory_order_relaxed);
    if (s == has_value) {
      out_.value.~Output();
    } else if (s == has_exception) {
      out_.error.~exception_ptr();
    }
  }

  // States come from the per-thread recycling cache: one is made and freed per operation.
  static void* operator new(std::size_t size) { return recycling::allocate(size, alignof(std::max_align_t)); }
  static void operator delete(void* p, std::size_t size) noexcept {
    recycling::deallocate(p, size, alignof(std::max_align_t));
  }
  static void* operator new(std::size_t size, std::align_val_t align) {
    return recycling::allocate(size, static_cast<std::size_t>(align));
  }
  static void operator delete(void* p, std::size_t size, std::align_val_t align) noexcept {
    recycling::deallocate(p, size, static_cast<std::size_t>(align));
  }

  /// The slot the completion handler reports as its associated cancellation slot.
  boost::asio::cancellation_slot cancellation_slot() noexcept { return signal_.slot(); }

  // ---- the handler's side (runs on the IO object's executor) ----

  /// Stores the output (built from `args`) and wakes the future.
  template <class... Args>
  void complete(Args&&... args) noexcept {
    try {
      ::new (static_cast<void*>(&out_.value)) Output(std::forward<Args>(args)...);
    } catch (...) {
      ::new (static_cast<void*>(&out_.error)) std::exception_ptr(std::current_exception());
      publish(has_exception);
      return;
    }
    publish(has_value);
  }

  /// The handler was destroyed without being called (its io_context was shut down).
  void abandon() noexcept { publish(abandoned); }

  // ---- the future's side ----

  /// Registers the waker of the poll that starts the operation, before it starts: nobody else
  /// can reach the state yet, so this is a plain write, and the poll that started the operation
  /// returns pending without registering (started_pending()). Saves the two locked instructions
  /// of a registration per operation (docs/performance.md, "Change 12"). If the start throws,
  /// the handler's destruction wakes this waker once: a spurious wake, which rule 3 allows.
  void register_before_start(const waker& w) noexcept { waker_.register_unpublished(w); }

  /// After a start that followed register_before_start(): true while the operation runs, so
  /// that its completion will wake the waker already registered. False when it finished
  /// meanwhile (on another thread): poll() then gives its output.
  bool started_pending() const noexcept {
    FUTURA_CHAOS_POINT("async_op.started");  // the operation may complete on another thread here
    return !finished();
  }

  /// Ready once the handler ran. Throws what building the output threw, or
  /// `future_error(broken_promise)` when the handler was destroyed uncalled.
  poll_result<Output> poll(const waker& w) {
    std::uint8_t s = status_.load(std::memory_order_acquire);
    if (s == running) {
      waker_.register_waker(w);
      s = status_.load(std::memory_order_acquire);  // a completion between the load and the register
      if (s == running) return pending;
    }
    if (s == has_value) return poll_result<Output>(std::in_place, std::move(out_.value));
    if (s == has_exception) std::rethrow_exception(out_.error);
    throw future_error(error::broken_promise,
                       "futura: the Asio operation's handler was destroyed without being called");
  }

  /// True once the handler ran (or was destroyed): the operation is over.
  bool finished() const noexcept { return status_.load(std::memory_order_acquire) != running; }

  /// The future is gone: release the waker it registered (it may keep a task alive) at once.
  void close_receiver() noexcept { waker_.take(); }

  /// Cancels the operation unless it already finished: emits terminal cancellation on its slot.
  /// Call it on the IO object's executor: the slot is not thread-safe (Asio's rule).
  void cancel() {
    if (!finished()) signal_.emit(boost::asio::cancellation_type::terminal);
  }

 private:
  static constexpr std::uint8_t running = 0;
  static constexpr std::uint8_t has_value = 1;
  static constexpr std::uint8_t has_exception = 2;
  static constexpr std::uint8_t abandoned = 3;

  void publish(std::uint8_t s) noexcept {
    status_.store(s, std::memory_order_release);
    waker_.wake();
  }

  /// What the handler stored; the status says which member lives (neither while running).
  union output_storage {
    output_storage() noexcept {}
    ~output_storage() {}
    Output value;
    std::exception_ptr error;
  };

  // Order: what the future's last poll and the state's destruction read (the status, the
  // signal's handler pointer, the output) comes first, so that a state that completed long
  // ago costs one cache line to collect (docs/performance.md, W5).
  std::atomic<std::uint8_t> status_{running};
  boost::asio::cancellation_signal signal_;
  output_storage out_;
  atomic_waker waker_;
};

}  // namespace futura::detail
