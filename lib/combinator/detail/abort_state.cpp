// The non-template half of abortable(): the shared abort state and its abort().
#include <futura/combinator/detail/abort_state.hpp>

namespace futura::detail {

abort_state* abort_state::make() { return new abort_state(); }

void abort_state::destroy_last(abort_state* s) noexcept { delete s; }

void abort_state::abort() noexcept {
  // Only the first abort wakes: after it the future completes at its next poll, and later
  // aborts have nothing to add. The flag is published before the waker is taken (release in
  // the exchange, then the waker slot's own acq_rel), so a poll that registers afterwards
  // reads it as set.
  if (!aborted_.exchange(true, std::memory_order_acq_rel)) waker_.wake();
}

}  // namespace futura::detail
