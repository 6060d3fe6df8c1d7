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

#include <cstddef>

namespace futura {

template <class Derived>
class stream_ext {
 public:
  /// A stream of `f(item)`: stream/map.hpp.
  template <class F>
  auto map(F&& f) &&;
  /// The outputs of the futures `f(item)`, one at a time, in order: stream/then.hpp.
  template <class F>
  auto then(F&& f) &&;
  /// The items for which `pred` holds: stream/filter.hpp.
  template <class P>
  auto filter(P&& pred) &&;
  /// The values of the `std::optional`s `f(item)`: stream/filter_map.hpp.
  template <class F>
  auto filter_map(F&& f) &&;
  /// The first `n` items: stream/take.hpp.
  auto take(std::size_t n) &&;
  /// The items up to the first one `pred` rejects: stream/take_while.hpp.
  template <class P>
  auto take_while(P&& pred) &&;
  /// The items after the first `n`: stream/skip.hpp.
  auto skip(std::size_t n) &&;
  /// The items from the first one `pred` rejects on: stream/skip_while.hpp.
  template <class P>
  auto skip_while(P&& pred) &&;
  /// Each item with its index, as `std::pair<std::size_t, T>`: stream/enumerate.hpp.
  auto enumerate() &&;
  /// The same items, each shown to `f` first: stream/inspect.hpp.
  template <class F>
  auto inspect(F&& f) &&;
  /// Safe to poll after its end; `is_terminated()`: stream/fuse.hpp.
  auto fuse() &&;
  /// This stream's items, then `other`'s: stream/chain.hpp.
  template <class S2>
  auto chain(S2&& other) &&;
  /// Pairs of this stream's items and `other`'s: stream/zip.hpp.
  template <class S2>
  auto zip(S2&& other) &&;
  /// A future that runs `f` (returning void or a future) on every item: stream/for_each.hpp.
  template <class F>
  auto for_each(F&& f) &&;
  /// A future of the items folded into `init` by `f`: stream/fold.hpp.
  template <class Acc, class F>
  auto fold(Acc&& init, F&& f) &&;
  /// A future of the items in a `std::vector` (or a `C`): stream/collect.hpp.
  template <class C = void>
  auto collect() &&;
  /// A future of the number of items: stream/count.hpp.
  auto count() &&;
  /// A future of the next item, or std::nullopt at the end, that refers to this stream (which
  /// must outlive it): stream/next.hpp.
  auto next() &;

  // Calls on an lvalue would have to copy the stream: say what to write instead.
  template <class... A>
  void map(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .map consumes the stream: write std::move(s).map(f)");
  }
  template <class... A>
  void then(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .then consumes the stream: write std::move(s).then(f)");
  }
  template <class... A>
  void filter(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .filter consumes the stream: write std::move(s).filter(pred)");
  }
  template <class... A>
  void filter_map(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .filter_map consumes the stream: write std::move(s).filter_map(f)");
  }
  template <class... A>
  void take(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .take consumes the stream: write std::move(s).take(n)");
  }
  template <class... A>
  void take_while(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .take_while consumes the stream: write std::move(s).take_while(pred)");
  }
  template <class... A>
  void skip(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .skip consumes the stream: write std::move(s).skip(n)");
  }
  template <class... A>
  void skip_while(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .skip_while consumes the stream: write std::move(s).skip_while(pred)");
  }
  template <class... A>
  void enumerate(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .enumerate consumes the stream: write std::move(s).enumerate()");
  }
  template <class... A>
  void inspect(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .inspect consumes the stream: write std::move(s).inspect(f)");
  }
  template <class... A>
  void fuse(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .fuse consumes the stream: write std::move(s).fuse()");
  }
  template <class... A>
  void chain(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .chain consumes the stream: write std::move(s).chain(other)");
  }
  template <class... A>
  void zip(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .zip consumes the stream: write std::move(s).zip(other)");
  }
  template <class... A>
  void for_each(A&&...) & {
    static_assert(detail::dependent_false<A...>,
                  "futura: .for_each consumes the stream: write std::move(s).for_each(f)");
  }
  template <class... A>
  void fold(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .fold consumes the stream: write std::move(s).fold(init, f)");
  }
  template <class... A>
  void collect(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .collect consumes the stream: write std::move(s).collect()");
  }
  template <class... A>
  void count(A&&...) & {
    static_assert(detail::dependent_false<A...>, "futura: .count consumes the stream: write std::move(s).count()");
  }
  // next() on a temporary would refer to a stream that is gone before the future is polled.
  template <class D = Derived>
  void next() && {
    static_assert(detail::dependent_false<D>,
                  "futura: .next() refers to the stream, which must outlive the future: call it on a named stream");
  }
};

}  // namespace futura
