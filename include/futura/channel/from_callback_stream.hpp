// futura/channel/from_callback_stream.hpp — wrap a callback that fires many times in a stream.
//
//   waiting(init) --first poll: init(cb)--> running --cb(v) called--> an item is buffered
//   running --poll: an item is buffered--> item | --nothing buffered--> pending
//   running --every copy of cb destroyed, buffer drained--> std::nullopt --poll--> polled_after_completion
//
// `from_callback_stream<T>(init)`: at the first poll, calls `init(cb)` with a callable `cb(T)`
// (`cb()` for `T = void`, whose items are `unit`) that is copyable, callable as a const lvalue and
// from any thread (it fits in a `std::function<void(T)>`). Every call yields an item; the calls of
// one thread arrive in call order, those of several threads interleave. The stream ends when every
// copy of `cb` is destroyed and its items are drained.
//
// Built on `mpsc::unbounded<T>()` (cb holds its sender): a call never waits and never fails while
// the stream lives, so the callback side is unbounded. If the producer outruns the consumer,
// items accumulate in memory; put the back-pressure where the producer can be slowed (pause the
// subscription, or consume with a bounded `mpsc::channel` and a producer that may block).
// Threads: `cb` from any thread; the stream is polled by one thread at a time.
// Destruction: dropping the stream destroys the items buffered; later calls of `cb` destroy their
// value and do nothing else. A moved-from `cb` is empty: calling it does nothing, and it does not
// keep the stream open. `init` (and its captures) lives as long as the stream. Exceptions thrown
// by `init` propagate out of the first poll (the stream then ends once no copy of cb is left).
// Allocation: one shared state, at the first poll; the buffer grows to the largest burst, then
// calls allocate nothing.
#pragma once

#include <futura/channel/mpsc.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

/// The callable handed to `from_callback_stream`'s `init`: each `cb(value)` yields an item.
template <class T>
class callback_stream_handle {
 public:
  using value_type = detail::void_to_unit_t<T>;

  // Copies are more producers of the same stream; a moved-from handle is empty (a call does
  // nothing).

  /// Yields `v` (destroyed instead when the stream is gone).
  template <class U = T, std::enable_if_t<!std::is_void_v<U>, int> = 0>
  void operator()(value_type v) const {
    (void)tx_.send(std::move(v));
  }
  /// `T = void`: yields `unit`.
  template <class U = T, std::enable_if_t<std::is_void_v<U>, int> = 0>
  void operator()() const {
    (void)tx_.send(unit{});
  }

 private:
  template <class, class>
  friend class callback_stream;
  explicit callback_stream_handle(mpsc::unbounded_sender<value_type> tx) noexcept : tx_(std::move(tx)) {}

  mpsc::unbounded_sender<value_type> tx_;
};

template <class T, class Init>
class [[nodiscard]] callback_stream : public stream_ext<callback_stream<T, Init>> {
  static_assert(std::is_invocable_v<Init&, callback_stream_handle<T>>,
                "futura::from_callback_stream<T>(init): init must be callable as init(cb), where cb is a "
                "futura::callback_stream_handle<T> (accept it by value, as auto, or as std::function<void(T)>)");

 public:
  using item_type = detail::void_to_unit_t<T>;

  explicit callback_stream(Init init) : init_(std::move(init)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (!started_) {
      started_ = true;
      auto channel = mpsc::unbounded<item_type>();
      rx_ = std::move(channel.second);
      init_(callback_stream_handle<T>(std::move(channel.first)));
    }
    if (ended_) detail::polled_after_completion("futura::callback_stream");
    poll_result<std::optional<item_type>> r = rx_.poll_next(w);
    ended_ = r.is_ready() && !r.value().has_value();
    return r;
  }

 private:
  Init init_;
  mpsc::unbounded_receiver<item_type> rx_;
  bool started_ = false;
  bool ended_ = false;
};

/// A stream of the values passed to the callback that `init` receives, until every copy of the
/// callback is gone.
/// @code
///   // legacy: void subscribe(std::function<void(event)> on_event);   // calls it from its thread
///   auto events = futura::from_callback_stream<event>([](auto cb) { subscribe(cb); });
///   futura::block_on(std::move(events).for_each([](event e) { handle(e); }));
/// @endcode
template <class T, class Init>
callback_stream<T, std::decay_t<Init>> from_callback_stream(Init&& init) {
  return callback_stream<T, std::decay_t<Init>>(std::forward<Init>(init));
}

}  // namespace futura
