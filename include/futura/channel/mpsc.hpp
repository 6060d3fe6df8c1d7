// futura/channel/mpsc.hpp — multi-producer, single-consumer channels: `mpsc::channel<T>(capacity)`
// (bounded) and `mpsc::unbounded<T>()`.
//
//   open --rx.close()--> closed: sends fail (error::closed, value back), waiting sends too; the
//                        buffered items are still received, then the stream ends
//   open --receiver dropped--> closed: sends fail; the buffered items are destroyed at once
//   open --every sender (and pending send future) gone--> draining: the buffered items are
//                        received, then the stream ends
//   receiver: an item --poll--> item | nothing buffered --poll--> pending (parked)
//             ended --poll--> std::nullopt --poll--> polled_after_completion
//   bounded send: start --first poll: a place is free and nobody waits--> value in; sent
//                 start --first poll: full, or others wait--> waiting (FIFO) --a place is set
//                 aside for it--> woken --next poll: value in--> sent
//                 waiting --closed--> failed (value back)    waiting --dropped--> value destroyed,
//                 its place (if set aside) goes to the next waiter
//
// `auto [tx, rx] = futura::mpsc::channel<T>(n);`: the channel holds up to `n` items (as tokio's:
// exactly `n`; `n == 0` throws `std::invalid_argument`). `tx.send(v)` is a future of
// `send_result<T>`, pending while the channel is full; `tx.try_send(v)` answers at once (it
// succeeds only when the channel is open, nobody waits and there is room: `error::closed` or
// `error::full` otherwise). `auto [utx, urx] = futura::mpsc::unbounded<T>();`: `utx.send(v)` puts
// `v` in at once and never waits, from any thread. A `send_result<T>` is true when `v` was sent and
// otherwise holds `v` again with the reason. Receivers are streams of `T` (the adapters and
// consumers of `stream_ext` apply: `rx.next()`, `std::move(rx).for_each(f)`, ...).
//
// Ordering: the items of one sender arrive in the order of its sends; items of different senders
// interleave in the order their sends took the channel's lock. Waiting bounded sends are served
// in FIFO order: a freed place is set aside for the oldest waiting send, whose value enters the
// channel at that send's next poll. Every item sent is received exactly once or, if the receiver
// is dropped first, destroyed with it; a send that fails hands its value back in its send_result.
// Nothing is lost silently.
// Threads: senders and send futures may be copied, used and dropped on any thread; the receiver
// is used by one thread at a time (it may move between threads). A send wakes the receiver only
// when the receiver is parked (it found the channel empty): a burst of sends wakes it once.
// Destruction: dropping the receiver closes the channel and destroys the items still buffered
// (to receive them, call `rx.close()` and drain the stream first); waiting and later sends fail
// with their value back. Dropping the last sender (or send future) wakes a parked receiver,
// whose stream then ends. Dropping a pending send future destroys its value and hands its place,
// if one was set aside for it, to the next waiting send.
// Moved-from handles: a moved-from (or default-constructed) sender is empty: it does not keep the
// channel open, `is_closed()` is true and its sends fail with `error::closed` and the value back.
// A moved-from receiver is empty: polling it is a contract violation (`polled_after_completion`,
// rule 4), `try_recv()` answers `error::closed`, `close()` does nothing. The send future does not
// refer to its sender, so the sender may move or go while it is pending (rule 2); a moved-from
// send future is finished (polling it is a contract violation).
// Allocation: one shared state per channel. Senders push into one vector and the receiver swaps it
// for its own emptied batch, so the two vectors trade places and keep their capacity. A bounded
// channel reserves both for its capacity when it is made; an unbounded one grows them to the
// largest burst. After that, sends and receives allocate nothing (a waiting send's queue node
// comes from the semaphore's pool). Per item: one lock taken by the sender (a bounded send also
// takes a place: one compare-and-swap when nobody waits); the receiver takes the lock once per
// batch and gives a place back per item (docs/design.md, "The mpsc channel").
// Exceptions: if T's move constructor throws into the channel (or an unbounded buffer cannot
// grow), the exception propagates out of the send and the value is destroyed; a bounded send
// gives its place back and is finished. If it throws out of the receiver's batch, the exception
// propagates out of that poll and the item stays in the channel.
// Cancel safety: a dropped `rx.next()` loses no item (an item leaves the channel only in the
// poll that returns it); a dropped send future destroys its value, and its place goes on.
#pragma once

#include <futura/channel/detail/mpsc_endpoints.hpp>
#include <futura/channel/detail/mpsc_state.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

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

template <class T, class Places>
class basic_receiver;
/// The receiving end of a bounded channel (`channel<T>(n)`): a stream of `T`.
template <class T>
using receiver = basic_receiver<T, detail::bounded_places>;
/// The receiving end of an unbounded channel (`unbounded<T>()`): a stream of `T`.
template <class T>
using unbounded_receiver = basic_receiver<T, detail::unbounded_places>;

template <class T>
class sender;
template <class T>
class unbounded_sender;
template <class T>
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity);
template <class T>
std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded();

/// The receiving end of a channel, as `receiver<T>` (bounded) or `unbounded_receiver<T>`: a
/// stream of `T`, in send order per sender. Move-only. A bounded channel's receiver frees an
/// item's place for the senders as it hands the item out.
template <class T, class Places>
class [[nodiscard]] basic_receiver : public stream_ext<basic_receiver<T, Places>> {
  static_assert(sizeof(detail::mpsc_item_check<T>) != 0);  // instantiates the check first
 public:
  using item_type = T;

  /// An empty receiver (as a moved-from one).
  basic_receiver() noexcept = default;

  /// The next item; pending while nothing is buffered and senders remain; `std::nullopt` at the
  /// end (every sender and pending send future gone, or closed, and nothing buffered).
  poll_result<std::optional<T>> poll_next(waker& w) { return core_.poll_next(w, name()); }

  /// The next item if one is buffered; `error::empty` while senders remain; `error::closed` once
  /// the channel is closed or every sender is gone, and nothing is buffered.
  boost::system::result<T> try_recv() { return core_.try_recv(); }

  /// Refuses new sends: waiting and later sends fail with `error::closed` and their value back;
  /// the items already buffered are still received, then the stream ends.
  void close() noexcept { core_.close(); }

 private:
  template <class U>
  friend std::pair<sender<U>, receiver<U>> channel(std::size_t);
  template <class U>
  friend std::pair<unbounded_sender<U>, unbounded_receiver<U>> unbounded();
  using core_type = detail::mpsc_receiver_core<T, Places>;
  /// For the report of a poll after the end (rule 4).
  static constexpr const char* name() noexcept {
    return std::is_same_v<Places, detail::bounded_places> ? "futura::mpsc::receiver"
                                                          : "futura::mpsc::unbounded_receiver";
  }
  basic_receiver(typename core_type::state_type* adopted, std::vector<T> batch) noexcept
      : core_(adopted, std::move(batch)) {}

  core_type core_;
};

/// The sending end of an unbounded channel. Copyable: every copy is a sender; the channel stays
/// open for its receiver while one exists. Every member may be called from any thread.
template <class T>
class unbounded_sender : public detail::mpsc_sender_base<T, detail::unbounded_places> {
  using base = detail::mpsc_sender_base<T, detail::unbounded_places>;

 public:
  /// An empty sender (as a moved-from one): sends fail with `error::closed`.
  unbounded_sender() noexcept = default;

  /// Puts `v` in the channel at once (never waits); fails with `error::closed` and `v` back when
  /// the receiver is closed or gone.
  send_result<T> send(T v) const {
    if (this->state_ && this->state_->push(v)) return send_result<T>();
    return send_result<T>(error::closed, std::move(v));
  }

 private:
  friend std::pair<unbounded_sender<T>, unbounded_receiver<T>> unbounded<T>();
  explicit unbounded_sender(typename base::state_type* adopted) noexcept : base(adopted) {}
};

/// The future of `tx.send(v)` on a bounded channel: done (true) once `v` is in the channel, or
/// failed with `error::closed` and `v` back. It owns a sender of its own (it keeps the channel
/// open until it completes or is dropped) and does not refer to the `sender` it came from.
template <class T>
class [[nodiscard]] send_future : public future_ext<send_future<T>> {
  static_assert(sizeof(detail::mpsc_item_check<T>) != 0);  // instantiates the check first
  using state_type = detail::mpsc_state<T, detail::bounded_places>;

 public:
  using output_type = send_result<T>;

  send_future(send_future&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(o.value_)),  // first: if T's move throws, `o` is left as it was
        place_(std::move(o.place_)),
        state_(std::exchange(o.state_, nullptr)),
        failed_(o.failed_) {
    o.value_.reset();
    o.place_.reset();
  }
  send_future& operator=(send_future&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      leave();
      if (o.value_) value_.emplace(std::move(*o.value_));
      o.value_.reset();
      place_ = std::move(o.place_);
      o.place_.reset();
      state_ = std::exchange(o.state_, nullptr);
      failed_ = o.failed_;
    }
    return *this;
  }
  send_future(const send_future&) = delete;
  send_future& operator=(const send_future&) = delete;
  /// Dropped while pending: the value is destroyed and a place set aside for it goes on.
  ~send_future() { leave(); }

  poll_result<send_result<T>> poll(waker& w) {
    if (!value_) detail::polled_after_completion("futura::mpsc::send_future");
    if (!state_) return finish(false);
    detail::mpsc_push pushed = detail::mpsc_push::full;
    if (!place_) {
      // First poll. With a free place and no send waiting, the place is taken and the value
      // pushed under one lock (mpsc_state::push_if_room); otherwise the send queues behind the
      // waiting sends (FIFO) and, once queued, hands the places the channel took ahead to them.
      FUTURA_TRY {
        pushed = state_->push_if_room(*value_, true);
      }
      FUTURA_CATCH_ALL {
        leave();  // finished: the value is destroyed, the place is free again
        FUTURA_RETHROW;
      }
      if (pushed == detail::mpsc_push::full) {
        FUTURA_CHAOS_POINT("mpsc.send.full");
        place_.emplace(state_->places().semaphore(), 1);
        if (!try_take_place(w)) {
          FUTURA_CHAOS_POINT("mpsc.send.queued");
          state_->give_back_places_ahead();
          return pending;
        }
      }
    } else if (!try_take_place(w)) {
      return pending;
    }
    if (pushed == detail::mpsc_push::full) {
      // The semaphore gave a place (or said closed): the value enters the channel now, or the
      // channel closed meanwhile.
      if (failed_) return finish(false);
      FUTURA_TRY {
        pushed = state_->push_into_place_and_leave(*value_);
      }
      FUTURA_CATCH_ALL {
        leave();  // finished: the value is destroyed, the place went back
        FUTURA_RETHROW;
      }
    }
    if (pushed == detail::mpsc_push::left) {
      state_ = nullptr;  // its count stayed in the channel, which may be gone from now on
      FUTURA_CHAOS_POINT("mpsc.send.left");
    }
    return finish(pushed != detail::mpsc_push::closed);
  }

 private:
  friend class sender<T>;
  // Takes a sender count of `s` (null: a moved-from sender's send, which fails at its first poll).
  send_future(state_type* s, T v) : value_(std::in_place, std::move(v)) {
    if (s) {
      s->add_sender();
      state_ = s;
    }
  }

  // Polls the waiting acquisition: false while it waits; true once it is finished, with
  // `failed_` set when the channel closed first.
  bool try_take_place(waker& w) {
    poll_result<boost::system::error_code> got = place_->poll(w);
    if (got.is_pending()) return false;
    failed_ = static_cast<bool>(got.value());
    return true;
  }

  send_result<T> finish(bool sent) {
    send_result<T> r = sent ? send_result<T>() : send_result<T>(error::closed, std::move(*value_));
    leave();
    return r;
  }

  // Destroys the acquisition (which refers into the state) and the value, then gives up the
  // sender count, if it still holds one.
  void leave() noexcept {
    place_.reset();
    value_.reset();
    if (state_type* s = std::exchange(state_, nullptr)) s->release_sender();
  }

  std::optional<T> value_;  // empty once done
  // Made only when the send must wait (a finished acquisition gives nothing back when dropped).
  std::optional<detail::semaphore_acquisition> place_;
  state_type* state_ = nullptr;  // one sender count of it, until done or dropped
  bool failed_ = false;          // the acquisition answered error::closed
};

/// The sending end of a bounded channel. Copyable: every copy is a sender; the channel stays
/// open for its receiver while a sender or a pending send future exists. Every member may be
/// called from any thread.
template <class T>
class sender : public detail::mpsc_sender_base<T, detail::bounded_places> {
  using base = detail::mpsc_sender_base<T, detail::bounded_places>;

 public:
  /// An empty sender (as a moved-from one): sends fail with `error::closed`.
  sender() noexcept = default;

  /// A future that puts `v` in the channel: pending while the channel is full (waiting sends are
  /// served in FIFO order), done once `v` is in; `error::closed` with `v` back if the channel is
  /// closed first. The future does not refer to this sender, which may move or go meanwhile.
  send_future<T> send(T v) const { return send_future<T>(this->state_.get(), std::move(v)); }

  /// Sends `v` only if that needs no wait: the channel is open, no send waits, and there is room.
  /// Otherwise `error::closed` (closed) or `error::full`, with `v` back.
  send_result<T> try_send(T v) const {
    if (!this->state_ || this->state_->is_closed()) return send_result<T>(error::closed, std::move(v));
    const detail::mpsc_push pushed = this->state_->push_if_room(v, false);
    if (pushed == detail::mpsc_push::pushed) return send_result<T>();
    return send_result<T>(pushed == detail::mpsc_push::full ? error::full : error::closed, std::move(v));
  }

 private:
  friend std::pair<sender<T>, receiver<T>> channel<T>(std::size_t);
  explicit sender(typename base::state_type* adopted) noexcept : base(adopted) {}
};

/// A channel that holds up to `capacity` items: a send waits while it is full. Throws
/// `std::invalid_argument` when `capacity` is 0. Allocates its state and both buffers here, once.
/// @code
///   auto [tx, rx] = futura::mpsc::channel<int>(2);
///   std::thread producer([tx = std::move(tx)] {
///     for (int i = 0; i < 5; ++i) (void)futura::block_on(tx.send(i));   // waits while 2 are buffered
///   });                                                                 // ends when the thread drops tx
///   std::vector<int> v = futura::block_on(std::move(rx).collect());     // {0, 1, 2, 3, 4}
///   producer.join();
/// @endcode
template <class T>
std::pair<sender<T>, receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0 || capacity > detail::semaphore_state::max_permits) {
    detail::throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument,
                                                  "futura::mpsc::channel<T>(capacity): capacity must be at least 1 "
                                                  "(and at most semaphore_state::max_permits)");
  }
  using state_type = detail::mpsc_state<T, detail::bounded_places>;
  std::vector<T> batch;
  batch.reserve(capacity);
  auto* s = new state_type(capacity, capacity);  // owned by one sender and the receiver
  return {sender<T>(s), receiver<T>(s, std::move(batch))};
}

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
  using state_type = detail::mpsc_state<T, detail::unbounded_places>;
  auto* s = new state_type(0, 0);  // owned by one sender and the receiver
  return {unbounded_sender<T>(s), unbounded_receiver<T>(s, {})};
}

}  // namespace futura::mpsc
