// futura/combinator/pending_forever.hpp — a future that never completes.
//
// Useful as the losing side of a `select`, or to test cancellation. It registers no waker:
// nothing will ever make it ready. Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>

namespace futura {

template <class T>
class [[nodiscard]] pending_forever_future : public future_ext<pending_forever_future<T>> {
 public:
  using output_type = T;
  poll_result<T> poll(waker&) { return pending; }
};

/// A future of `T` that stays pending forever.
template <class T = unit>
pending_forever_future<T> pending_forever() {
  return {};
}

}  // namespace futura
