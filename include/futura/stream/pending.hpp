// futura/stream/pending.hpp — a stream that never yields and never ends.
//
//   waiting --poll: pending, no waker registered--> waiting
//
// `stream::pending<T>()`: every poll answers pending without registering a waker, so it is
// never woken (like `pending_forever<T>()` for futures); useful as a branch that never fires.
// Allocation: none.
//
// Inside namespace futura::stream this function hides `futura::pending` (the poll result):
// code there writes `futura::pending`.
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <optional>

namespace futura::stream {

template <class T>
class [[nodiscard]] pending_stream : public stream_ext<pending_stream<T>> {
 public:
  using item_type = T;

  poll_result<std::optional<T>> poll_next(waker&) noexcept { return futura::pending; }
};

/// A stream of `T` that stays pending forever.
/// @code
///   auto s = futura::stream::pending<int>();   // never an item, never the end
/// @endcode
template <class T>
pending_stream<T> pending() {
  return {};
}

}  // namespace futura::stream
