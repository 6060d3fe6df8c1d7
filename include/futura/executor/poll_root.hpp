// futura/executor/poll_root.hpp — how an executor polls the futures it runs.
//
// `poll_root(f, w)` polls `f` with `w` as the root of a poll: whatever that poll defers to run
// later on a shallow stack (the deep-chain trampoline of boxed_future) is finished before it
// returns, whatever other polls are on this thread's stack. Every executor of futura polls this
// way (block_on, block_on(io_context&), spawned tasks, shared_future); an executor you write
// should too, at least if it may run inside another future's poll (a nested event loop) and
// then block or hand the future to another thread. Cost: two thread-local accesses.
#pragma once

#include <futura/combinator/detail/root_poll.hpp>
#include <futura/core/future_traits.hpp>

namespace futura {

/// Polls `f` with `w` as the root of a poll (see above).
/// @code
///   futura::poll_result<int> r = futura::poll_root(task_future, task_waker);
/// @endcode
template <class F>
FUTURA_ALWAYS_INLINE poll_result<output_t<F>> poll_root(F& f, waker& w) {
  static_assert(detail::check_future<F>());
  return ::futura::detail::poll_root(f, w);
}

}  // namespace futura
