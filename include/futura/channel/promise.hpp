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
// schedules; nothing is polled there). Allocation: one shared state, in the promise's
// constructor. Dropping the future releases its waker at once; a later set is harmless.
#pragma once

#include <futura/core/error.hpp>
#include <futura/core/future_ext.hpp>
#include <futura/detail/misuse.hpp>
#include <futura/detail/oneshot_state.hpp>

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
      : state_(std::exchange(o.state_, nullptr)), future_retrieved_(o.future_retrieved_) {}
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
    assert(state_ && "futura::promise: use of a moved-from promise");
    if (future_retrieved_) throw future_error(error::future_already_retrieved);
    future_retrieved_ = true;
    return promise_future<T>(state_);  // the receiver reference was counted at creation
  }

  /// Completes the future with `v`. Throws `error::promise_already_satisfied` if already set.
  void set_value(value_type v) {
    begin();
    state_->publish_value(std::move(v));
  }
  /// `promise<void>`: completes the future with `unit`.
  template <class U = T, std::enable_if_t<std::is_void_v<U>, int> = 0>
  void set_value() {
    begin();
    state_->publish_value();
  }

  /// Makes the future rethrow `e`. Throws `error::promise_already_satisfied` if already set.
  void set_exception(std::exception_ptr e) {
    begin();
    state_->publish_exception(std::move(e));
  }

  void swap(promise& o) noexcept {
    std::swap(state_, o.state_);
    std::swap(future_retrieved_, o.future_retrieved_);
  }

 private:
  void begin() {
    assert(state_ && "futura::promise: use of a moved-from promise");
    if (!state_->try_begin()) throw future_error(error::promise_already_satisfied);
  }
  void abandon() noexcept {
    if (auto* s = std::exchange(state_, nullptr)) {
      if (!future_retrieved_) s->release();  // nobody will ever hold the receiver reference
      s->release_sender();
    }
  }

  detail::oneshot_state<value_type>* state_;
  bool future_retrieved_ = false;
};

}  // namespace futura
