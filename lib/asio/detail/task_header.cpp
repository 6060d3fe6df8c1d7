// The type-independent part of spawned tasks: the scheduling state machine drawn in
// futura/asio/detail/task_header.hpp, driven through the named transitions of the state word
// (futura/executor/detail/task_state.hpp). The live-task list is task_service.cpp; the log
// events are task_log.cpp.
//
// Costs on the hot paths: a spawn is one allocation and the executor's post (no lookup: the
// context's task service is found only by tasks that return pending, once); a task whose first
// poll finishes never touches the live-task list or the service, and publishes its completion
// and drops the runner's reference in one compare-exchange when no joiner waits; a wake is one
// compare-exchange plus the post; a poll that stays pending is one compare-exchange after the
// future's poll (none before it unless wakes came while the runner was queued).
#include <futura/asio/detail/task_header.hpp>
#include <futura/asio/detail/task_service.hpp>
#include <futura/core/detail/chaos.hpp>

#include "task_log.hpp"

#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <exception>

namespace futura::detail {

namespace {

constexpr std::uint64_t id_block = 1024;
std::atomic<std::uint64_t> next_id_block{0};

// The context of the task this thread is running. Valid while that task runs: its context
// cannot be shut down during one of its own handlers. So a wake of a task of this same context
// needs no posting count.
thread_local boost::asio::execution_context* running_context = nullptr;

class running_scope {
 public:
  explicit running_scope(boost::asio::execution_context* ctx) noexcept : saved_(running_context) {
    running_context = ctx;
  }
  ~running_scope() { running_context = saved_; }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

 private:
  boost::asio::execution_context* saved_;
};

}  // namespace

bool task_header::on_own_context() const noexcept { return running_context == context_; }

void task_header::release_many(std::uint64_t refs) noexcept {
  if (state_.ref_dec(refs)) vtable_->destroy(this);
}

// A wake never reports failure (it is noexcept, like Rust's): an executor that cannot allocate
// its operation leaves no consistent way to go on, so schedule() throwing terminates.

void task_header::wake() noexcept {
  const bool local = on_own_context();
  if (state_.transition_to_notified_by_ref(local) == task_state::wake_by_ref_action::none) return;
  FUTURA_CHAOS_POINT("task.wake.scheduling");
  vtable_->schedule(this);
  if (!local) state_.leave_posting();
}

void task_header::wake_and_release() noexcept {
  const bool local = on_own_context();
  switch (state_.transition_to_notified_by_val(local)) {
    case task_state::wake_by_val_action::none:
      return;
    case task_state::wake_by_val_action::none_dealloc:
      vtable_->destroy(this);
      return;
    case task_state::wake_by_val_action::submit:
      break;
  }
  FUTURA_CHAOS_POINT("task.wake_and_release.scheduling");
  vtable_->schedule(this);
  if (!local && state_.leave_posting_and_release()) vtable_->destroy(this);
}

// finish(false) for a task whose first poll gave its value: it never joined the live-task list
// and, on an executor that holds no outstanding work, nothing of it must wait for the completion
// to be published (the runner's own handler is the context's work until it returns). So its
// executor is destroyed first (by the typed poll, which returned done_executor_released); then,
// unless a joiner is waiting to be woken, one compare-exchange publishes the completion and
// drops the runner's reference, and the block may be gone right after it. (Exceptions, aborts
// and joiners to wake take finish().)
inline void task_header::complete_first_poll() noexcept {
  const std::uint64_t id = id_;
  switch (state_.transition_to_complete_alone()) {
    case task_state::complete_alone_action::done_dealloc:
      vtable_->destroy(this);  // detached, and no waker was made
      [[fallthrough]];
    case task_state::complete_alone_action::done:
      log_event(spdlog::level::debug, id, "completed");
      return;
    case task_state::complete_alone_action::joiner_waiting:
      finish(false, true);  // a joiner registered: wake it before the runner lets go
      return;
  }
}

void task_header::run() noexcept {
  // `scheduled` stays set while this runner polls: only this runner clears it, so starting
  // needs no read-modify-write unless wakes came while the runner was queued. Those are
  // absorbed here (this poll serves them); a wake the transition does not see is one during the
  // poll, and gets its own poll below.
  const task_state::run_action start = state_.transition_to_running();
  if (start == task_state::run_action::gone) {  // shut down while queued
    release();
    return;
  }
  running_scope scope(context_);
  if (start == task_state::run_action::cancelled) {
    finish(true);
    return;
  }
  const task_poll_status polled = vtable_->poll(this);
  if (polled == task_poll_status::done_executor_released) {
    complete_first_poll();
    return;
  }
  if (polled == task_poll_status::done) {
    finish(false);
    return;
  }
  // The first pending poll: from now on wakers exist, and the context's shutdown must find the
  // task in its list. (Joining fails only if the context has shut down, which cannot happen
  // while one of its handlers runs, or if copying the executor runs out of memory.)
  if (!listed_ && !join_live_list()) {
    finish(true);
    return;
  }
  log_event(spdlog::level::trace, id_, "polled: pending");
  switch (state_.transition_to_idle()) {
    case task_state::idle_action::cancelled:
      finish(true);
      return;
    case task_state::idle_action::repoll:
      // Woken during the poll: post once more, handing this runner's reference to the next
      // (never a loop here, so other handlers get their turn). This thread runs a handler of
      // the task's context: no posting count needed.
      vtable_->schedule(this);
      return;
    case task_state::idle_action::idle_dealloc:
      vtable_->destroy(this);  // (the list holds one: not in practice)
      return;
    case task_state::idle_action::idle:
      return;
  }
}

// In a runner, after the task's first pending poll: the task goes into the live-task list and
// starts counting as outstanding work (until now its queued runner did: the context cannot
// run out of work in between, the runner's handler is still running). False when either
// fails (the context shut down; the executor could not be copied): the caller aborts the task.
bool task_header::join_live_list() noexcept {
  try {
    service_ = &task_service::of(*context_);  // makes the service on first use: may throw
  } catch (...) {
    return false;
  }
  add_ref();  // the list's
  if (!service_->link(this)) {
    release();
    return false;
  }
  try {
    vtable_->take_work(this);  // copies the executor: throws only where that allocates
  } catch (...) {
    service_->unlink(this);
    listed_ = false;
    release();
    return false;
  }
  return true;
}

void task_header::runner_dropped() noexcept {
  // A listed task is completed by its context's shutdown (done already, or to come). An unlisted
  // one has never been polled and nothing else knows it: its dropped first runner completes it.
  if (!listed_ && !state_.load().is_complete()) {
    complete_aborted("aborted: its executor dropped it before its first poll");
  }
  release();  // the runner's
}

// Not running, never to run again: destroys the future, publishes `aborted`, wakes the joiner
// and releases the work. The caller still holds its reference.
void task_header::complete_aborted(const char* why) noexcept {
  state_.close();
  vtable_->drop_future(this);
  status_ = task_output_status::aborted;
  const std::uint64_t id = id_;
  const task_snapshot s = state_.transition_to_complete();
  if (s.has_join_interest() && s.is_join_waiting()) join_waker_.get().wake();
  log_event(spdlog::level::debug, id, why);
  vtable_->release_work(this, listed_);
}

// On the executor, with `running` held, consuming the runner's reference: destroys the future
// if it is still there, publishes the output, wakes the joiner, then releases the work (after
// which the context may stop).
// `work_released`: complete_first_poll() already destroyed the executor.
void task_header::finish(bool aborted, bool work_released) noexcept {
  if (aborted) {
    vtable_->drop_future(this);
    status_ = task_output_status::aborted;
  }
  const task_output_status status = status_;
  const std::uint64_t id = id_;
  const std::exception_ptr error = status == task_output_status::exception ? error_ : nullptr;
  const bool listed = listed_;
  if (listed) service_->unlink(this);
  FUTURA_CHAOS_POINT("task.finish.publishing");
  const task_snapshot s = state_.transition_to_complete();
  // From here on the join slot belongs to the join handle, if there still is one.
  if (s.has_join_interest()) {
    if (s.is_join_waiting()) join_waker_.get().wake();
  } else if (status == task_output_status::exception) {
    log_detached_failure(id, error);
  }
  log_completion(id, status);
  if (!work_released) vtable_->release_work(this, listed);
  release_many(listed ? 2 : 1);  // the live-task list's (if the task joined it) and the runner's
}

// The context is being destroyed: called by task_service::shutdown() for a listed task that has
// not completed. Nothing runs the task concurrently; wakers on other threads may race.
void task_header::shut_down() noexcept {
  state_.close();
  // A waker may be inside execute() right now: the context must outlive that call.
  state_.wait_for_posters();
  complete_aborted("destroyed: its execution context shut down");
  release();  // the live-task list's
}

// Spawning (task_header::prepare_start, inline, then task::post_first). The task is not visible
// to any other thread yet, and it is not in the live-task list until its first poll returns
// pending, so its first post needs no posting count: nothing of the context's shutdown waits
// for it (spawning, like asio::post, requires the context to be alive), and a first runner the
// context drops completes the task.
void refill_task_ids() noexcept {
  task_id_block& ids = this_thread_task_ids;
  ids.next = next_id_block.fetch_add(id_block, std::memory_order_relaxed);
  ids.end = ids.next + id_block;
}

void task_header::log_spawned() const noexcept { log_event_checked(spdlog::level::debug, id_, "spawned"); }

void task_header::abort() noexcept {
  if (!state_.transition_to_cancelled()) return;
  log_event(spdlog::level::debug, id_, "abort requested");
  wake();
}

void task_header::detach() noexcept {
  const task_snapshot s = state_.drop_join_interest();
  FUTURA_CHAOS_POINT("task.detach.uninterested");
  if (s.is_complete()) {
    // Completed before the detach: the failure was stored for a joiner that will never come.
    if (status_ == task_output_status::exception) log_detached_failure(id_, error_);
  } else if (s.is_join_waiting()) {
    join_waker_.get().take();  // drop the waker a poll registered
  }
  log_event(spdlog::level::trace, id_, "detached");
}

}  // namespace futura::detail
