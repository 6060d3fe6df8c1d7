// futura/stream/ready_chunks.hpp — the items of a stream that are ready at once, in vectors of up to n.
//
//   idle --upstream items v1..vk ready (k <= n), then pending, end, or k == n--> item {v1..vk}
//   idle --upstream pending at once--> pending
//   idle --upstream end: upstream destroyed--> end; ended --poll--> polled_after_completion
//
// `s.ready_chunks(n)`: each poll gathers the items the upstream has ready, up to `n`, and returns
// them as one `std::vector<T>` as soon as the upstream answers pending (or ends, or the chunk is
// full): a consumer that is slower than its producer gets batches, a faster one gets chunks of
// one. Never an empty chunk: the stream is pending only when no item was ready. When a chunk is
// returned because the upstream answered pending, the upstream keeps the waker, so a wake may
// follow that finds nothing new (spurious wakes are allowed). `ready_chunks(0)` throws
// `std::invalid_argument`. Order, drops, exceptions and allocation are those of `chunks`
// (futura/stream/chunks.hpp), which is the same class with `ReadyOnly = true`.
//
// Example:
//   // a sender that batches whatever is queued: one write per batch instead of one per line
//   auto batches = std::move(lines).ready_chunks(64);
#pragma once

#include <futura/stream/chunks.hpp>

namespace futura::stream {

/// The stream `s.ready_chunks(n)` returns.
template <class S>
using ready_chunks_stream = chunks_stream<S, true>;

}  // namespace futura::stream
