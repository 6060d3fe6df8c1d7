// futura/sync/cancellation_token.hpp — a cancellation signal shared by copies, with child tokens.
//
//   token:              live --cancel() on it or on an ancestor (any thread)--> cancelled (final)
//   cancelled() future: waiting --poll: token cancelled---------------------------> done: unit
//                       waiting --poll: live: register the waker, look again -----> waiting
//
// A `cancellation_token` is a handle to a shared, reference-counted state: copies share it, and
// cancelling any copy cancels them all. `child()` makes a token with its own state, cancelled
// when this one is (not the other way round); a child of a cancelled token starts cancelled.
// `cancelled()` is a future of `futura::unit` that is ready once the token is cancelled; it
// holds the state, not the token object, so it may outlive every token.
//
// Ordering: `cancel()` marks the token and its whole subtree cancelled at once (under the tree's
// lock), then wakes every pending `cancelled()` and `with_cancellation` future of that subtree,
// once each, in no particular order. After `cancel()` returns, `is_cancelled()` is true for the
// token and every descendant, on every thread, and a `cancelled()` future polled afterwards is
// ready at that poll without registering its waker.
//
// Threads: the members of a token (`cancel`, `is_cancelled`, `child`, `cancelled`, all const)
// may be called from any thread, concurrently, also on one token object; copies of a token may
// be made, used and dropped on any thread (assigning to one object while another thread reads
// it is a data race, as for any object). A future of `cancelled()` is polled by one thread at a
// time, as every future; a cancel may race its poll (rule 3: the poll registers under the lock
// and looks at the flag there).
//
// Destruction: a token or future costs its tree nothing once dropped. A dropped child token
// unlinks itself (its own children are handed to its parent); a dropped pending `cancelled()`
// future unlinks and frees its waiter. No waker is woken or dropped while the lock is held;
// neither cancel nor drop recurses, so trees of any depth are fine.
//
// Allocation: one node per token made with the default constructor or `child()` (copies
// allocate nothing); one waiter per `cancelled()` future, at its first poll that has to wait,
// freed when it completes or is dropped. The root node of a tree stays allocated while any
// descendant lives (it holds the tree's lock).
//
// A moved-from token is empty: `cancel()` does nothing, `is_cancelled()` is false, and
// `child()`, `cancelled()` and `with_cancellation` report a contract violation
// (`std::logic_error`; without exceptions, the error handler). Assigning a token to it makes it
// usable again.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/sync/detail/token_state.hpp>

#include <cstddef>
#include <stdexcept>
#include <utility>

namespace futura {

class cancellation_token;

namespace detail {
inline namespace FUTURA_EXCEPTION_MODE {
/// Reports the use of an empty (moved-from) token where its state is needed, in the caller's
/// mode: std::logic_error, or the error handler without exceptions.
[[noreturn]] inline void empty_token(const char* what) {
  throw_standard<std::logic_error>(boost::system::errc::invalid_argument, what);
}
}  // namespace FUTURA_EXCEPTION_MODE

/// A token's state, for with_cancellation and for tests (what they may look at).
struct token_access {
  static const token_ref& node(const cancellation_token& t) noexcept;
  static std::size_t registered_children(const cancellation_token& t) noexcept;
  static std::size_t registered_waiters(const cancellation_token& t) noexcept;
};
}  // namespace detail

/// The future of `token.cancelled()`: ready with `unit` once the token is cancelled.
class [[nodiscard]] cancelled_future : public future_ext<cancelled_future> {
 public:
  using output_type = unit;

  poll_result<unit> poll(waker& w) {
    if (!wait_.active()) detail::polled_after_completion("futura::cancelled_future");
    if (wait_.register_or_cancelled(w)) {
      wait_.release();
      return unit{};
    }
    return pending;
  }

 private:
  friend class cancellation_token;
  explicit cancelled_future(detail::token_wait wait) noexcept : wait_(std::move(wait)) {}

  detail::token_wait wait_;
};

/// A copyable handle to a cancellation state; see the top of this header.
/// @code
///   futura::cancellation_token stop;
///   futura::cancellation_token request = stop.child();   // cancelled by stop.cancel() too
///   std::thread watcher([stop] { if (user_pressed_ctrl_c()) stop.cancel(); });
///   auto r = futura::block_on(futura::with_cancellation(request, fetch(url)));
///   if (!r && r.error() == futura::error::aborted) { /* cancelled first */ }
///   futura::block_on(stop.cancelled());                  // returns once stop is cancelled
/// @endcode
class cancellation_token {
 public:
  /// A new token with a fresh state (the root of its own tree). Allocates.
  cancellation_token();

  /// Cancels this token and every token made from it by `child()`, directly or not, and wakes
  /// their pending `cancelled()` and `with_cancellation` futures. Any thread; idempotent; a no-op
  /// on an empty token.
  void cancel() const noexcept {
    if (node_) node_->cancel();
  }

  /// True once this token or an ancestor was cancelled (false for an empty token).
  bool is_cancelled() const noexcept { return node_ && node_->is_cancelled(); }

  /// A new token cancelled when this one is (but whose own cancel leaves this one alone); it
  /// starts cancelled when this one is. Allocates one node.
  [[nodiscard]] cancellation_token child() const {
    if (!node_) detail::empty_token("futura::cancellation_token::child: the token is empty (moved from)");
    return cancellation_token(detail::token_ref(node_->make_child()));
  }

  /// A future of `unit`, ready once this token is cancelled. It shares the token's state, so it
  /// may outlive the token.
  [[nodiscard]] cancelled_future cancelled() const {
    if (!node_) detail::empty_token("futura::cancellation_token::cancelled: the token is empty (moved from)");
    return cancelled_future(detail::token_wait(node_));
  }

 private:
  friend struct detail::token_access;
  explicit cancellation_token(detail::token_ref node) noexcept : node_(std::move(node)) {}

  detail::token_ref node_;  // null when moved from
};

namespace detail {
inline const token_ref& token_access::node(const cancellation_token& t) noexcept { return t.node_; }
inline std::size_t token_access::registered_children(const cancellation_token& t) noexcept {
  return t.node_ ? t.node_->registered_children() : 0;
}
inline std::size_t token_access::registered_waiters(const cancellation_token& t) noexcept {
  return t.node_ ? t.node_->registered_waiters() : 0;
}
}  // namespace detail

}  // namespace futura
