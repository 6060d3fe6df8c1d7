// futura/asio/detail/join_set_core.hpp — the type-independent part of join_set<T>: its entries
// (one per task), the ready queue their tasks' completions wake, and the owner's list of tasks
// known to be finished.
//
// An entry is a ready_node (stream/detail/ready_queue.hpp) plus the task it stands for. The set
// joins each task through the task's own join slot (task_header.hpp), as a join_handle would:
// at spawn it registers the entry's waker there, so the task's completion wakes the entry, which
// pushes it on the queue's stack and wakes the set's waker (the join_next future's) once per
// batch. No second task protocol: the task sees one joiner, whose waker happens to be a node.
//
//   adopt(e, t):   register e's waker in t's join slot; t complete already: queue e as finished
//                  (unless the registration's own wake pushed it: queued is exchanged, never stored)
//   collect():     take the stack (wake order) and check each entry taken:
//                    free (a stale wake of a reused entry)       --> unqueue, skip
//                    task complete                               --> finished list (stays queued)
//                      ... aborted, or abandoned by abort_all()  --> let go of it at once
//                    task running (a stale wake)                 --> unqueue, register again
//   pop_finished():  the oldest finished entry; the caller reads its task's join slot, then
//                    drop() lets go of the task and frees the entry.
//
// An entry on the stack or in the finished list is `queued`, so a late wake (one the completion
// started before the entry was taken) finds it queued and does nothing. An entry is unqueued
// before its task is registered again (and when it is freed), so a completion after that pushes
// it: the registration is a read-modify-write of the task's join-waker slot, ordered with the
// completion's take of that slot (the ready queue's rule, ready_queue.hpp). A freed entry may be
// pushed by a late wake and reused meanwhile: its next check finds the new task, which costs one
// spurious check at most.
//
// Entries live in chunks owned by the queue (8, then each one twice the one before) and are
// reused last-freed first, so wakers that outlive the set (rule 7) point into live memory: the
// queue holds the chunks until its last reference (the set's, or a waker clone's) goes.
// Work: O(1) per spawn, per completion and per join; abort_all(), detach_all() and the
// destructor visit every entry once.
#pragma once

#include <futura/asio/detail/task_header.hpp>
#include <futura/core/detail/intrusive_list.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/stream/detail/ready_queue.hpp>

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace futura::detail {

/// One task of a join_set. The fields beside the node's are the owner's only.
struct join_entry : ready_node {
  // (First: it fits in the node's tail padding, which keeps an entry at 40 bytes.)
  bool abandoned = false;           // abort_all(): the outcome is dropped, never yielded
  task_header* task = nullptr;      // the set's reference to its task; null when free
  join_entry* next_free = nullptr;  // the free list
};

/// The shared state: the ready queue and the chunks of entries.
class join_set_queue final : public ready_queue {
 public:
  join_set_queue() = default;

  /// Owner only: a free entry (the last freed first); grows when none is left.
  join_entry* acquire();
  /// Owner only: `e` holds no task any more.
  void free_entry(join_entry* e) noexcept {
    e->task = nullptr;
    e->next_free = free_;
    free_ = e;
  }

  /// Owner only: calls `f(entry)` for every entry that holds a task.
  template <class Fn>
  void for_each_live(Fn&& f) {
    std::size_t size = first_chunk;
    for (const std::unique_ptr<join_entry[]>& c : chunks_) {
      for (std::size_t i = 0; i < size; ++i) {
        if (c[i].task != nullptr) f(c[i]);
      }
      size *= 2;
    }
  }

 private:
  static constexpr std::size_t first_chunk = 8;

  std::vector<std::unique_ptr<join_entry[]>> chunks_;
  join_entry* free_ = nullptr;
};

/// The owner's side: what join_set<T> keeps beside its type.
class join_set_core {
 public:
  join_set_core() noexcept = default;
  join_set_core(join_set_core&& o) noexcept
      : queue_(std::move(o.queue_)), finished_(std::move(o.finished_)), live_(std::exchange(o.live_, 0)) {}
  join_set_core(const join_set_core&) = delete;
  join_set_core& operator=(const join_set_core&) = delete;
  join_set_core& operator=(join_set_core&&) = delete;
  ~join_set_core() { abort_and_clear(); }

  void swap(join_set_core& o) noexcept {
    std::swap(queue_, o.queue_);
    finished_.swap(o.finished_);
    std::swap(live_, o.live_);
  }

  /// A free entry for a task about to be spawned (may allocate: before the spawn).
  join_entry* reserve();
  /// The spawn failed: `e` goes back unused.
  void unreserve(join_entry* e) noexcept { queue_->free_entry(e); }
  /// `t` (with the reference the set keeps) is the task of `e`: registers e's waker in its join
  /// slot, or queues `e` as finished when `t` is complete already.
  void adopt(join_entry* e, task_header* t) noexcept;

  /// Takes the entries woken since the last call and sorts them (see the top of this header).
  void collect() noexcept;
  /// The oldest entry whose task finished and is not yet joined; null if none.
  join_entry* pop_finished() noexcept { return static_cast<join_entry*>(finished_.pop_front()); }
  /// Lets go of the (complete) task of a popped entry and frees the entry.
  void drop(join_entry* e) noexcept;

  /// join_next's poll: registers the set's waker before taking the woken entries, so a
  /// completion after the take wakes `w` (ready_queue.hpp). Nothing happens without a queue.
  void register_and_collect(const waker& w) noexcept {
    if (!queue_) return;
    queue_->parent.register_waker(w);
    collect();
  }

  /// Tasks in the set, joined ones excepted (collect() first to drop those gone aborted).
  std::size_t live() const noexcept { return live_; }

  /// Requests the cancellation of every task; none of them will be yielded.
  void abort_all() noexcept;
  /// Lets every task run on without the set; the set becomes empty.
  void detach_all() noexcept;
  /// Aborts every task and lets go of them; the set becomes empty.
  void abort_and_clear() noexcept;

 private:
  /// A task found complete: finished list, or dropped when its outcome is not to be yielded.
  void sort_complete(join_entry* e) noexcept;
  /// Forgets every entry and the queue (whose clones may keep it alive a while).
  void reset() noexcept;

  ref_ptr<join_set_queue> queue_;        // from the first spawn
  intrusive_list<ready_node> finished_;  // join_entry nodes, in the order their tasks finished
  std::size_t live_ = 0;
};

}  // namespace futura::detail
