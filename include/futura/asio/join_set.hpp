// futura/asio/join_set.hpp — a task group: a dynamic set of spawned tasks of one output type,
// joined in the order they finish.
//
//   set.spawn(ex, f):  a task, as futura::spawn makes it; the set owns it --> running
//   running --the task's future is ready or threw--> finished (counted by size(), not yet joined)
//   finished --join_next() yields it (value, or rethrows its exception)--> gone from the set
//   running / finished --abort (its handle, abort_all())--> aborting --future destroyed--> gone,
//                       silently (never yielded)
//   any --detach_all()--> gone from the set (the tasks run on)
//   any --the set is destroyed--> aborted, gone
//
//   join_next() on a set:  a finished task   --> ready(its output), or its exception rethrown
//                          none finished yet --> pending (woken by the next task to finish)
//                          the set is empty  --> ready(std::nullopt)
//
// `join_set<T> set; set.spawn(ex, f);` spawns `f` (a future of `T`: `futura::unit` for futures of
// nothing) on `ex`, exactly as futura::spawn does (docs/guide.md, chapter 12), and returns a
// `task_abort_handle` for it: `abort()` and `is_finished()`. Dropping that handle does not abort
// the task: the set owns it. `join_next()` returns a future of `std::optional<T>` that refers to
// the set: the output of the next task to finish, in completion order (the order in which the
// tasks' completions reached the set), or `std::nullopt` once the set is empty. A task that threw
// makes that poll of join_next rethrow its exception; the set stays usable. `size()` counts the
// tasks in the set (running, and finished but not yet joined); `empty()` is `size() == 0`.
//
// Ordering: each task is woken, polled and destroyed on its own executor as a spawned task is.
// A task's completion wakes the set: join_next is woken once per batch of completions between
// two of its polls, and each poll costs O(1) per task that finished since the last one: never a
// walk over the tasks that are still running.
// Aborts: an aborted task (its handle's `abort()`, or `abort_all()`) leaves the set silently once
// its future has been destroyed on its executor: join_next never yields it, and size() no longer
// counts it from then on. `abort_all()` drops the outcome of every task in the set, also of one
// that had finished already; a handle's `abort()` comes from any thread, so on a task that had
// finished already it does nothing (that task is still yielded).
// Threads: tasks run on their executors (also a multi-threaded thread_pool) and their
// completions reach the set from any thread. The set itself, and its join_next futures, are
// used by one thread at a time (one owner, like a join_handle); one join_next future is polled
// at a time. A task_abort_handle may be used from any thread and may outlive the set.
// Destruction: destroying the set aborts every task still in it (their futures are destroyed on
// their executors, later); `detach_all()` instead lets them run on (an exception of theirs is
// then logged, as for a detached task) and empties the set. The set may be moved, but not while
// a join_next future refers to it.
// Cancel-safety: dropping a pending join_next future loses no task: the next join_next yields
// what it would have.
// Allocation: per spawn, the task's one block (as futura::spawn); the set's entries come in
// chunks (8, then doubling), allocated only when more tasks are in the set than ever before, and
// are reused; join_next allocates nothing.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/join_set_core.hpp>
#include <futura/asio/detail/task.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura {

template <class T>
class join_set;

/// A task of a join_set, seen from outside: abort it or ask whether it has finished. It holds a
/// reference to the task's block, not the task: dropping it aborts nothing. Any thread.
class task_abort_handle {
 public:
  /// An empty handle: abort() does nothing, is_finished() is false.
  task_abort_handle() noexcept = default;
  task_abort_handle(const task_abort_handle& o) noexcept : task_(o.task_) {
    if (task_ != nullptr) task_->add_ref();
  }
  task_abort_handle(task_abort_handle&& o) noexcept : task_(std::exchange(o.task_, nullptr)) {}
  task_abort_handle& operator=(task_abort_handle o) noexcept {
    std::swap(task_, o.task_);
    return *this;
  }
  ~task_abort_handle() {
    if (task_ != nullptr) task_->release();
  }

  /// Requests the task's cancellation: its future is destroyed on its executor (before its next
  /// poll, or right after the poll in progress), and the set then forgets it without yielding it.
  /// Nothing happens if the task has finished already.
  void abort() const noexcept {
    if (task_ != nullptr) task_->abort();
  }
  /// True once the task's future is gone: it finished, threw, or was aborted and destroyed.
  bool is_finished() const noexcept { return task_ != nullptr && task_->is_complete(); }
  /// The task's id, as in futura's log messages; 0 for an empty handle.
  std::uint64_t id() const noexcept { return task_ != nullptr ? task_->id() : 0; }

 private:
  template <class T>
  friend class join_set;
  explicit task_abort_handle(detail::task_header* t) noexcept : task_(t) { task_->add_ref(); }

  detail::task_header* task_ = nullptr;
};

/// The future of join_set<T>::join_next(): refers to its set, which must outlive it (and stay
/// where it is) while it is polled.
template <class T>
class [[nodiscard]] join_next_future : public future_ext<join_next_future<T>> {
 public:
  using output_type = std::optional<T>;

  join_next_future(join_next_future&&) noexcept = default;
  join_next_future& operator=(join_next_future&&) noexcept = default;
  join_next_future(const join_next_future&) = delete;
  join_next_future& operator=(const join_next_future&) = delete;
  ~join_next_future() = default;

  /// The next task of the set to finish (its output, or its exception rethrown); std::nullopt
  /// when the set is empty.
  poll_result<std::optional<T>> poll(waker& w) {
    if (set_ == nullptr) detail::polled_after_completion("futura::join_next_future");
    join_set<T>* set = std::exchange(set_, nullptr);  // done, unless pending below
    poll_result<std::optional<T>> r = set->poll_join_next(w);
    if (r.is_pending()) set_ = set;
    return r;
  }

 private:
  friend class join_set<T>;
  explicit join_next_future(join_set<T>* set) noexcept : set_(set) {}

  join_set<T>* set_;  // null once ready (or thrown)
};

namespace detail {
/// spawn's checks, then the one of the set: the future's output is the set's T. False when a
/// check failed (its message is out; join_set::spawn then compiles nothing more).
template <class T, class F>
constexpr bool check_join_set_spawnable() {
  static_assert(check_spawnable<F>());
  if constexpr (is_future_v<std::decay_t<F>>) {
    constexpr bool same = std::is_same_v<output_t<std::decay_t<F>>, T>;
    static_assert(same,
                  "futura::join_set<T>::spawn: the future's output type is not T: every task of a join_set<T> "
                  "yields T (convert the output with .then(...); for futures of nothing use join_set<futura::unit>)");
    return same;
  } else {
    return false;
  }
}
}  // namespace detail

/// A set of spawned tasks whose outputs are `T`, joined in completion order; see the top of this
/// header.
/// @code
///   boost::asio::thread_pool pool(2);
///   futura::join_set<int> set;
///   for (int i = 0; i < 10; ++i) set.spawn(pool, futura::lazy([i] { return i * i; }));
///   int sum = 0;
///   while (std::optional<int> v = futura::block_on(set.join_next())) sum += *v;   // 285
///
///   futura::task_abort_handle slow = set.spawn(pool, std::move(slow_job));
///   slow.abort();                 // slow_job's future is destroyed on the pool; never yielded
/// @endcode
template <class T>
class join_set {
  static_assert(!std::is_void_v<T>, "futura::join_set<void> does not exist: use futura::join_set<futura::unit>");
  static_assert(!std::is_reference_v<T> && std::is_move_constructible_v<T>,
                "futura::join_set<T>: T must be a move-constructible object type (the output of the tasks)");

 public:
  join_set() noexcept = default;
  /// Takes `o`'s tasks; `o` is left empty. No join_next future may refer to `o`.
  join_set(join_set&& o) noexcept : core_(std::move(o.core_)) {}
  /// Aborts this set's tasks, then takes `o`'s.
  join_set& operator=(join_set&& o) noexcept {
    join_set moved(std::move(o));
    core_.swap(moved.core_);
    return *this;
  }
  join_set(const join_set&) = delete;
  join_set& operator=(const join_set&) = delete;
  /// Aborts every task still in the set.
  ~join_set() = default;

  /// Spawns `f` on `ex` (an Asio executor or execution context, as for futura::spawn) into the
  /// set. Throws what futura::spawn throws (then the set is unchanged).
  /// @code
  ///   futura::join_set<futura::unit> set;
  ///   set.spawn(ctx, futura::lazy([] { std::puts("hello"); }));   // void becomes futura::unit
  ///   futura::task_abort_handle h = set.spawn(ctx.get_executor(), std::move(job));
  /// @endcode
  template <class ExecutorOrContext, class F>
  task_abort_handle spawn(ExecutorOrContext&& ex, F&& f) {
    if constexpr (detail::check_join_set_spawnable<T, F>()) {
      detail::join_entry* e = core_.reserve();
      detail::task_output<T>* t = nullptr;
      try {
        t = detail::spawn_task(detail::spawn_executor_of(ex), std::forward<F>(f));
      } catch (...) {
        core_.unreserve(e);
        throw;
      }
      task_abort_handle handle(t);
      core_.adopt(e, t);
      return handle;
    } else {
      return task_abort_handle();  // not reached: a check above failed to compile
    }
  }

  /// A future of the next task to finish (see the top of this header). Polling it collects the
  /// tasks finished since its last poll.
  /// @code
  ///   while (std::optional<reply> r = futura::block_on(set.join_next())) handle(*r);
  /// @endcode
  join_next_future<T> join_next() noexcept { return join_next_future<T>(this); }

  /// The tasks in the set: running, or finished and not yet joined. An aborted task stops
  /// counting once its future has been destroyed.
  std::size_t size() noexcept {
    core_.collect();
    return core_.live();
  }
  bool empty() noexcept { return size() == 0; }

  /// Requests the cancellation of every task in the set: none of them will be yielded, also
  /// those that had finished already. They leave the set as their futures are destroyed, so
  /// join_next() answers std::nullopt once all are gone (unless tasks were spawned since).
  void abort_all() noexcept { core_.abort_all(); }

  /// Lets every task run on without the set (as join_handle::detach(): a task's exception is
  /// logged); the set becomes empty. Outputs of tasks that had finished are dropped.
  void detach_all() noexcept { core_.detach_all(); }

 private:
  friend class join_next_future<T>;

  poll_result<std::optional<T>> poll_join_next(waker& w) {
    bool collected = false;
    for (;;) {
      if (detail::join_entry* e = core_.pop_finished()) return join(e);
      if (core_.live() == 0) return std::optional<T>();
      if (collected) return pending;
      core_.register_and_collect(w);
      collected = true;
    }
  }

  /// The outcome of the finished task of `e`, which leaves the set whatever happens.
  std::optional<T> join(detail::join_entry* e) {
    struct dropper {
      detail::join_set_core& core;
      detail::join_entry* entry;
      ~dropper() { core.drop(entry); }
    } drop{core_, e};
    auto* t = static_cast<detail::task_output<T>*>(e->task);
    if (t->output_status() == detail::task_output_status::exception) {
      // A copy: the task's block (and its copy) may be freed as the exception leaves.
      const std::exception_ptr error = t->output_error();
      std::rethrow_exception(error);
    }
    return std::optional<T>(std::in_place, t->take_value());
  }

  detail::join_set_core core_;
};

}  // namespace futura
