// futura/channel/detail/mpsc_endpoints.hpp — what the mpsc senders and receivers of both kinds
// share: the sender's counted reference, and the receiver's batch and poll (docs/design.md,
// "The mpsc channel").
//
//   receiver: batch has items --poll--> item (one place given back)
//             batch used up --take: items--> batch has items
//             batch used up --take: empty--> register the waker, take again: items, or pending (parked)
//             batch used up --take: ended (closed or no sender, nothing buffered)--> std::nullopt; ended
//             ended --poll--> polled_after_completion
//
// The receiver's batch is its own: only the thread polling the receiver touches it, so it lives
// in the receiver object (movable between polls) and items leave it only in the poll that returns
// them (a dropped next() loses nothing).
#pragma once

#include <futura/channel/detail/mpsc_state.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::detail {

/// Instantiated first by every mpsc handle, so that an item type a channel cannot carry stops
/// compilation with this one message before anything else names it.
template <class T>
struct mpsc_item_check {
  static_assert(std::is_object_v<T> && std::is_move_constructible_v<T>,
                "futura::mpsc: the item type must be a move-constructible object type (not a reference; for "
                "items that carry nothing, use futura::unit)");
};

/// How a sender's ref_ptr holds the state: as one of its senders.
template <class State>
struct mpsc_sender_traits {
  static void add(State* s) noexcept { s->add_sender(); }
  static void release(State* s) noexcept { s->release_sender(); }
};
template <class State>
using mpsc_sender_ref = ref_ptr<State, mpsc_sender_traits<State>>;

/// What both senders are: one sender count of the channel's state, which copying a sender copies.
/// An empty sender (default-made or moved from) fails every send with `error::closed`.
template <class T, class Places>
class mpsc_sender_base {
  static_assert(sizeof(mpsc_item_check<T>) != 0);  // instantiates the check first

 public:
  /// True once the receiver is closed or dropped (and for an empty sender).
  bool is_closed() const noexcept { return !state_ || state_->is_closed(); }

 protected:
  using state_type = mpsc_state<T, Places>;
  mpsc_sender_base() noexcept = default;
  explicit mpsc_sender_base(state_type* adopted) noexcept : state_(adopted) {}

  mpsc_sender_ref<state_type> state_;
};

/// The receiving end: the state's receiver bit, and the batch taken from it.
template <class T, class Places>
class mpsc_receiver_core {
 public:
  using state_type = mpsc_state<T, Places>;

  mpsc_receiver_core() noexcept = default;
  /// Adopts the state's receiver bit; `batch` is the (empty) vector the receiver starts with.
  mpsc_receiver_core(state_type* adopted, std::vector<T> batch) noexcept : state_(adopted), batch_(std::move(batch)) {}
  mpsc_receiver_core(mpsc_receiver_core&& o) noexcept
      : state_(std::exchange(o.state_, nullptr)),
        batch_(std::move(o.batch_)),
        next_(std::exchange(o.next_, 0)),
        ended_(std::exchange(o.ended_, false)) {
    o.batch_.clear();
  }
  mpsc_receiver_core& operator=(mpsc_receiver_core&& o) noexcept {
    if (this != &o) {
      drop();
      state_ = std::exchange(o.state_, nullptr);
      batch_ = std::move(o.batch_);
      o.batch_.clear();
      next_ = std::exchange(o.next_, 0);
      ended_ = std::exchange(o.ended_, false);
    }
    return *this;
  }
  mpsc_receiver_core(const mpsc_receiver_core&) = delete;
  mpsc_receiver_core& operator=(const mpsc_receiver_core&) = delete;
  ~mpsc_receiver_core() { drop(); }

  poll_result<std::optional<T>> poll_next(waker& w, const char* who) {
    if (!state_ || ended_) polled_after_completion(who);
    if (next_ == batch_.size()) {
      mpsc_take got = refill(mpsc_take_mode::poll);
      if (got == mpsc_take::empty) {
        state_->register_receiver(w);
        FUTURA_CHAOS_POINT("mpsc.receiver.registered");
        got = refill(mpsc_take_mode::park);
      }
      if (got == mpsc_take::empty) return pending;
      if (got == mpsc_take::ended) {
        ended_ = true;
        return std::optional<T>();
      }
    }
    return std::optional<T>(hand_out());
  }

  boost::system::result<T> try_recv() {
    if (!state_) return failure(error::closed);
    if (next_ == batch_.size()) {
      switch (refill(mpsc_take_mode::peek)) {
        case mpsc_take::items:
          break;
        case mpsc_take::empty:
          return failure(error::empty);
        case mpsc_take::ended:
          return failure(error::closed);
      }
    }
    return boost::system::result<T>(boost::system::in_place_value, hand_out());
  }

  void close() noexcept {
    if (state_) state_->close();
  }

 private:
  static boost::system::result<T> failure(error e) {
    return boost::system::result<T>(boost::system::in_place_error, make_error_code(e));
  }

  mpsc_take refill(mpsc_take_mode mode) {
    batch_.clear();
    next_ = 0;
    return state_->take(batch_, mode);
  }

  // Moves the next item out of the batch; its place goes back to the senders.
  T hand_out() {
    T item(std::move(batch_[next_]));
    ++next_;
    state_->places().give_back_one();
    return item;
  }

  void drop() noexcept {
    if (state_type* s = std::exchange(state_, nullptr)) s->release_receiver();
    batch_.clear();
    next_ = 0;
    ended_ = false;
  }

  state_type* state_ = nullptr;
  std::vector<T> batch_;
  std::size_t next_ = 0;
  bool ended_ = false;
};

}  // namespace futura::detail
