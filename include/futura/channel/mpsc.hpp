// futura/channel/mpsc.hpp — multi-producer, single-consumer channels: `mpsc::unbounded<T>()`.
//
//   open --rx.close()--> closed: sends fail (error::closed, value back); the buffered items are
//                        still received, then the stream ends
//   open --receiver dropped--> closed: sends fail; the buffered items are destroyed at once
//   open --every sender gone--> draining: the buffered items are received, then the stream ends
//   receiver: an item --poll--> item | nothing buffered --poll--> pending (parked) | ended --poll--> std::nullopt
//             after std::nullopt --poll--> polled_after_completion
//
// `auto [tx, rx] = futura::mpsc::unbounded<T>();`: `tx.send(v)` puts `v` in the channel at once
// and never waits; it returns a `send_result<T>`, which is true when `v` was sent and otherwise
// holds `v` again with `error::closed`. The receiver is a stream of `T` (derive the adapters and
// consumers of `stream_ext` from it): `rx.next()`, `std::move(rx).for_each(f)`, ...
//
// Ordering: the items of one sender arrive in the order of its sends; items of different senders
// interleave in the order their sends took the channel's lock. Every item sent is received
// exactly once or, if the receiver is dropped first, destroyed with it; a send that fails hands its
// value back in the send_result. Nothing is lost silently.
// Threads: senders may be copied, used and dropped on any thread; the receiver is used by one
// thread at a time (it may move between threads). A send wakes the receiver only when the receiver
// is parked (it found the channel empty): a burst of sends wakes a parked receiver once.
// End: the stream ends when every sender is gone and the buffer is drained, or after `rx.close()`
// when the buffer is drained.
// Destruction: dropping the receiver closes the channel and destroys the items still buffered
// (to receive them, call `rx.close()` and drain the stream first); senders then fail with their
// value back. Dropping the last sender wakes a parked receiver, whose stream then ends.
// Moved-from handles: a moved-from (or default-constructed) sender is empty: it does not keep the
// channel open, `is_closed()` is true and a send fails with `error::closed` and the value back. A
// moved-from receiver is empty: polling it is a contract violation (`polled_after_completion`,
// rule 4), `try_recv()` answers `error::closed`, `close()` does nothing.
// Allocation: one shared state per channel. Senders push into one vector and the receiver swaps it
// for its own emptied one, so the two vectors trade places and keep their capacity: once they
// have grown to the largest burst, sends and receives allocate nothing. Per item: one lock taken
// by the sender; the receiver takes the lock once per batch (docs/design.md, "The mpsc channel").
// Cancel safety: a dropped `rx.next()` loses no item (an item leaves the channel only in the
// poll that returns it).
#pragma once

#include <futura/channel/detail/mpsc_endpoints.hpp>
#include <futura/channel/detail/mpsc_state.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace futura::mpsc {

/// The outcome of a send: true when the value is in the channel; otherwise `code()` says why
/// (`futura::error::closed`, or `futura::error::full` from a bounded `try_send`) and `value()` holds
/// the value that was not sent, to take back. Converts to `boost::system::result<void>` (which
/// drops the value).
template <class T>
class [[nodiscard]] send_result {
 public:
  /// Sent.
  send_result() noexcept = default;
  /// Not sent, because of `e`; `v` is handed back.
  send_result(error e, T&& v) : error_(e), value_(std::in_place, std::move(v)) {}

  explicit operator bool() const noexcept { return !value_.has_value(); }
  /// Empty when sent; `futura::error::closed` or `futura::error::full` otherwise.
  boost::system::error_code code() const noexcept {
    return value_ ? make_error_code(error_) : boost::system::error_code();
  }

  /// The value that was not sent (a send that failed only).
  T& value() & {
    check_unsent();
    return *value_;
  }
  const T& value() const& {
    check_unsent();
    return *value_;
  }
  T&& value() && {
    check_unsent();
    return std::move(*value_);
  }

  operator boost::system::result<void>() const {  // NOLINT(google-explicit-constructor): a result is what it is
    if (!value_) return {};
    return boost::system::result<void>(boost::system::in_place_error, code());
  }

 private:
  void check_unsent() const {
    if (!value_) {
      detail::throw_standard<std::logic_error>(boost::system::errc::operation_not_permitted,
                                               "futura::mpsc::send_result::value(): the value was sent");
    }
  }

  error error_ = error::closed;
  std::optional<T> value_;
};

template <class T>
class unbounded_sender;
template <class T>
class unbounded_receiver;
template <class T>
std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded();

/// The sending end of an unbounded channel. Copyable: every copy is a sender; the channel stays
/// open for its receiver while one exists. Every member may be called from any thread.
template <class T>
class unbounded_sender {
  using state_type = detail::mpsc_state<T, detail::unbounded_places>;

 public:
  /// An empty sender (as a moved-from one): sends fail with `error::closed`.
  unbounded_sender() noexcept = default;

  /// Puts `v` in the channel at once (never waits); fails with `error::closed` and `v` back when
  /// the receiver is closed or gone.
  send_result<T> send(T v) const {
    if (state_ && state_->push(v)) return send_result<T>();
    return send_result<T>(error::closed, std::move(v));
  }

  /// True once the receiver is closed or dropped (and for an empty sender).
  bool is_closed() const noexcept { return !state_ || state_->is_closed(); }

 private:
  friend std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded<T>();
  explicit unbounded_sender(state_type* adopted) noexcept : state_(adopted) {}

  detail::mpsc_sender_ref<state_type> state_;
};

/// The receiving end of an unbounded channel: a stream of `T`. Move-only.
template <class T>
class [[nodiscard]] unbounded_receiver : public stream_ext<unbounded_receiver<T>> {
 public:
  using item_type = T;

  /// An empty receiver (as a moved-from one).
  unbounded_receiver() noexcept = default;

  /// The next item; pending while nothing is buffered and senders remain; `std::nullopt` at the
  /// end (every sender gone, or closed, and nothing buffered).
  poll_result<std::optional<T>> poll_next(waker& w) { return core_.poll_next(w, "futura::mpsc::unbounded_receiver"); }

  /// The next item if one is buffered; `error::empty` while senders remain; `error::closed` once
  /// the channel is closed or every sender is gone, and nothing is buffered.
  boost::system::result<T> try_recv() { return core_.try_recv(); }

  /// Refuses new sends (they fail with `error::closed` and their value back); the items already
  /// buffered are still received, then the stream ends.
  void close() noexcept { core_.close(); }

 private:
  friend std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded<T>();
  using core_type = detail::mpsc_receiver_core<T, detail::unbounded_places>;
  explicit unbounded_receiver(typename core_type::state_type* adopted) noexcept : core_(adopted, {}) {}

  core_type core_;
};

/// A channel of unlimited capacity: the sender's `send` never waits, from any thread.
/// @code
///   auto [tx, rx] = futura::mpsc::unbounded<int>();
///   std::thread producer([tx = std::move(tx)] {
///     for (int i = 0; i < 3; ++i) (void)tx.send(i);
///   });                                   // the stream ends when the thread drops tx
///   std::vector<int> v = futura::block_on(std::move(rx).collect());   // {0, 1, 2}
///   producer.join();
/// @endcode
template <class T>
std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded() {
  static_assert(std::is_move_constructible_v<T> && !std::is_reference_v<T>,
                "futura::mpsc::unbounded<T>(): T must be a move-constructible object type");
  using state_type = detail::mpsc_state<T, detail::unbounded_places>;
  auto* s = new state_type(0, 0);  // owned by one sender and the receiver
  return {unbounded_sender<T>(s), unbounded_receiver<T>(s)};
}

}  // namespace futura::mpsc
