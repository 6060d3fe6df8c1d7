// futura/asio/join_handle.hpp — the future of a spawned task's output.
//
//   waiting --task completed--> ready(T) | rethrow the task's exception | throw aborted
//   waiting --abort()--> waiting for the future's destruction --> throw future_error(aborted)
//   any --detach()--> empty (the task runs on; its exception is logged)
//   any --destroyed without detach()--> the task is aborted
//
// `spawn(ex, f)` returns a `join_handle<output_t<F>>`. Polling it (from any executor, or from
// block_on) yields the task's output, or rethrows what the task's future threw (rule 6).
//
// Ordering and threads: the handle is woken on the task's executor, after the task's future
// has been destroyed and its output stored. `abort()` may be called from any thread that owns
// the handle; it only requests: the task's future is destroyed on the task's executor (before
// its next poll, or right after the poll in progress). After `abort()` the handle completes
// with `future_error(error::aborted)` once that destruction has happened, even if the task
// happened to finish first (its output is then dropped). `is_finished()` becomes true at the
// same moment. Destroying a handle that was not detached aborts the task (structured
// concurrency: no task outlives its owner by accident); `detach()` lets the task run on, and a
// detached task's exception is logged at error level on futura::logger(). A handle whose
// execution context was destroyed before the task finished completes with `error::aborted`.
//
// Allocation: none (the output lives in the task's block). Not thread-safe itself, like any
// future: one owner at a time.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/task_header.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>

#include <cstdint>
#include <exception>
#include <utility>

namespace futura {

template <class T>
class join_handle;

namespace detail {
template <class T>
join_handle<T> make_join_handle(task_output<T>* t) noexcept;
}  // namespace detail

/// The output of a spawned task, as a future; see the top of this header.
/// @code
///   boost::asio::io_context ctx;
///   futura::join_handle<int> h = futura::spawn(ctx, futura::ready(20).then([](int x) { return x + 22; }));
///   ctx.run();                                   // returns once the task has finished
///   int v = futura::block_on(std::move(h));      // 42
/// @endcode
template <class T>
class [[nodiscard]] join_handle : public future_ext<join_handle<T>> {
 public:
  using output_type = T;

  /// An empty handle (as after detach()); polling it is a contract violation.
  join_handle() noexcept = default;
  join_handle(join_handle&& o) noexcept
      : task_(std::exchange(o.task_, nullptr)),
        aborted_(std::exchange(o.aborted_, false)),
        finished_(std::exchange(o.finished_, false)) {}
  /// Aborts the task this handle joined (unless detached or finished), then takes `o`'s.
  join_handle& operator=(join_handle&& o) noexcept {
    join_handle(std::move(o)).swap(*this);
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  /// Ready with the task's output once the task has finished; rethrows the task's exception;
  /// throws `future_error(error::aborted)` after abort() or when the task's execution context
  /// was destroyed first. Polling it after that (or an empty handle) breaks rule 4.
  poll_result<T> poll(waker& w) {
    if (!task_) detail::polled_after_completion("futura::join_handle");
    if (task_->complete_and_alone() && !aborted_ && task_->output_status() == detail::task_output_status::value) {
      // The usual end: the task finished with a value and let go; the block is the handle's.
      struct destroyer {
        detail::task_output<T>* t;
        ~destroyer() { t->destroy_alone(); }
      } owner{std::exchange(task_, nullptr)};
      finished_ = true;
      return poll_result<T>(std::in_place, owner.t->take_value());
    }
    if (!task_->join_ready_or_register(w)) return pending;
    // Complete: the join slot is ours. Let go of the task whatever happens next (and of a
    // waker registered after the completion's wake).
    struct releaser {
      detail::task_output<T>* t;
      ~releaser() { t->release_joined(); }
    } owner{std::exchange(task_, nullptr)};
    finished_ = true;
    detail::task_output<T>& t = *owner.t;
    if (aborted_ || t.output_status() == detail::task_output_status::aborted) throw future_error(error::aborted);
    if (t.output_status() == detail::task_output_status::exception) std::rethrow_exception(t.output_error());
    return poll_result<T>(std::in_place, t.take_value());
  }

  /// Requests the task's cancellation: its future is destroyed on its executor. Polling the
  /// handle then completes with `future_error(error::aborted)` (once the future is gone).
  /// No effect on an empty handle.
  /// @code
  ///   auto h = futura::spawn(ctx, std::move(long_running));
  ///   h.abort();          // from any thread
  ///   ctx.run();          // the future is destroyed here, on ctx's thread
  /// @endcode
  void abort() noexcept {
    if (!task_) return;
    aborted_ = true;
    task_->abort();
  }

  /// Lets the task run on without a joiner; the handle becomes empty. A detached task's
  /// exception is logged at error level instead of being stored.
  /// @code
  ///   futura::spawn(ctx, std::move(background_job)).detach();
  /// @endcode
  void detach() noexcept {
    if (detail::task_output<T>* t = std::exchange(task_, nullptr)) {
      t->detach();
      t->release();
    }
  }

  /// True once the task's future is gone: it completed, failed, or was aborted and destroyed.
  /// False for an empty (detached or moved-from) handle; stays true after the output was taken.
  bool is_finished() const noexcept { return task_ ? task_->is_complete() : finished_; }

  /// False for an empty handle (default-constructed, moved-from, detached, or joined).
  bool valid() const noexcept { return task_ != nullptr; }

  /// The task's id, as in futura's log messages; 0 for an empty handle.
  std::uint64_t id() const noexcept { return task_ ? task_->id() : 0; }

  void swap(join_handle& o) noexcept {
    std::swap(task_, o.task_);
    std::swap(aborted_, o.aborted_);
    std::swap(finished_, o.finished_);
  }

 private:
  template <class U>
  friend join_handle<U> detail::make_join_handle(detail::task_output<U>* t) noexcept;
  explicit join_handle(detail::task_output<T>* t) noexcept : task_(t) {}

  void reset() noexcept {
    if (detail::task_output<T>* t = std::exchange(task_, nullptr)) {
      t->abort();
      t->drop_join_waker();
      t->release();
    }
  }

  detail::task_output<T>* task_ = nullptr;
  bool aborted_ = false;   // abort() was called: the handle completes with error::aborted
  bool finished_ = false;  // the handle took the task's outcome
};

namespace detail {
template <class T>
join_handle<T> make_join_handle(task_output<T>* t) noexcept {
  return join_handle<T>(t);
}
}  // namespace detail

}  // namespace futura
