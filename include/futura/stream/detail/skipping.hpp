// futura/stream/detail/skipping.hpp — the loop of the adapters that drop some of the upstream's
// items (filter, skip, skip_while): poll, drop what is unwanted, under the cooperative budget.
//
//   polling --item v, skip(v)--> v destroyed; polling (same poll; after coop_budget of them:
//                                wake self, pending)
//   polling --item v, !skip(v)--> item v
//   polling --pending / end--> the same
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/stream/stream_traits.hpp>

#include <optional>
#include <utility>

namespace futura::detail {

/// Polls `upstream` until it answers pending, its end, or an item `v` for which `skip(std::as_const(v))`
/// is false, which it returns. A skipped item is destroyed at once. One call skips at most
/// `coop_budget` items that were ready at once, then wakes `w` and answers pending, so that an
/// endless ready upstream whose items are all skipped cannot starve the executor.
template <class S, class Skip>
poll_result<std::optional<item_t<S>>> poll_skipping(S& upstream, waker& w, Skip&& skip) {
  coop_meter meter;
  for (;;) {
    poll_result<std::optional<item_t<S>>> r = upstream.poll_next(w);
    if (r.is_pending() || !r.value() || !skip(std::as_const(*r.value()))) return r;
    if (meter.spend()) return coop_meter::yield(w);  // spent: the executor's other work first
  }
}

}  // namespace futura::detail
