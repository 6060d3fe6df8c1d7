// futura/asio/spawn.hpp — run a future as a task on an Asio executor.
//
//   spawn(ex, f): one block allocated, first poll posted --> polled on ex, once per wake
//                 --> future ready / threw / aborted: future destroyed, output stored, work released
//
// `spawn(ex, f)` takes `ex`, any standard Asio executor (io_context::executor_type, a strand,
// thread_pool::executor_type, any_io_executor) or an execution context (io_context,
// thread_pool), and a future `f`; it returns a `[[nodiscard]] join_handle<output_t<F>>`.
// `spawn_detached(ex, f)` is the fire-and-forget form.
//
// Ordering and threads: nothing runs inside spawn (rule 1): the first poll is posted to `ex`.
// Every poll happens in a handler on `ex`, never inline in a wake and never on two threads at
// once, also on a multi-threaded io_context or thread_pool; a strand serialises the task with
// the strand's other handlers. Any number of wakes before the task runs again cost one post;
// a wake during a poll costs one post and gives exactly one more poll.
// Work: a task that has not finished counts as outstanding work on its executor, as an
// in-flight Asio operation does, so `io_context::run()` (and `thread_pool::join()`) return only
// when every task has finished or was aborted.
// Destruction: the future is destroyed on its executor as soon as it completes or is aborted
// (join_handle::abort(), or dropping a handle that was not detached). Destroying the execution
// context destroys every unfinished task's future exactly once (in the context's shutdown);
// their handles then complete with `error::aborted`, and wakers that outlive the context do
// nothing (rule 7).
// Exceptions: a task's exception is stored for its join handle (rule 6); a detached task's is
// logged at error level on futura::logger() with the task's id, and the executor runs on.
// Allocation: one block per task (future, executor, wake state and output slot), from Asio's
// recycling allocator. On an io_context or thread_pool executor the block also holds the
// operation Asio needs for each post, so a spawn costs one allocation even from outside run()
// and a wake none; other executors (strands, any_io_executor, ...) allocate their own operation
// per post, from Asio's recycling cache.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/task.hpp>
#include <futura/asio/join_handle.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>

#include <type_traits>
#include <utility>

namespace futura {

namespace detail {
template <class F>
constexpr bool check_spawnable() {
  static_assert(check_future<F>());
  using D = std::decay_t<F>;
  static_assert(!std::is_lvalue_reference_v<F> || std::is_copy_constructible_v<D>,
                "futura::spawn takes the future by value and this one cannot be copied: pass std::move(f)");
  static_assert(std::is_move_constructible_v<output_t<D>>,
                "futura::spawn: the future's output must be move-constructible (the join handle moves it out)");
  return true;
}
}  // namespace detail

/// Runs `f` as a task on `ex` (an Asio executor or execution context); see the top of this
/// header. The task is aborted if the returned handle is destroyed without detach().
/// @code
///   boost::asio::io_context ctx;
///   auto h = futura::spawn(ctx, futura::lazy([] { return 6 * 7; }));
///   ctx.run();                                  // runs the task; returns when it has finished
///   int v = futura::block_on(std::move(h));     // 42
///
///   boost::asio::thread_pool pool(4);
///   auto s = futura::spawn(boost::asio::make_strand(pool), futura::ready(1));
/// @endcode
template <class ExecutorOrContext, class F>
[[nodiscard]] FUTURA_ALWAYS_INLINE auto spawn(ExecutorOrContext&& ex, F&& f) {
  static_assert(detail::check_spawnable<F>());
  return detail::make_join_handle(detail::spawn_task(detail::spawn_executor_of(ex), std::forward<F>(f)));
}

/// Runs `f` as a task on `ex` without a join handle: fire-and-forget. Its output is dropped; an
/// exception it throws is logged at error level on futura::logger() (with the task's id) and
/// the executor keeps running. It still counts as work until it finishes.
/// @code
///   futura::spawn_detached(ctx, futura::lazy([] { std::puts("hello from a task"); }));
/// @endcode
template <class ExecutorOrContext, class F>
void spawn_detached(ExecutorOrContext&& ex, F&& f) {
  static_assert(detail::check_spawnable<F>());
  detail::task_header* t = detail::spawn_task(detail::spawn_executor_of(ex), std::forward<F>(f));
  t->detach();
  t->release();
}

}  // namespace futura
