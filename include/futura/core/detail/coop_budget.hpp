// futura/core/detail/coop_budget.hpp — how much ready work one poll of a looping future may do.
//
// A future that loops over work that is ready at once (`loop_fn`, a stream consumer such as
// `for_each`) could otherwise run for as long as its input stays ready, inside one poll, and
// starve every other task of its executor (an always-ready `for_each` over `stream::repeat(1)`
// would never return to the io_context). So each such poll runs at most `coop_budget` ready
// steps, then wakes its own waker (by reference) and returns pending: the executor polls it
// again after the other queued work, and no wakeup is lost (rule 3).
//
// The budget is counted per looping future, per poll (tokio counts per task; a per-task count
// would make leaf futures pend spuriously in a library without a runtime). The number is
// documented in the guide and the same everywhere; it is not part of the contract.
#pragma once

#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

namespace futura::detail {

/// Ready steps one poll of a looping future or stream consumer runs before it yields.
inline constexpr unsigned coop_budget = 128;

/// Counts one poll's ready steps against `coop_budget`; make one at the top of each poll.
class coop_meter {
 public:
  /// Records one ready step; true when this poll has spent the budget, after which the caller
  /// wakes its waker and returns pending.
  bool spend() noexcept { return --left_ == 0; }

  /// What a poll that spent the budget returns: it wakes its own waker, so the executor polls it
  /// again after its other work (rule 3), and reports pending.
  static pending_t yield(const waker& w) noexcept {
    w.wake();
    return pending;
  }

 private:
  unsigned left_ = coop_budget;
};

}  // namespace futura::detail
