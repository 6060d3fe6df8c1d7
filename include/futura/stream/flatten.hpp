// futura/stream/flatten.hpp — the items of a stream of streams, one inner stream after another.
//
//   outer --outer item: inner stream I--> inner(I) (polled in the same poll)
//   inner(I) --I item v--> item v
//   inner(I) --I end: I destroyed--> outer (polled in the same poll; after coop_budget inner
//                                          streams that ended without an item: wake self, pending)
//   outer --outer pending / end--> the same
//
// `s.flatten()`: `s`'s items are streams (all of one type); the items are those of the first
// inner stream until it ends, then those of the next, in order. One inner stream runs at a time:
// the outer stream is not polled for the next one before the current one has ended. Each inner
// stream is destroyed in the poll that saw its end and is never polled after it (rule 4); a poll
// after the outer end reaches the outer stream, which reports it. Inner streams that end at once
// without an item are skipped inside one poll, up to `detail::coop_budget` (128) of them; then the
// stream wakes itself and answers pending, so an outer stream of empty streams cannot starve the
// executor. Dropping the flatten drops the outer stream and the inner stream in flight.
// Exceptions from either propagate. Allocation: none.
//
// Example:
//   std::vector<std::vector<int>> rows{{1, 2}, {}, {3}};
//   auto s = futura::stream::iter(std::move(rows))
//                .map([](std::vector<int> row) { return futura::stream::iter(std::move(row)); })
//                .flatten();   // 1, 2, 3
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] flatten_stream : public stream_ext<flatten_stream<S>> {
  static_assert(detail::check_stream<S>());
  static_assert(is_stream_v<item_t<S>>,
                "futura: .flatten(): the stream's items must be streams (for items that are futures, use "
                ".then(f))");
  using inner_type = item_t<S>;

 public:
  using item_type = item_t<inner_type>;

  explicit flatten_stream(S s) : outer_(std::move(s)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    detail::coop_meter meter;
    for (;;) {
      if (inner_) {
        poll_result<std::optional<item_type>> r = inner_->poll_next(w);
        if (r.is_pending() || r.value()) return r;
        inner_.reset();  // the inner stream ended: release it before the next one starts
        if (meter.spend()) return detail::coop_meter::yield(w);
      }
      poll_result<std::optional<inner_type>> next = outer_.poll_next(w);
      if (next.is_pending()) return futura::pending;
      if (!next.value()) return std::optional<item_type>();
      inner_.emplace(std::move(*next.value()));
    }
  }

 private:
  S outer_;
  std::optional<inner_type> inner_;  // declared last: destroyed before the outer stream
};

}  // namespace futura::stream
