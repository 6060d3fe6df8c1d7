// futura/executor/detail/task_state.hpp — the state word of a spawned task, as a value type
// whose every change is a named transition.
//
// One 64-bit atomic word holds the scheduling flags, the count of wakers that are inside the
// executor's execute() from outside the task's context, and the reference count, so that one
// compare-exchange both schedules the task and takes the runner's reference. Nothing outside
// this file does bit arithmetic on it: each transition returns what its caller must do next,
// and lib/asio/detail/task_header.cpp reads as the diagram below (the same one, with the typed parts, is drawn at
// the top of task_header.hpp).
//
//            wake: submit a runner            runner: pending, not notified
//   idle ─────────────────────────▶ scheduled ──────────────────────────────▶ idle
//                                    │    ▲
//                 wake: set notified │    │ runner: pending, notified:
//                 (once; then none)  ▼    │ clear notified, submit again (repoll)
//                             scheduled+notified
//                                    │ runner starts: clear notified (the poll serves it)
//                                    ▼
//                                scheduled ...
//   scheduled ──runner: ready / threw / cancelled──▶ closed+complete
//   idle / scheduled ──context shut down: close──▶ closed ──future dropped──▶ complete
//
// Invariants:
// - `scheduled` set <=> exactly one runner exists (queued or polling). Only the wake that sets
//   it submits a runner; only that runner (or the one it hands over to) clears it.
// - `notified` is set only while `scheduled`; a runner clears it as it starts (a plain load
//   when it is clear) and polls again (through the executor) when it is set at the poll's end.
// - `closed` stops every later submission; `complete` means the join slot is published.
// - The reference count is in the high half; whoever brings it to zero frees the block.
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/ref_count.hpp>

#include <atomic>
#include <cstdint>
#include <thread>

namespace futura::detail {

/// A snapshot of the word: what a transition saw.
class task_snapshot {
 public:
  using word = std::uint64_t;

  static constexpr word scheduled = word{1} << 0;      // a runner is queued or polling
  static constexpr word notified = word{1} << 2;       // woken while scheduled: poll once more
  static constexpr word closed = word{1} << 3;         // no submission any more
  static constexpr word complete = word{1} << 4;       // the join slot is published
  static constexpr word cancelled = word{1} << 5;      // abort requested: the runner drops the future
  static constexpr word join_interest = word{1} << 6;  // a join handle will read the output
  static constexpr word join_waiting = word{1} << 7;   // the join handle registered a waker
  // Wakers outside the task's context count themselves here while inside execute() (a count:
  // a runner can start, go idle and be woken again before the first poster has returned).
  static constexpr word posting_one = word{1} << 16;
  static constexpr word posting_mask = word{0xFFFF} << 16;
  // The reference count: the top half, under futura's one policy (core/detail/ref_count.hpp).
  using refs_field = detail::ref_count_field<word, 32>;
  static constexpr word ref_one = refs_field::one;
  static constexpr word ref_mask = ~(ref_one - 1);

  static_assert((posting_mask & ref_mask) == 0 && (posting_mask & (join_waiting | (join_waiting - 1))) == 0,
                "task_snapshot: the posting count overlaps a flag or the reference count");

  constexpr explicit task_snapshot(word bits) noexcept : bits_(bits) {}

  constexpr bool is_scheduled() const noexcept { return (bits_ & scheduled) != 0; }
  constexpr bool is_notified() const noexcept { return (bits_ & notified) != 0; }
  constexpr bool is_closed() const noexcept { return (bits_ & closed) != 0; }
  constexpr bool is_complete() const noexcept { return (bits_ & complete) != 0; }
  constexpr bool is_cancelled() const noexcept { return (bits_ & cancelled) != 0; }
  constexpr bool has_join_interest() const noexcept { return (bits_ & join_interest) != 0; }
  constexpr bool is_join_waiting() const noexcept { return (bits_ & join_waiting) != 0; }
  constexpr bool has_posters() const noexcept { return (bits_ & posting_mask) != 0; }
  constexpr word refs() const noexcept { return refs_field::count(bits_); }
  constexpr word bits() const noexcept { return bits_; }

 private:
  word bits_;
};

/// The atomic word and its transitions.
class task_state {
 public:
  using word = task_snapshot::word;

  /// A new task: scheduled (its first run is about to be submitted), a join handle interested,
  /// two references (the spawner's and the first runner's).
  task_state() noexcept = default;

  task_snapshot load(std::memory_order order = std::memory_order_acquire) const noexcept {
    return task_snapshot(word_.load(order));
  }

  // ---- references ---------------------------------------------------------------------------

  void ref_inc() noexcept { task_snapshot::refs_field::add(word_); }
  /// Drops `n` references; true when they were the last (the caller frees the block).
  bool ref_dec(word n = 1) noexcept { return task_snapshot::refs_field::release(word_, n); }

  // ---- waking ---------------------------------------------------------------------------------

  enum class wake_by_ref_action { none, submit };
  /// A wake through a borrowed waker. `submit`: the task went idle -> scheduled with a new
  /// reference for the runner; the caller submits it, then calls leave_posting() unless
  /// `on_own_context` (a handler of the task's context needs no posting count).
  wake_by_ref_action transition_to_notified_by_ref(bool on_own_context) noexcept {
    word s = word_.load(std::memory_order_acquire);
    for (;;) {
      FUTURA_CHAOS_POINT("task.wake.loaded");
      if (s & (task_snapshot::closed | task_snapshot::complete)) return wake_by_ref_action::none;
      if (s & task_snapshot::scheduled) {
        // A runner is queued or polling: it polls once more if it started before this wake,
        // and at most one wake per poll pays for the compare-exchange.
        if ((s & task_snapshot::notified) ||
            word_.compare_exchange_weak(s, s | task_snapshot::notified, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
          return wake_by_ref_action::none;
        }
      } else if (word_.compare_exchange_weak(s,
                                             (s | task_snapshot::scheduled) + task_snapshot::ref_one +
                                                 (on_own_context ? 0 : task_snapshot::posting_one),
                                             std::memory_order_acq_rel, std::memory_order_acquire)) {
        return wake_by_ref_action::submit;
      }
    }
  }
  /// After a by-reference submit from outside the task's context.
  void leave_posting() noexcept { word_.fetch_sub(task_snapshot::posting_one, std::memory_order_release); }

  enum class wake_by_val_action { none, none_dealloc, submit };
  /// A wake that consumes the waker's reference. `none_dealloc`: nothing to submit and that was
  /// the last reference. `submit`: the task went idle -> scheduled; on its own context the
  /// waker's reference became the runner's, elsewhere the caller keeps it until it leaves
  /// execute() through leave_posting_and_release().
  wake_by_val_action transition_to_notified_by_val(bool on_own_context) noexcept {
    word s = word_.load(std::memory_order_acquire);
    for (;;) {
      FUTURA_CHAOS_POINT("task.wake_and_release.loaded");
      word next;
      if (s & (task_snapshot::closed | task_snapshot::complete | task_snapshot::notified)) {
        next = s - task_snapshot::ref_one;  // nothing to do: just drop the reference
      } else if (s & task_snapshot::scheduled) {
        next = (s | task_snapshot::notified) - task_snapshot::ref_one;
      } else {
        next =
            (s | task_snapshot::scheduled) + (on_own_context ? 0 : task_snapshot::posting_one + task_snapshot::ref_one);
      }
      if (!word_.compare_exchange_weak(s, next, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      if (!(next & task_snapshot::scheduled) || (s & task_snapshot::scheduled)) {
        return task_snapshot(s).refs() == 1 ? wake_by_val_action::none_dealloc : wake_by_val_action::none;
      }
      return wake_by_val_action::submit;
    }
  }
  /// After a by-value submit from outside the task's context: leaves execute() and drops the
  /// waker's reference in one step. True when that was the last reference.
  bool leave_posting_and_release() noexcept {
    return task_snapshot(
               word_.fetch_sub(task_snapshot::posting_one + task_snapshot::ref_one, std::memory_order_acq_rel))
               .refs() == 1;
  }

  // ---- running --------------------------------------------------------------------------------

  enum class run_action { poll, cancelled, gone };
  /// A runner starts. `gone`: the task was closed while the runner was queued (the caller drops
  /// the runner's reference). `cancelled`: an abort was requested (the caller drops the future
  /// and completes). `poll`: poll the future; wakes that came while the runner was queued are
  /// absorbed (this poll serves them), with a read-modify-write only if there were any.
  run_action transition_to_running() noexcept {
    FUTURA_CHAOS_POINT("task.run.start");
    word s = word_.load(std::memory_order_acquire);
    if (s & (task_snapshot::closed | task_snapshot::complete)) return run_action::gone;
    if (s & task_snapshot::notified) {
      s = word_.fetch_and(~task_snapshot::notified, std::memory_order_acq_rel) & ~task_snapshot::notified;
    }
    return (s & task_snapshot::cancelled) ? run_action::cancelled : run_action::poll;
  }

  enum class idle_action { idle, idle_dealloc, repoll, cancelled };
  /// The poll returned pending. `repoll`: woken during the poll: the runner's reference goes to
  /// the next runner, which the caller submits. `idle`: scheduled cleared and the runner's
  /// reference dropped (`idle_dealloc`: it was the last). `cancelled`: abort requested during
  /// the poll: the caller drops the future and completes, still holding the reference.
  idle_action transition_to_idle() noexcept {
    FUTURA_CHAOS_POINT("task.run.polled_pending");
    word s = word_.load(std::memory_order_acquire);
    for (;;) {
      if (s & task_snapshot::cancelled) return idle_action::cancelled;
      if (s & task_snapshot::notified) {
        if (word_.compare_exchange_weak(s, s & ~task_snapshot::notified, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
          return idle_action::repoll;
        }
      } else if (word_.compare_exchange_weak(s, (s & ~task_snapshot::scheduled) - task_snapshot::ref_one,
                                             std::memory_order_acq_rel, std::memory_order_acquire)) {
        return task_snapshot(s).refs() == 1 ? idle_action::idle_dealloc : idle_action::idle;
      }
    }
  }

  // ---- completing -----------------------------------------------------------------------------

  enum class complete_alone_action { done, done_dealloc, joiner_waiting };
  /// A first poll gave its value and nothing else needs the completion first: one CAS sets
  /// closed|complete and drops the runner's reference (`done_dealloc`: it was the last). Not
  /// when a joiner's waker is registered (`joiner_waiting`): the caller takes the general path.
  complete_alone_action transition_to_complete_alone() noexcept {
    word s = word_.load(std::memory_order_acquire);
    while (!(s & task_snapshot::join_waiting)) {
      if (word_.compare_exchange_weak(s, (s | task_snapshot::closed | task_snapshot::complete) - task_snapshot::ref_one,
                                      std::memory_order_acq_rel, std::memory_order_acquire)) {
        return task_snapshot(s).refs() == 1 ? complete_alone_action::done_dealloc : complete_alone_action::done;
      }
    }
    return complete_alone_action::joiner_waiting;
  }
  /// Publishes the join slot (closed|complete). The snapshot before says whether a join handle
  /// is interested and whether its waker must be woken.
  task_snapshot transition_to_complete() noexcept {
    return task_snapshot(word_.fetch_or(task_snapshot::closed | task_snapshot::complete, std::memory_order_acq_rel));
  }

  // ---- shutting down, aborting, detaching, joining ---------------------------------------------

  /// No more submissions (the context is shutting down, or the task is being aborted there).
  void close() noexcept {
    word_.fetch_or(task_snapshot::closed, std::memory_order_acq_rel);
    FUTURA_CHAOS_POINT("task.closed");
  }
  /// After close(): waits until no waker from outside the context is inside its execute(),
  /// so that the context outlives every such call. Each waits for one call to return.
  void wait_for_posters() const noexcept {
    while (word_.load(std::memory_order_acquire) & task_snapshot::posting_mask) std::this_thread::yield();
  }

  /// Requests cancellation. True when this is the first request on a live task: the caller
  /// wakes the task so that its runner acts on it.
  bool transition_to_cancelled() noexcept {
    const word s = word_.fetch_or(task_snapshot::cancelled, std::memory_order_acq_rel);
    FUTURA_CHAOS_POINT("task.abort.cancelled");
    return !(s & (task_snapshot::cancelled | task_snapshot::closed | task_snapshot::complete));
  }

  /// The join handle lets go; the snapshot before says whether the task had completed and
  /// whether the handle's waker is registered.
  task_snapshot drop_join_interest() noexcept {
    return task_snapshot(word_.fetch_and(~task_snapshot::join_interest, std::memory_order_acq_rel));
  }
  /// The join handle announces its waker slot; the snapshot before says whether the task had
  /// completed meanwhile.
  task_snapshot set_join_waiting() noexcept {
    return task_snapshot(word_.fetch_or(task_snapshot::join_waiting, std::memory_order_acq_rel));
  }
  /// The join handle's fast path: complete, only the handle's reference left, no waker
  /// registered. The handle then owns the block outright and frees it without a
  /// read-modify-write.
  bool is_complete_and_alone() const noexcept {
    return (word_.load(std::memory_order_acquire) &
            (task_snapshot::ref_mask | task_snapshot::complete | task_snapshot::join_waiting)) ==
           (task_snapshot::ref_one | task_snapshot::complete);
  }

 private:
  std::atomic<word> word_{task_snapshot::scheduled | task_snapshot::join_interest | 2 * task_snapshot::ref_one};
};

}  // namespace futura::detail
