// futura/stream/chunks.hpp — the items of a stream, gathered into vectors of n.
//
//   gathering(c) --upstream item v: c gets v, |c| < n--> gathering(c) (same poll)
//   gathering(c) --upstream item v: c gets v, |c| == n--> item c; gathering({})
//   gathering(c) --upstream pending--> pending (c kept)
//   gathering(c) --upstream end: upstream destroyed--> item c if c is not empty; then the end
//   ended --poll--> polled_after_completion
//
// `s.chunks(n)`: items are `std::vector<T>` of `n` items in upstream order; the last one holds
// what was left when the upstream ended and may be shorter (never empty: an upstream that ends
// on a full chunk, or at once, ends the stream without one). A chunk waits for its `n` items:
// while the upstream is pending, the items gathered so far stay in the stream. One poll polls
// the upstream at most `n` times (it returns as soon as a chunk is full), so choose `n` with the
// executor's other work in mind. `chunks(0)` throws `std::invalid_argument`.
// `ready_chunks(n)` (futura/stream/ready_chunks.hpp) is this class with `ReadyOnly`: it returns
// what is ready without waiting for more.
//
// Dropping the stream drops the upstream and the items of the chunk being gathered. Exceptions
// from the upstream propagate; the items gathered before stay in the chunk. The upstream is
// destroyed in the poll that saw its end and never polled after it; a poll after the end is
// rule 4's error, reported by this stream. Allocation: one per chunk (its vector reserves `n`
// once, at its first item).
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2, 3, 4, 5}).chunks(2);   // {1, 2}, {3, 4}, {5}
#pragma once

#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace futura::stream {

template <class S, bool ReadyOnly>
class [[nodiscard]] chunks_stream : public stream_ext<chunks_stream<S, ReadyOnly>> {
  static_assert(detail::check_stream<S>());
  static constexpr const char* name =
      ReadyOnly ? "futura::stream::ready_chunks_stream" : "futura::stream::chunks_stream";

 public:
  using item_type = std::vector<item_t<S>>;

  /// Throws std::invalid_argument when `n` is 0 (a chunk could never be full).
  chunks_stream(S s, std::size_t n) : s_(std::in_place, std::move(s)), n_(n) {
    if (n == 0) {
      detail::throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument,
                                                    ReadyOnly
                                                        ? "futura: .ready_chunks(0): the chunk size must be at least 1"
                                                        : "futura: .chunks(0): the chunk size must be at least 1");
    }
  }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    while (s_) {
      poll_result<std::optional<item_t<S>>> r = s_->poll_next(w);
      if (r.is_pending()) {
        if (ReadyOnly && !chunk_.empty()) return take_chunk();  // what was ready: don't wait for more
        return futura::pending;
      }
      if (!r.value()) {
        s_.reset();  // the upstream ended: the last chunk, if any, then the end
        break;
      }
      if (chunk_.empty()) chunk_.reserve(n_);
      chunk_.push_back(std::move(*r.value()));
      if (chunk_.size() == n_) return take_chunk();
    }
    if (!chunk_.empty()) return take_chunk();
    if (ended_) detail::polled_after_completion(name);
    ended_ = true;
    return std::optional<item_type>();
  }

 private:
  std::optional<item_type> take_chunk() {
    std::optional<item_type> out(std::move(chunk_));
    chunk_.clear();  // moved from, so already empty; the next chunk reserves its own n
    return out;
  }

  std::optional<S> s_;  // destroyed at its end
  std::size_t n_;
  item_type chunk_;  // the chunk being gathered
  bool ended_ = false;
};

}  // namespace futura::stream
