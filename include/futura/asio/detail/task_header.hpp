// futura/asio/detail/task_header.hpp — the type-independent half of a spawned task.
//
// A task is ONE heap block: this header (state word with the reference count, join-waker
// slot, the task's place in its context's live-task list), the typed output slot
// (task_output<T>), the executor and its work-tracking twin, the future and, on io_context and
// thread_pool executors, the executor's operation for the task's next post (detail/task.hpp).
// The state word and its named transitions are task_state.hpp; lib/asio/detail/task_header.cpp drives them (it
// reads as the diagram below) and reaches the typed parts through a six-entry vtable.
//
// Scheduling state (bits of `state_`):
//
//            wake: post a runner              runner polls: pending, not notified
//   idle ─────────────────────────▶ scheduled ───────────────────────────────────▶ idle
//                                    │    ▲
//                 wake: set notified │    │ runner polls: pending, notified:
//                 (once; then no-op) ▼    │ clear notified, post again
//                             scheduled+notified
//                                    │ runner starts: clear notified (the poll serves it)
//                                    ▼
//                                scheduled ...
//   scheduled ──runner: ready / threw / abort requested──▶ complete
//                (future destroyed first, then the output published, then the work released;
//                 first-poll fast path below: executor released, then published)
//   idle / scheduled ──executor shut down──▶ closed ──future destroyed──▶ complete (aborted)
//
// - `scheduled` means exactly one runner exists, queued on the executor or polling; it is
//   set by the wake that posts the runner and cleared only by that runner (or its successor)
//   when it leaves the task idle. A runner starts with a plain load, so a poll costs one
//   compare-exchange (at its end) unless wakes came while the runner was queued.
// - A wake while `scheduled` sets `notified` and posts nothing, so any number of wakes before
//   the runner starts cost one post: the runner clears `notified` as it starts. A wake during
//   the poll (or one racing the start) leaves `notified` set, and the runner then posts the
//   task again: exactly one more poll, and never inline (wake() never polls). Only the runner
//   polls, so a task is never polled by two threads at once.
// - `cancelled` (abort requested) is acted on by the runner on the executor: the future is
//   destroyed there, never on the aborting thread.
// - `posting` counts the wakers from outside the task's context that are inside the executor's
//   execute(); the context's shutdown waits for it to drop to zero, so no post ever reaches a
//   destroyed execution context. `closed` stops all further posts.
// - `join_interest` is cleared by detach(); a task completing without it logs its exception.
// - First-poll fast path (complete_first_poll in lib/asio/detail/task_header.cpp): a task whose first poll gives
//   its value has never been listed and, on an executor that holds no outstanding work, owns
//   nothing whose release must follow the publication (its runner's handler is the context's
//   work until it returns). The typed poll destroys the executor at once; then, unless
//   `join_waiting` is set (a joiner must be woken first: the general path), one
//   compare-exchange sets closed|complete and drops the runner's reference.
//
// The live-task list of the context holds the tasks that have been polled and are not
// complete: a task joins it when its first poll returns pending, and starts counting as
// outstanding work on its executor then. Before that the task is `scheduled` with its first
// runner queued (which is the context's outstanding work, as any posted function is), nobody
// holds a waker of it (wakers come from polls), and its future has never been polled; if the
// executor shuts down with that runner queued, destroying the runner completes the task
// (aborted). So shutting the context down reaches every unfinished task once: through the
// list, or through its queued first runner. A task whose first poll finishes never touches
// the list or the work count; the context's task service (the list) is looked up only when a
// task joins it, not at spawn. A spawn on a context that is shutting down is posted like any
// other: the executor drops (destroys) the runner, which completes the task as aborted.
//
// References (counted in the high half of the state word): the join handle (also held by
// spawn_detached until the first post is made), the live-task list (from the first pending
// poll until completion or shutdown), the queued runner (handed on to the next runner when a
// wake came during the poll), every waker clone. The last one to go frees the block on
// whatever thread it is; wakers may outlive the task, the executor and the context (rule 7):
// once `closed` they do nothing. The join handle of a complete task is usually the last
// holder: it sees a count of one with a plain load and frees the block without a
// read-modify-write (nothing can add a reference once the count is one and the holder is us).
#pragma once

#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/waker.hpp>
#include <futura/executor/detail/task_state.hpp>
#include <futura/executor/log.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace boost::asio {
class execution_context;
}  // namespace boost::asio

namespace futura::detail {

class task_header;
class task_service;

/// Storage whose object is constructed and destroyed by hand (the future and the executor
/// of a task end before the block that holds them).
template <class T>
class manual_lifetime {
 public:
  manual_lifetime() noexcept {}
  manual_lifetime(const manual_lifetime&) = delete;
  manual_lifetime& operator=(const manual_lifetime&) = delete;
  ~manual_lifetime() {}

  template <class... Args>
  void construct(Args&&... args) {
    ::new (static_cast<void*>(&value_)) T(std::forward<Args>(args)...);
  }
  void destroy() noexcept { value_.~T(); }
  T& get() noexcept { return value_; }

 private:
  union {
    T value_;
  };
};

/// What a task's poll did. `done_executor_released`: done, and the task (never listed, on an
/// executor that holds no work) already destroyed its executor: see complete_first_poll().
/// Task ids: unique and increasing per thread, taken from a global counter in blocks of 1024
/// (refill_task_ids(), in the library), so that a spawn costs no shared atomic operation.
struct task_id_block {
  std::uint64_t next = 0;
  std::uint64_t end = 0;
};
inline thread_local task_id_block this_thread_task_ids;
void refill_task_ids() noexcept;

/// spdlog's level number for debug (checked in lib/asio/detail/task_header.cpp; this header does not include spdlog).
constexpr int task_log_debug = 1;

enum class task_poll_status : unsigned char { pending, done, done_executor_released };

/// What the join slot holds once the task is complete.
enum class task_output_status : unsigned char { none, value, exception, aborted, taken };

/// The typed operations of a task, filled in by detail/task.hpp.
struct task_vtable {
  /// Polls the future once. On ready or on an exception: destroys the future and fills the
  /// join slot, then returns `done` (or `done_executor_released`, see task_poll_status).
  task_poll_status (*poll)(task_header*) noexcept;
  /// Queues a runner (owning one reference) on the executor. Throws what the executor throws.
  void (*schedule)(task_header*);
  /// Makes the task count as outstanding work on its executor (at its first pending poll).
  void (*take_work)(task_header*);
  /// Destroys the future (abort, shutdown).
  void (*drop_future)(task_header*) noexcept;
  /// Destroys the executor (and the work-tracking one, if take_work made it): the task stops
  /// counting as outstanding work.
  void (*release_work)(task_header*, bool took_work) noexcept;
  /// Destroys the whole block (output included) and frees it.
  void (*destroy)(task_header*) noexcept;
};

class task_header {
 public:
  task_header(const task_header&) = delete;
  task_header& operator=(const task_header&) = delete;

  void add_ref() noexcept { state_.ref_inc(); }
  void release() noexcept {
    if (state_.ref_dec()) vtable_->destroy(this);
  }
  /// The join handle's fast path: true when the task is complete, the handle's is the only
  /// reference and no joiner's waker is registered. The handle then owns the block outright
  /// (no one can reach it any more) and frees it with destroy_alone(), no read-modify-write.
  bool complete_and_alone() const noexcept { return state_.is_complete_and_alone(); }
  void destroy_alone() noexcept { vtable_->destroy(this); }

  /// The join handle lets go of a completed task whose outcome it took: drops the waker it
  /// registered, if any, and its reference. Usually the handle is the last holder: when the
  /// count is 1 no one else holds the task, so no one can add a reference or touch the state any
  /// more, and the block (with the registered waker) is freed without a read-modify-write.
  void release_joined() noexcept {
    const task_snapshot s = state_.load();
    if (s.refs() == 1) {
      vtable_->destroy(this);
      return;
    }
    if (s.is_join_waiting()) join_waker_.get().take();
    release();
  }

  /// Schedules a poll (see the state machine above). Never polls inline.
  void wake() noexcept;
  /// wake(), consuming the caller's reference (a waker's `wake`).
  void wake_and_release() noexcept;

  /// The body of a runner: polls once, or completes the task. Consumes the runner's reference.
  void run() noexcept;
  /// A runner destroyed without running: consumes its reference, and completes the task as
  /// aborted when the task is not in the live-task list (its first runner never ran).
  void runner_dropped() noexcept;

  /// Readies the task for its first run on an executor whose context is `ctx` (the caller then
  /// posts that run: task::post_first). No lookup happens here: the context's task service is
  /// found at the task's first pending poll. (On a context that has shut down the executor
  /// drops the runner, which completes the task as aborted.)
  void prepare_start(boost::asio::execution_context& ctx) noexcept {
    task_id_block& ids = this_thread_task_ids;
    if (ids.next == ids.end) refill_task_ids();
    id_ = ++ids.next;
    context_ = &ctx;
    if (log_floor_admits(task_log_debug)) log_spawned();
  }

  /// Requests cancellation: the runner destroys the future on the executor.
  void abort() noexcept;
  /// The join handle lets go: a later exception is logged instead of stored.
  void detach() noexcept;

  bool is_complete() const noexcept { return state_.load().is_complete(); }
  std::uint64_t id() const noexcept { return id_; }
  /// Whether the task is in its context's live-task list (read by the task's runner only).
  bool is_listed() const noexcept { return listed_; }

  /// The join handle's poll: true when the task is complete (its join slot may be read);
  /// otherwise registers `w` to be woken at completion and returns false, unless the task
  /// completed meanwhile.
  bool join_ready_or_register(const waker& w) noexcept {
    const task_snapshot s = state_.load();
    if (s.is_complete()) return true;
    if (!s.is_join_waiting()) {
      // The slot is made here, by the one join handle, before the bit that lets a completion
      // use it is published. Announce the joiner first: a completion that does not see the bit
      // had already set `complete`, and set_join_waiting() returns it.
      join_waker_.construct();
      if (state_.set_join_waiting().is_complete()) return true;
    }
    join_waker_.get().register_waker(w);
    return is_complete();
  }
  /// Drops the waker the join handle registered, if any (the handle is done with the task).
  void drop_join_waker() noexcept {
    if (state_.load().is_join_waiting()) join_waker_.get().take();
  }
  /// The join slot. Read only after is_complete() returned true, by the one join handle.
  task_output_status output_status() const noexcept { return status_; }
  const std::exception_ptr& output_error() const noexcept { return error_; }

  /// A borrowed (non-owning) raw waker for this task: the runner holds a reference while polling.
  raw_waker raw() noexcept;

 protected:
  explicit task_header(const task_vtable* vtable) noexcept : vtable_(vtable) {}
  ~task_header() {
    if (state_.load(std::memory_order_relaxed).is_join_waiting()) join_waker_.destroy();
  }

  task_output_status status_ = task_output_status::none;
  // The kept executor holds no outstanding work (set by the typed task): destroying it before
  // the completion is published cannot let the context run out of work early.
  bool executor_holds_no_work_ = false;

 private:
  friend class task_service;

  // (Beside status_, so that the three share one word.) Set by the runner when the task joins
  // the live-task list; read by runners and by the destruction of a runner that never ran
  // (both ordered after it by the state word or by the executor's shutdown).
  bool listed_ = false;
  // Whether the task is in the list now: guarded by the list's lock, cleared when shutdown
  // takes the task.
  bool in_list_ = false;

 protected:
  std::exception_ptr error_;

 private:
  friend class task_service;

  bool on_own_context() const noexcept;
  void log_spawned() const noexcept;
  void release_many(std::uint64_t refs) noexcept;
  bool join_live_list() noexcept;
  void complete_aborted(const char* why) noexcept;
  void finish(bool aborted, bool work_released = false) noexcept;
  void complete_first_poll() noexcept;
  void shut_down() noexcept;

  // The state word and its named transitions (task_state.hpp). A task starts `scheduled` (its
  // first run is about to be posted) with two references: the spawner's and the first runner's.
  task_state state_;
  const task_vtable* vtable_;
  std::uint64_t id_ = 0;
  // The executor's context (set by prepare_start()), and its task service (looked up when the task
  // joins the live-task list, at its first pending poll: a task that finishes in its first
  // poll never needs it).
  boost::asio::execution_context* context_ = nullptr;
  // (service_, prev_ and next_ are set by the list when the task joins it, and read only then.)
  task_service* service_;
  // The list links, guarded by the list's lock.
  task_header* prev_;
  task_header* next_;
  // The join handle's waker slot: made by the handle's first pending poll (join_waiting says it
  // exists), so a task joined only after it finished never makes or destroys one.
  manual_lifetime<atomic_waker> join_waker_;
};

/// The waker of a task: clone/drop are reference counts on the task.
struct task_waker {
  static raw_waker clone(void* p) noexcept {
    static_cast<task_header*>(p)->add_ref();
    return {&vtable, p};
  }
  static void wake(void* p) noexcept { static_cast<task_header*>(p)->wake_and_release(); }
  static void wake_by_ref(void* p) noexcept { static_cast<task_header*>(p)->wake(); }
  static void drop(void* p) noexcept { static_cast<task_header*>(p)->release(); }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};
};

inline raw_waker task_header::raw() noexcept { return {&task_waker::vtable, this}; }

/// The join slot of a task whose output is `T`: lives in the task block, read by join_handle<T>.
template <class T>
class task_output : public task_header {
 public:
  /// Moves the value out. Precondition: complete, output_status() == value.
  T take_value() {
    status_ = task_output_status::taken;
    T v(std::move(value_.get()));
    value_.destroy();
    return v;
  }

 protected:
  using task_header::task_header;
  ~task_output() {
    if (status_ == task_output_status::value) value_.destroy();
  }

  template <class U>
  void set_value(U&& v) {
    value_.construct(std::forward<U>(v));
    status_ = task_output_status::value;
  }
  void set_exception(std::exception_ptr&& e) noexcept {
    error_ = std::move(e);
    status_ = task_output_status::exception;
  }

 private:
  manual_lifetime<T> value_;
};

}  // namespace futura::detail
