// futura/stream/stream_ext.hpp — the method-call syntax of the stream adapters and consumers (CRTP).
//
// Derive a hand-written stream from `stream_ext<Self>` to get the methods of the adapters and
// consumers:
// @code
//   struct countdown_stream : futura::stream_ext<countdown_stream> {
//     using item_type = int;
//     int left;
//     explicit countdown_stream(int n) : left(n) {}
//     futura::poll_result<std::optional<int>> poll_next(futura::waker&) {
//       if (left == 0) return std::optional<int>();   // the end
//       return std::optional<int>(left--);
//     }
//   };
// @endcode
//
// The methods that make a new stream or a consuming future take the stream (call them on an
// rvalue: `std::move(s).map(f)`), as Rust's `StreamExt` methods take `self`. Each method is
// defined in the header of its adapter or consumer (`futura/stream/map.hpp` defines `map`, ...);
// `futura/stream.hpp` includes them all.
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_traits.hpp>

namespace futura {

template <class Derived>
class stream_ext {};

}  // namespace futura
