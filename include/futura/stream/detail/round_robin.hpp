// futura/stream/detail/round_robin.hpp — the poll of stream::select and stream::select_all.
//
//   merging(live > 0) --stream i has an item--> item; the next poll starts at stream i + 1
//   merging(live > 0) --stream i ends: it is destroyed, live - 1--> the next stream (same poll)
//   merging(live > 0) --every live stream pending--> pending
//   merging(live == 0) --> end; ended --poll--> polled_after_completion
//
// Each poll polls the live streams in cyclic order, starting after the one that gave the last
// item, and stops at the first item. So no stream starves: a stream that is ready whenever it is
// polled gives at least one item in every n, however often the others are ready. A stream that
// ended is destroyed at once and never polled again.
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <cstddef>
#include <optional>

namespace futura::detail {

/// Where a merge of streams stands: which stream it polls first, how many have not ended.
struct round_robin {
  explicit round_robin(std::size_t n) noexcept : live(n) {}

  /// One poll of a merge of `n` streams. `with_stream(i, f)` calls `f(slot)` with the
  /// `std::optional<S>&` that holds stream i (empty once that stream ended).
  template <class T, class WithStream>
  poll_result<std::optional<T>> poll(std::size_t n, waker& w, const char* who, WithStream&& with_stream) {
    if (ended) polled_after_completion(who);
    poll_result<std::optional<T>> r = pending;
    auto poll_slot = [&](auto& slot) {
      if (!slot) return;  // ended: never polled again
      r = slot->poll_next(w);
      if (r.is_ready() && !r.value()) {
        slot.reset();  // release it in the poll that saw its end
        --live;
      }
    };
    for (std::size_t k = 0; k < n && live > 0; ++k) {
      std::size_t i = first + k < n ? first + k : first + k - n;
      with_stream(i, poll_slot);
      if (r.is_pending()) continue;
      if (r.value()) {
        first = i + 1 < n ? i + 1 : 0;
        return r;
      }
      r = pending;  // that stream ended: go on with the next
    }
    if (live > 0) return pending;
    ended = true;
    return std::optional<T>();
  }

  std::size_t first = 0;  // the stream the next poll polls first
  std::size_t live;       // streams that have not ended
  bool ended = false;     // the end was answered
};

}  // namespace futura::detail
