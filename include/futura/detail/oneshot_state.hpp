// futura/detail/oneshot_state.hpp — the heap state behind promise<T> and from_callback<T>.
//
//   empty --try_begin (one sender wins)--> writing --publish--> value | exception
//   empty --last sender released-------------------------------> broken
//
// Senders (a promise, or every copy of a from_callback handle) and the one receiver each hold
// a reference; the state is freed by whoever releases last, on any thread. The receiver reads
// the status with acquire, after registering its waker, so a value published between its
// check and its registration still wakes it (rule 3).
#pragma once

#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/detail/atomic_waker.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

namespace futura::detail {

template <class T>
class oneshot_state {
 public:
  /// A new state with one sender and one receiver reference.
  oneshot_state() = default;
  oneshot_state(const oneshot_state&) = delete;
  oneshot_state& operator=(const oneshot_state&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  /// A new sender (copy of a callback handle): a reference plus a sender count.
  void add_sender() noexcept {
    senders_.fetch_add(1, std::memory_order_relaxed);
    add_ref();
  }
  /// Drops a sender; the last one to go without a value breaks the promise.
  void release_sender() noexcept {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::uint8_t expected = empty;
      if (status_.compare_exchange_strong(expected, broken, std::memory_order_release, std::memory_order_relaxed)) {
        waker_.wake();
      }
    }
    release();
  }

  /// Claims the right to set the result. False when someone already did.
  bool try_begin() noexcept {
    std::uint8_t expected = empty;
    return status_.compare_exchange_strong(expected, writing, std::memory_order_acquire, std::memory_order_relaxed);
  }
  /// After a successful try_begin: publishes the value and wakes the receiver.
  template <class... Args>
  void publish_value(Args&&... args) {
    try {
      value_.emplace(std::forward<Args>(args)...);
    } catch (...) {
      error_ = std::current_exception();
      publish(has_exception);
      return;
    }
    publish(has_value);
  }
  /// After a successful try_begin: publishes an exception and wakes the receiver.
  void publish_exception(std::exception_ptr e) noexcept {
    error_ = std::move(e);
    publish(has_exception);
  }

  /// The receiver's poll. Once it returned ready (or threw), it must not be called again.
  poll_result<T> poll(const waker& w) {
    std::uint8_t s = status_.load(std::memory_order_acquire);
    if (s < has_value) {
      waker_.register_waker(w);
      s = status_.load(std::memory_order_acquire);
      if (s < has_value) return pending;
    }
    if (s == has_value) return poll_result<T>(std::in_place, std::move(*value_));
    if (s == has_exception) std::rethrow_exception(error_);
    throw future_error(error::broken_promise);
  }

  /// The receiver is gone: release the waker it registered (it may own a task) right away.
  void close_receiver() noexcept { waker_.take(); }

 private:
  static constexpr std::uint8_t empty = 0;
  static constexpr std::uint8_t writing = 1;
  static constexpr std::uint8_t has_value = 2;
  static constexpr std::uint8_t has_exception = 3;
  static constexpr std::uint8_t broken = 4;

  ~oneshot_state() = default;

  void publish(std::uint8_t s) noexcept {
    // Once the status is stored the receiver may complete and the promise be destroyed on
    // another thread while this thread is still waking: hold a reference across the wake.
    add_ref();
    status_.store(s, std::memory_order_release);
    waker_.wake();
    release();
  }

  std::atomic<std::uint32_t> refs_{2};
  std::atomic<std::uint32_t> senders_{1};
  std::atomic<std::uint8_t> status_{empty};
  atomic_waker waker_;
  std::optional<T> value_;
  std::exception_ptr error_;
};

/// The receiving end: owns one reference, drops it on completion or destruction.
template <class T>
class oneshot_receiver {
 public:
  explicit oneshot_receiver(oneshot_state<T>* s) noexcept : state_(s) {}
  oneshot_receiver(oneshot_receiver&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  oneshot_receiver& operator=(oneshot_receiver&& o) noexcept {
    oneshot_receiver(std::move(o)).swap(*this);
    return *this;
  }
  ~oneshot_receiver() { reset(); }

  bool valid() const noexcept { return state_ != nullptr; }

  /// Polls the state; on ready or on an exception the state is released.
  poll_result<T> poll(const waker& w) {
    try {
      poll_result<T> r = state_->poll(w);
      if (r.is_ready()) reset();
      return r;
    } catch (...) {
      reset();
      throw;
    }
  }

  void swap(oneshot_receiver& o) noexcept { std::swap(state_, o.state_); }

 private:
  void reset() noexcept {
    if (auto* s = std::exchange(state_, nullptr)) {
      s->close_receiver();
      s->release();
    }
  }
  oneshot_state<T>* state_;
};

}  // namespace futura::detail
