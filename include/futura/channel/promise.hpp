// futura/channel/promise.hpp — the bridge from any callback API: a promise and its future.
//
//   promise_future: waiting --set_value / set_exception / promise destroyed--> done
//
// `promise<T>` is set from any thread; `get_future()` (called once, before the promise is
// handed to other threads) returns a `promise_future<T>` whose output is `T` (`unit` for
// `promise<void>`), or which rethrows the exception that was set. A promise destroyed without
// a result makes its future throw `future_error` with `error::broken_promise`; setting twice
// throws `error::promise_already_satisfied`.
//
// Threads: the future's waker is woken on the thread that sets the promise (wake only
// schedules; nothing is polled there). A promise is one object, set by one thread at a time
// (move it to the thread that sets it); for a callback that several threads may race to call,
// use from_callback, whose first call wins. Cost: setting is one CAS on the state, plus the wake and
// drop of the registered waker, if any (for a task waker: a read-modify-write on the task's word,
// a reference-count drop and, if the task was idle, a post). Allocation: one shared state, in the promise's
// constructor. Dropping the future releases its waker at once; a later set is harmless.
#pragma once

#include <futura/channel/detail/oneshot_state.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>

#include <cassert>
#include <exception>
#include <type_traits>
#include <utility>

namespace futura {

/// The future of a `promise<T>`: output `T` (`unit` for `T = void`).
template <class T>
class [[nodiscard]] promise_future : public future_ext<promise_future<T>> {
 public:
  using output_type = detail::void_to_unit_t<T>;

  poll_result<output_type> poll(waker& w) {
    if (!receiver_.valid()) detail::polled_after_completion("futura::promise_future");
    return receiver_.poll(w);
  }

 private:
  template <class>
  friend class promise;
  explicit promise_future(detail::oneshot_state<output_type>* s) noexcept : receiver_(s) {}
  detail::oneshot_receiver<output_type> receiver_;
};

/// Sets the output of a `promise_future` from any thread.
/// @code
///   futura::promise<int> p;
///   auto f = p.get_future();
///   std::thread t([p = std::move(p)]() mutable { p.set_value(42); });
///   int v = futura::block_on(std::move(f));   // 42
///   t.join();
/// @endcode
template <class T>
class promise {
  static_assert(!std::is_reference_v<T>, "futura::promise<T>: T must be a value type");

 public:
  using value_type = detail::void_to_unit_t<T>;

  promise() : state_(new detail::oneshot_state<value_type>()) {}
  promise(promise&& o) noexcept
      : state_(std::exchange(o.state_, nullptr)),
        future_retrieved_(std::exchange(o.future_retrieved_, false)),
        satisfied_(std::exchange(o.satisfied_, false)) {}
  promise& operator=(promise&& o) noexcept {
    promise(std::move(o)).swap(*this);
    return *this;
  }
  promise(const promise&) = delete;
  promise& operator=(const promise&) = delete;
  ~promise() { abandon(); }

  /// The future of this promise. Call once; a second call throws
  /// `future_error(error::future_already_retrieved)`.
  promise_future<T> get_future() {
    if (future_retrieved_) detail::throw_future_error(error::future_already_retrieved);
    assert(state_ && "futura::promise: use of a moved-from promise");
    future_retrieved_ = true;
    promise_future<T> f(state_);       // hands over the receiver's share, held since construction
    if (satisfied_) state_ = nullptr;  // the sending side already left when it was set
    return f;
  }

  /// Completes the future with `v`. Throws `error::promise_already_satisfied` if already set.
  void set_value(value_type v) { begin()->complete_with_value(true, std::move(v)); }
  /// `promise<void>`: completes the future with `unit`.
  template <class U = T, std::enable_if_t<std::is_void_v<U>, int> = 0>
  void set_value() {
    begin()->complete_with_value(true);
  }

  /// Makes the future rethrow `e`. Throws `error::promise_already_satisfied` if already set.
  void set_exception(std::exception_ptr e) { begin()->complete_with_exception(std::move(e), true); }

  void swap(promise& o) noexcept {
    std::swap(state_, o.state_);
    std::swap(future_retrieved_, o.future_retrieved_);
    std::swap(satisfied_, o.satisfied_);
  }

 private:
  /// The state to complete. Everything the promise itself records happens here, before the
  /// completing CAS: from that CAS on the future may see the value and its owner destroy this
  /// promise while set_value is still returning.
  detail::oneshot_state<value_type>* begin() {
    if (satisfied_) detail::throw_future_error(error::promise_already_satisfied);
    assert(state_ && "futura::promise: use of a moved-from promise");
    satisfied_ = true;
    auto* s = state_;
    if (future_retrieved_) state_ = nullptr;  // the sending side leaves in the completing CAS
    return s;
  }
  void abandon() noexcept {
    if (state_ == nullptr) return;
    if (!future_retrieved_) {
      state_->destroy_unshared();  // nobody else ever saw the state
    } else {
      state_->complete_broken();  // not satisfied: satisfied and retrieved leaves state_ null
    }
    state_ = nullptr;
  }

  // Until get_future the promise also holds the receiver's share, so the state stays for it.
  detail::oneshot_state<value_type>* state_;
  bool future_retrieved_ = false;
  // A promise has one owner, so "already set" is its own flag, not a shared atomic: setting
  // costs only the state's completing CAS, in which the sending side also leaves.
  bool satisfied_ = false;
};

}  // namespace futura
