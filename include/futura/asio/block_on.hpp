// futura/asio/block_on.hpp — run a future to completion while running an io_context.
//
//   poll --pending--> run the context's handlers until woken --> poll ... --ready--> return
//
// `block_on(ctx, f)` polls `f` on the calling thread; while `f` is pending the thread runs
// `ctx`'s handlers (`run_one`), so a future waiting on IO of that context completes on this
// one thread. A wake of `f`'s waker makes `run_one` return: woken from a handler this thread is
// running, nothing more is needed; woken from anywhere else, the waker posts a no-op to `ctx`.
//
// Other threads may run `ctx` at the same time. They may then run the handler that wakes `f`,
// and even the no-op meant for this thread; a thread that picks up that no-op while this thread
// is inside `run_one` posts it again (behind the handlers already queued) and goes on, so the
// wake-up reaches this thread as soon as it takes a handler from the queue again: at once if
// it sleeps there, or when the handler it is running returns. No handler ever waits for
// another thread, so a handler of this thread that waits for one of another thread cannot
// deadlock the two. (Asio has no way to make one particular thread return from `run_one`; a
// no-op circulating until the right thread takes it is the price, and the other threads may
// run it a few times meanwhile.)
//
// Context state: a stopped context is restarted on entry; while `block_on` runs it holds a work
// guard, so `ctx` does not run out of work under it; if `ctx` is stopped while `block_on` waits
// (`ctx.stop()` from a handler or another thread), `block_on` restarts it and carries on: `f`
// is not abandoned. On return the work guard is released: like `run()`, a context left without
// work is stopped, and restartable (`ctx.restart()`, or the next `block_on`).
//
// Misuse: called from inside a handler of `ctx` (on a thread that is running `ctx`), waiting
// would deadlock that thread's own handler, so `block_on` throws `std::logic_error` instead.
// Exceptions thrown by `f`'s poll, and by handlers run meanwhile (as from `io_context::run`),
// propagate to the caller. Futures that wake themselves during their poll still let `ctx` make
// progress: before polling again, one ready handler is run (`poll_one`).
//
// Cost: one allocation per call (the reference-counted parker, with its own mutex), a work
// guard, and a lock of that mutex per wake and per `run_one`.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/core/future_traits.hpp>
#include <futura/core/waker.hpp>
#include <futura/executor/block_on.hpp>

#include <boost/asio/io_context.hpp>

#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

class io_parker;

/// The parker of one `block_on(ctx, f)` call.
class io_block_on_scope {
 public:
  /// Restarts `ctx` if stopped and takes a work guard. Throws std::logic_error when this thread
  /// is running a handler of `ctx`.
  explicit io_block_on_scope(boost::asio::io_context& ctx);
  ~io_block_on_scope();
  io_block_on_scope(const io_block_on_scope&) = delete;
  io_block_on_scope& operator=(const io_block_on_scope&) = delete;

  /// A waker that ends the current `wait()` (borrowed: the scope holds the reference).
  raw_waker raw() const noexcept;
  /// Runs `ctx`'s handlers until the waker was woken since the last wait.
  void wait();

 private:
  io_parker* parker_;
  io_parker* outer_;  // this thread's enclosing block_on(ctx, f), if any
};

}  // namespace detail

/// Polls `f` on this thread until it is ready, running `ctx`'s handlers while it is pending;
/// returns its output or rethrows its exception. An lvalue `f` is copied.
/// @code
///   boost::asio::io_context ctx;
///   boost::asio::steady_timer t(ctx, std::chrono::milliseconds(5));
///   auto r = futura::block_on(ctx, t.async_wait(futura::as_future));  // result<void>
/// @endcode
/// Throws `std::logic_error` when called from a handler of `ctx` (it would deadlock).
template <class F>
output_t<F> block_on(boost::asio::io_context& ctx, F&& f) {
  static_assert(detail::check_block_on_argument<F>());
  detail::io_block_on_scope scope(ctx);  // first: a misuse throws before f is moved from
  std::decay_t<F> future(std::forward<F>(f));
  return detail::poll_until_ready(future, scope);
}

}  // namespace futura
