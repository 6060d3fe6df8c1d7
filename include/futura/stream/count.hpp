// futura/stream/count.hpp — a future of the number of items of a stream.
//
//   counting(n) --item: destroyed--> counting(n + 1) (same poll)
//   counting(n) --end--> done: ready with n
//   after coop_budget items in one poll: wake self, pending
//
// `std::move(s).count()`: consumes the stream and yields how many items it had, as
// `std::size_t`; each item is destroyed as it arrives. Budget as for `for_each`
// (futura/stream/for_each.hpp). Exceptions from the stream propagate. Allocation: none.
//
// Example:
//   std::size_t n = futura::block_on(futura::stream::repeat(0).take(5).count());   // 5
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace futura::stream {

template <class S>
class [[nodiscard]] count_future : public future_ext<count_future<S>> {
  static_assert(detail::check_stream<S>());

 public:
  using output_type = std::size_t;

  explicit count_future(S s) : s_(std::move(s)) {}

  poll_result<std::size_t> poll(waker& w) {
    if (done_) detail::polled_after_completion("futura::stream::count_future");
    detail::coop_meter meter;
    for (;;) {
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (!r.value()) {
        done_ = true;
        return n_;
      }
      ++n_;
      if (meter.spend()) return detail::coop_meter::yield(w);  // spent: the executor's other work first
    }
  }

 private:
  S s_;
  std::size_t n_ = 0;
  bool done_ = false;
};

}  // namespace futura::stream
