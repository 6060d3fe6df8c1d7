// futura/channel/from_callback.hpp — wrap a callback-style API in a future.
//
//   waiting(init) --first poll: init(cb)--> running --cb(v) called--> done
//                                             |----every cb copy dropped uncalled--> done (throws broken_promise)
//
// `from_callback<T>(init)`: at the first poll, calls `init(cb)` with a callable `cb(T)`
// (`cb()` for `T = void`) that is copyable, callable as an lvalue and from any thread (it fits
// in a `std::function<void(T)>`). The first call completes the future; later calls are ignored.
// If every copy of `cb` is destroyed without being called, the future throws
// `future_error(error::broken_promise)` instead of hanging.
//
// A moved-from `cb` is empty: copying, destroying and calling it are safe, and a call does
// nothing (it neither completes the future nor counts as a sender).
//
// `init` (and its captures) lives as long as the future. Exceptions thrown by `init`
// propagate out of the first poll. Allocation: one shared state, at the first poll.
#pragma once

#include <futura/channel/detail/oneshot_state.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/ref_count.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

/// The callable handed to `from_callback`'s `init`: `cb(value)` completes the future once.
template <class T>
class callback_handle {
 public:
  using value_type = detail::void_to_unit_t<T>;

  // Copies are more senders of the same future; a moved-from handle is empty, and an empty
  // handle may be copied, assigned, destroyed and called (a call does nothing).

  /// Completes the future with `v` (first call only; later calls are ignored).
  template <class U = T, std::enable_if_t<!std::is_void_v<U>, int> = 0>
  void operator()(value_type v) const {
    if (state_ && state_->try_claim()) state_->complete_with_value(false, std::move(v));
  }
  /// `T = void`: completes the future with `unit` (first call only).
  template <class U = T, std::enable_if_t<std::is_void_v<U>, int> = 0>
  void operator()() const {
    if (state_ && state_->try_claim()) state_->complete_with_value(false);
  }

 private:
  template <class, class>
  friend class from_callback_future;
  using state_type = detail::oneshot_state<value_type>;
  struct sender_traits {
    static void add(state_type* s) noexcept { s->add_sender(); }
    static void release(state_type* s) noexcept { s->release_sender(); }
  };
  explicit callback_handle(state_type* s) noexcept : state_(s) {}  // adopts a sender
  detail::ref_ptr<state_type, sender_traits> state_;
};

template <class T, class Init>
class [[nodiscard]] from_callback_future : public future_ext<from_callback_future<T, Init>> {
  static_assert(std::is_invocable_v<Init&, callback_handle<T>>,
                "futura::from_callback<T>(init): init must be callable as init(cb), where cb is a "
                "futura::callback_handle<T> (accept it by value, as auto, or as std::function<void(T)>)");

 public:
  using output_type = detail::void_to_unit_t<T>;

  explicit from_callback_future(Init init) : init_(std::move(init)) {}

  poll_result<output_type> poll(waker& w) {
    if (!started_) {
      started_ = true;
      auto* s = new detail::oneshot_state<output_type>();  // one sender (cb) + one receiver
      receiver_.emplace(s);
      init_(callback_handle<T>(s));
    }
    if (!receiver_ || !receiver_->valid()) detail::polled_after_completion("futura::from_callback_future");
    return receiver_->poll(w);
  }

 private:
  Init init_;
  std::optional<detail::oneshot_receiver<output_type>> receiver_;
  bool started_ = false;
};

/// A future completed by the first call of the callback that `init` receives.
/// @code
///   // legacy: void fetch(std::string key, std::function<void(int)> done);
///   auto f = futura::from_callback<int>([](auto cb) { fetch("answer", cb); });
///   int v = futura::block_on(std::move(f));
/// @endcode
template <class T, class Init>
from_callback_future<T, std::decay_t<Init>> from_callback(Init&& init) {
  return from_callback_future<T, std::decay_t<Init>>(std::forward<Init>(init));
}

}  // namespace futura
