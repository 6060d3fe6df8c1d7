// futura/combinator/detail/root_poll.hpp — the one rule every executor follows when it polls a future.
//
// A poll made by an executor (block_on, block_on(ctx), a task's runner, shared_future's poll
// of its inner future, or any executor a user writes) is the ROOT of its own poll: whatever
// that poll defers to finish later on a shallow stack (the boxed_future trampoline, see
// detail/boxed_trampoline.hpp) must be finished before the root returns, because the thread
// may then block (park, run other handlers) or hand the future to another thread. Without a
// root scope, a future polled inside another future's poll (a nested block_on, a task run by
// a nested block_on(ctx)'s run_one) would defer its deep boxes to the OUTER root, which cannot
// drain them while this thread blocks, and whose per-thread list another thread never sees.
//
//   executor:  root_poll_scope scope;  f.poll(w);       (or: poll_root(f, w))
//
// The scope costs two thread-local accesses (it saves and resets the trampoline's depth). It
// is the only place executors touch the trampoline.
#pragma once

#include <futura/combinator/detail/boxed_trampoline.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

namespace futura::detail {

/// Marks the polls made inside it as roots (see the top of this header). Nests.
class root_poll_scope {
 public:
  FUTURA_ALWAYS_INLINE root_poll_scope() noexcept : saved_depth_(boxed_this_thread().poll_depth) {
    boxed_this_thread().poll_depth = 0;
  }
  FUTURA_ALWAYS_INLINE ~root_poll_scope() { boxed_this_thread().poll_depth = saved_depth_; }
  root_poll_scope(const root_poll_scope&) = delete;
  root_poll_scope& operator=(const root_poll_scope&) = delete;

 private:
  std::uint32_t saved_depth_;
};

/// Polls `f` with `w` as the root of a poll: what executors call.
template <class F>
FUTURA_ALWAYS_INLINE auto poll_root(F& f, waker& w) -> decltype(f.poll(w)) {
  root_poll_scope scope;
  return f.poll(w);
}

}  // namespace futura::detail
