// futura/combinator/detail/boxed_trampoline.hpp — keeps arbitrarily deep chains of boxed_future off the
// stack, when polled and when destroyed (lib/combinator/detail/boxed_trampoline.cpp holds the per-thread state).
//
// Polling. A chain built in a loop over boxed_future (`f = std::move(f).then(g).boxed()`)
// nests one boxed_future inside the next; polling it recurses once per link. Every
// boxed_future::poll counts its nesting on a per-thread counter. The first one on the thread
// (depth 0) is the *root* of a trampoline context. A box polled deeper than
// `boxed_poll_depth_limit` does not poll its inner future: it *defers* itself (an entry on the
// thread's list, holding a clone of the waker it was polled with) and returns pending. After its
// own inner poll, the root *drains* the list on its shallow stack, most recent entry first:
//
//   entry: deferred --drive: inner pending, nothing deferred below--> settled (popped)
//          deferred --drive: inner ready/threw--> output cached in the box, its waker woken,
//                                                 its parent entry (or the root) marked "redrive"
//          deferred --drive: inner pending, deferred entries above--> waiting
//          waiting  --every entry above popped, marked "redrive"--> driven again
//          waiting  --every entry above popped, not marked----------> settled (popped)
//
// A driven box polls its inner future at depth 1, so each drive descends at most
// `boxed_poll_depth_limit` boxes. When a box's inner completes during a drive, its output (or
// exception) is cached inside the box; the next descent that reaches the box returns it at once,
// whatever the depth. When a drive completed an entry the root deferred directly, the root polls
// its inner again. A chain of n ready links costs about 2n box polls; an entry costs one waker
// clone and one slot of a per-thread vector that keeps its capacity (no allocation per poll
// once warm).
//
// Rule 3 holds for a deferred box without relying on the root: a settled-pending drive means the
// inner registered the entry's waker (a clone of the box's); a completed drive wakes that waker.
// Each trampoline context is drained before its root returns (also when it throws), so no entry
// outlives the root's poll: entries never cross threads. That holds only if every executor
// makes its poll a root, whatever depth the thread is at: detail/root_poll.hpp. A deferred box that is destroyed before
// its turn marks its entry dead; one that is moved updates its entry.
//
// Destruction. Destroying such a chain recurses once per link too. Box destructors count their
// nesting on a second per-thread counter; beyond `boxed_destroy_depth_limit` a box hands its inner
// future (heap block) to a per-thread list instead of destroying it, and the outermost box
// destructor destroys the list's futures one by one before it returns. Shallow nesting keeps the
// natural destruction order; every future is destroyed before the outermost destructor returns.
#pragma once

#include <futura/core/waker.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace futura::detail {

/// Boxes nested deeper than this defer their poll to the trampoline.
inline constexpr std::uint32_t boxed_poll_depth_limit = 128;
/// Boxes nested deeper than this defer the destruction of their inner future.
inline constexpr std::uint32_t boxed_destroy_depth_limit = 128;

/// The part of every boxed_future that the trampoline knows about.
struct boxed_base {
  /// 1 + index of this box's entry on the thread's deferred-poll list; 0 when it has none.
  std::uint32_t trampoline_slot_ = 0;
};

/// Polls the box's inner future once with `w` (the box is deferred and holds a running future).
/// Returns true when the inner completed (the output or exception is now cached in the box).
using boxed_drive_fn = bool (*)(boxed_base& box, waker& w) noexcept;
/// Destroys a heap block that holds an inner future.
using boxed_destroy_fn = void (*)(void* block) noexcept;

/// Per-thread trampoline counters. Trivially destructible, so boxes destroyed during thread
/// exit (even after the thread's other thread_locals) still find valid counters.
struct boxed_thread {
  std::uint32_t poll_depth;     ///< boxes currently polling on this thread's stack (0: no root)
  std::uint32_t destroy_depth;  ///< boxes currently being destroyed on this thread's stack
  std::uint32_t current;        ///< 1 + index of the entry being driven; 0 while a root polls
  std::uint32_t deferred;       ///< entries on the deferred-poll list
  bool root_redrive;            ///< a drive completed an entry deferred directly by the root
};

/// This thread's counters. An inline thread_local, constant-initialised and trivially
/// destructible: every access is a plain TLS address computation, inline, with no call into the
/// library and no TLS init wrapper (block_on saves and resets `poll_depth` on every entry).
inline thread_local boxed_thread boxed_this_thread_counters{0, 0, 0, 0, false};

inline boxed_thread& boxed_this_thread() noexcept { return boxed_this_thread_counters; }

/// Adds `box` to the deferred-poll list; returns its slot (1 + index). Throws std::bad_alloc.
std::uint32_t boxed_defer_poll(boxed_base& box, boxed_drive_fn drive, const waker& w);
/// A deferred box was polled again before its turn: the entry now wakes `w`.
void boxed_update_deferred_waker(std::uint32_t slot, const waker& w);
/// A deferred box moved to `to`.
void boxed_relocate_deferred(std::uint32_t slot, boxed_base& to) noexcept;
/// A deferred box is gone (destroyed, or its inner was released).
void boxed_forget_deferred(std::uint32_t slot) noexcept;
/// Drives entries above `base` until there are none left (see the top of this header).
void boxed_drain_polls(std::size_t base) noexcept;

/// Hands `block` to the deferred-destruction list; false when the list cannot grow.
bool boxed_defer_destroy(void* block, boxed_destroy_fn destroy) noexcept;
/// Destroys every block on the deferred-destruction list (the outermost box destructor calls it).
void boxed_drain_destroys() noexcept;

/// Destroys what a box holds without growing the stack past the limit: nested deeper than
/// `boxed_destroy_depth_limit`, `defer()` hands it to the deferred-destruction list (and returns
/// false when the list cannot grow: then `destroy()` runs in place); the outermost destruction
/// drains the list. Shared by boxed_future and stream::boxed_stream.
template <class Defer, class Destroy>
void boxed_destroy_bounded(Defer&& defer, Destroy&& destroy) noexcept {
  boxed_thread& t = boxed_this_thread();
  if (t.destroy_depth >= boxed_destroy_depth_limit && defer()) return;
  ++t.destroy_depth;
  destroy();
  if (t.destroy_depth == 1) boxed_drain_destroys();
  --t.destroy_depth;
}

/// One box polling its inner future at depth > 0.
class boxed_depth_guard {
 public:
  explicit boxed_depth_guard(boxed_thread& t) noexcept : t_(t) { ++t_.poll_depth; }
  ~boxed_depth_guard() { --t_.poll_depth; }
  boxed_depth_guard(const boxed_depth_guard&) = delete;
  boxed_depth_guard& operator=(const boxed_depth_guard&) = delete;

 private:
  boxed_thread& t_;
};

/// The root of a trampoline context: the first box polled at depth 0.
class boxed_root_scope {
 public:
  explicit boxed_root_scope(boxed_thread& t) noexcept
      : t_(t), base_(t.deferred), saved_current_(t.current), saved_redrive_(t.root_redrive) {
    t_.poll_depth = 1;
    t_.current = 0;
    t_.root_redrive = false;
  }
  ~boxed_root_scope() {
    t_.poll_depth = 0;
    t_.current = saved_current_;
    t_.root_redrive = saved_redrive_;
  }
  boxed_root_scope(const boxed_root_scope&) = delete;
  boxed_root_scope& operator=(const boxed_root_scope&) = delete;

  bool has_deferred() const noexcept { return t_.deferred > base_; }
  /// Drives everything deferred in this context; afterwards the root may poll its inner again.
  void drain() noexcept {
    if (has_deferred()) boxed_drain_polls(base_);
    t_.poll_depth = 1;
    t_.current = 0;
  }
  /// True (once) when a drive completed an entry that the root's inner poll deferred.
  bool take_redrive() noexcept { return std::exchange(t_.root_redrive, false); }

 private:
  boxed_thread& t_;
  std::size_t base_;
  std::uint32_t saved_current_;
  bool saved_redrive_;
};

}  // namespace futura::detail
