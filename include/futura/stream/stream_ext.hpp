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
// rvalue: `std::move(s).map(f)`), as Rust's `StreamExt` methods take `self`. This class is the
// table of contents: each method names the header that defines what it returns
// (`futura/stream/map.hpp` defines `map_stream`, ...); `futura/stream.hpp` includes them all.
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_traits.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::stream {

// What the methods return. Each is defined in the header the method's comment names; include
// that header (or futura/stream.hpp) to call the method.
template <class S, class F>
class map_stream;
template <class S, class F>
class then_stream;
template <class S, class P>
class filter_stream;
template <class S, class F>
class filter_map_stream;
template <class S>
class take_stream;
template <class S, class P>
class take_while_stream;
template <class S>
class skip_stream;
template <class S, class P>
class skip_while_stream;
template <class S>
class enumerate_stream;
template <class S, class F>
class inspect_stream;
template <class S>
class fuse_stream;
template <class S1, class S2>
class chain_stream;
template <class S1, class S2>
class zip_stream;
template <class S, class Acc, class F>
class fold_future;
template <class S, class C>
class collect_future;
template <class S>
class count_future;
template <class S>
class next_future;
template <class S>
class flatten_stream;
template <class S, bool ReadyOnly = false>
class chunks_stream;
template <class T>
class boxed_stream;

}  // namespace futura::stream

namespace futura::detail {
// for_each checks its callable before it names its step type: stream/for_each.hpp.
template <class S, class F>
auto start_for_each(S&& s, F&& f);
// The try_ methods check that the items are results first: stream/detail/result_items.hpp (the
// adapters made of a result combinator's function object) and the try_ headers.
struct map_ok_combinator;
struct map_err_combinator;
struct and_then_combinator;
template <class C, class S, class G>
auto adapt_result_items(S&& s, G&& g);
template <class S, class P>
auto start_try_filter(S&& s, P&& pred);
template <class S>
auto start_try_next(S& s);
template <class S, class F>
auto start_try_for_each(S&& s, F&& f);
template <class S>
auto start_try_collect(S&& s);
// buffered and buffer_unordered are one class (stream/detail/buffer_stream.hpp) with a tag each.
template <class S, class Tag>
class buffer_stream;
struct buffered_adapter;
struct buffer_unordered_adapter;
// for_each_concurrent and try_for_each_concurrent are one future with a mode each, which checks
// the callable first (stream/detail/concurrent_for_each.hpp).
struct for_each_concurrent_mode;
struct try_for_each_concurrent_mode;
template <class Mode, class S, class F>
auto start_concurrent_for_each(S&& s, std::size_t limit, F&& f);
}  // namespace futura::detail

namespace futura {

template <class Derived>
class stream_ext {
  Derived&& consumed() { return static_cast<Derived&&>(*this); }

 public:
  /// A stream of `f(item)`: stream/map.hpp.
  template <class F>
  auto map(F&& f) && {
    return stream::map_stream<Derived, std::decay_t<F>>(consumed(), std::forward<F>(f));
  }
  /// The outputs of the futures `f(item)`, one at a time, in order: stream/then.hpp.
  template <class F>
  auto then(F&& f) && {
    return stream::then_stream<Derived, std::decay_t<F>>(consumed(), std::forward<F>(f));
  }
  /// The items for which `pred` holds: stream/filter.hpp.
  template <class P>
  auto filter(P&& pred) && {
    return stream::filter_stream<Derived, std::decay_t<P>>(consumed(), std::forward<P>(pred));
  }
  /// The values of the `std::optional`s `f(item)`: stream/filter_map.hpp.
  template <class F>
  auto filter_map(F&& f) && {
    return stream::filter_map_stream<Derived, std::decay_t<F>>(consumed(), std::forward<F>(f));
  }
  /// The first `n` items: stream/take.hpp.
  auto take(std::size_t n) && { return stream::take_stream<Derived>(consumed(), n); }
  /// The items up to the first one `pred` rejects: stream/take_while.hpp.
  template <class P>
  auto take_while(P&& pred) && {
    return stream::take_while_stream<Derived, std::decay_t<P>>(consumed(), std::forward<P>(pred));
  }
  /// The items after the first `n`: stream/skip.hpp.
  auto skip(std::size_t n) && { return stream::skip_stream<Derived>(consumed(), n); }
  /// The items from the first one `pred` rejects on: stream/skip_while.hpp.
  template <class P>
  auto skip_while(P&& pred) && {
    return stream::skip_while_stream<Derived, std::decay_t<P>>(consumed(), std::forward<P>(pred));
  }
  /// Each item with its index, as `std::pair<std::size_t, T>`: stream/enumerate.hpp.
  auto enumerate() && { return stream::enumerate_stream<Derived>(consumed()); }
  /// The same items, each shown to `f` first: stream/inspect.hpp.
  template <class F>
  auto inspect(F&& f) && {
    return stream::inspect_stream<Derived, std::decay_t<F>>(consumed(), std::forward<F>(f));
  }
  /// Safe to poll after its end; `is_terminated()`: stream/fuse.hpp.
  auto fuse() && { return stream::fuse_stream<Derived>(consumed()); }
  /// This stream's items, then `other`'s: stream/chain.hpp.
  template <class S2>
  auto chain(S2&& other) && {
    static_assert(detail::check_stream<S2>());
    static_assert(!std::is_lvalue_reference_v<S2>, "futura: .chain(s) consumes the stream s: pass std::move(s)");
    return stream::chain_stream<Derived, std::decay_t<S2>>(consumed(), std::forward<S2>(other));
  }
  /// Pairs of this stream's items and `other`'s: stream/zip.hpp.
  template <class S2>
  auto zip(S2&& other) && {
    static_assert(detail::check_stream<S2>());
    static_assert(!std::is_lvalue_reference_v<S2>, "futura: .zip(s) consumes the stream s: pass std::move(s)");
    return stream::zip_stream<Derived, std::decay_t<S2>>(consumed(), std::forward<S2>(other));
  }
  /// The items of each inner stream in turn, for a stream of streams: stream/flatten.hpp.
  auto flatten() && { return stream::flatten_stream<Derived>(consumed()); }
  /// `std::vector`s of `n` items (the last may be shorter); `n == 0` throws: stream/chunks.hpp.
  auto chunks(std::size_t n) && { return stream::chunks_stream<Derived>(consumed(), n); }
  /// `std::vector`s of the items ready at once, up to `n`; `n == 0` throws: stream/ready_chunks.hpp.
  auto ready_chunks(std::size_t n) && { return stream::chunks_stream<Derived, true>(consumed(), n); }
  /// The same stream behind a type-erased `boxed_stream<T>`: stream/boxed.hpp.
  auto boxed() && { return stream::boxed_stream<item_t<Derived>>(consumed()); }
  /// For items `result<T, E>`: `result<U, E>` of `f(value)`, errors passed: stream/map_ok.hpp.
  template <class F>
  auto map_ok(F&& f) && {
    return detail::adapt_result_items<detail::map_ok_combinator>(consumed(), std::forward<F>(f));
  }
  /// For items `result<T, E>`: `result<T, E2>` with errors mapped by `f`: stream/map_err.hpp.
  template <class F>
  auto map_err(F&& f) && {
    return detail::adapt_result_items<detail::map_err_combinator>(consumed(), std::forward<F>(f));
  }
  /// For items `result<T, E>`: what `f(value)` returns (a result, or a future of one), errors
  /// passed: stream/and_then.hpp.
  template <class F>
  auto and_then(F&& f) && {
    return detail::adapt_result_items<detail::and_then_combinator>(consumed(), std::forward<F>(f));
  }
  /// For items `result<T, E>`: the values for which `pred` holds, and the errors: stream/try_filter.hpp.
  template <class P>
  auto try_filter(P&& pred) && {
    return detail::start_try_filter(consumed(), std::forward<P>(pred));
  }
  /// For items `result<T, E>`: a future of `result<void, E>` that runs `f` on each value until
  /// the first error: stream/try_for_each.hpp.
  template <class F>
  auto try_for_each(F&& f) && {
    return detail::start_try_for_each(consumed(), std::forward<F>(f));
  }
  /// For items `result<T, E>`: a future of `result<std::vector<T>, E>`, the values or the first
  /// error: stream/try_collect.hpp.
  auto try_collect() && { return detail::start_try_collect(consumed()); }
  /// For items `result<T, E>`: a future of `result<std::optional<T>, E>` that refers to this
  /// stream, as next() does: stream/try_next.hpp.
  auto try_next() & { return detail::start_try_next(static_cast<Derived&>(*this)); }
  /// A future that runs `f` (returning void or a future) on every item: stream/for_each.hpp.
  template <class F>
  auto for_each(F&& f) && {
    return detail::start_for_each(consumed(), std::forward<F>(f));
  }
  /// The outputs of the futures this stream yields, up to `n` running at once, in this stream's
  /// order: stream/buffered.hpp.
  auto buffered(std::size_t n) && { return detail::buffer_stream<Derived, detail::buffered_adapter>(consumed(), n); }
  /// The outputs of the futures this stream yields, up to `n` running at once, in completion
  /// order: stream/buffer_unordered.hpp.
  auto buffer_unordered(std::size_t n) && {
    return detail::buffer_stream<Derived, detail::buffer_unordered_adapter>(consumed(), n);
  }
  /// A future that runs the futures `f(item)`, up to `limit` at once (0: no limit):
  /// stream/for_each_concurrent.hpp.
  template <class F>
  auto for_each_concurrent(std::size_t limit, F&& f) && {
    return detail::start_concurrent_for_each<detail::for_each_concurrent_mode>(consumed(), limit, std::forward<F>(f));
  }
  /// On a stream of results: for_each_concurrent until the first error:
  /// stream/try_for_each_concurrent.hpp.
  template <class F>
  auto try_for_each_concurrent(std::size_t limit, F&& f) && {
    return detail::start_concurrent_for_each<detail::try_for_each_concurrent_mode>(consumed(), limit,
                                                                                   std::forward<F>(f));
  }
  /// A future of the items folded into `init` by `f`: stream/fold.hpp.
  template <class Acc, class F>
  auto fold(Acc&& init, F&& f) && {
    return stream::fold_future<Derived, std::decay_t<Acc>, std::decay_t<F>>(consumed(), std::forward<Acc>(init),
                                                                            std::forward<F>(f));
  }
  /// A future of the items in a `std::vector` (or a `C`): stream/collect.hpp.
  template <class C = void>
  auto collect() && {
    using container = std::conditional_t<std::is_void_v<C>, std::vector<item_t<Derived>>, C>;
    return stream::collect_future<Derived, container>(consumed());
  }
  /// A future of the number of items: stream/count.hpp.
  auto count() && { return stream::count_future<Derived>(consumed()); }
  /// A future of the next item, or std::nullopt at the end, that refers to this stream (which
  /// must outlive it): stream/next.hpp.
  auto next() & { return stream::next_future<Derived>(static_cast<Derived&>(*this)); }

  // Calls on an lvalue would have to copy the stream. Each consuming method has an lvalue twin
  // whose only content is the message that says what to write instead; this macro writes them.
  // NOLINTBEGIN(bugprone-macro-parentheses): the macro writes member functions, not an expression
#define FUTURA_STREAM_CONSUMES(method, arguments)                                                             \
  template <class... A>                                                                                       \
  void method(A&&...)& {                                                                                      \
    static_assert(detail::dependent_false<A...>,                                                              \
                  "futura: ." #method " consumes the stream: write std::move(s)." #method "(" arguments ")"); \
  }
  FUTURA_STREAM_CONSUMES(map, "f")
  FUTURA_STREAM_CONSUMES(then, "f")
  FUTURA_STREAM_CONSUMES(filter, "pred")
  FUTURA_STREAM_CONSUMES(filter_map, "f")
  FUTURA_STREAM_CONSUMES(take, "n")
  FUTURA_STREAM_CONSUMES(take_while, "pred")
  FUTURA_STREAM_CONSUMES(skip, "n")
  FUTURA_STREAM_CONSUMES(skip_while, "pred")
  FUTURA_STREAM_CONSUMES(enumerate, "")
  FUTURA_STREAM_CONSUMES(inspect, "f")
  FUTURA_STREAM_CONSUMES(fuse, "")
  FUTURA_STREAM_CONSUMES(chain, "other")
  FUTURA_STREAM_CONSUMES(zip, "other")
  FUTURA_STREAM_CONSUMES(for_each, "f")
  FUTURA_STREAM_CONSUMES(buffered, "n")
  FUTURA_STREAM_CONSUMES(buffer_unordered, "n")
  FUTURA_STREAM_CONSUMES(for_each_concurrent, "limit, f")
  FUTURA_STREAM_CONSUMES(try_for_each_concurrent, "limit, f")
  FUTURA_STREAM_CONSUMES(fold, "init, f")
  FUTURA_STREAM_CONSUMES(collect, "")
  FUTURA_STREAM_CONSUMES(count, "")
  FUTURA_STREAM_CONSUMES(flatten, "")
  FUTURA_STREAM_CONSUMES(chunks, "n")
  FUTURA_STREAM_CONSUMES(ready_chunks, "n")
  FUTURA_STREAM_CONSUMES(boxed, "")
  FUTURA_STREAM_CONSUMES(map_ok, "f")
  FUTURA_STREAM_CONSUMES(map_err, "f")
  FUTURA_STREAM_CONSUMES(and_then, "f")
  FUTURA_STREAM_CONSUMES(try_filter, "pred")
  FUTURA_STREAM_CONSUMES(try_for_each, "f")
  FUTURA_STREAM_CONSUMES(try_collect, "")
#undef FUTURA_STREAM_CONSUMES
  // NOLINTEND(bugprone-macro-parentheses)

  // next() on a temporary would refer to a stream that is gone before the future is polled.
  template <class D = Derived>
  void next() && {
    static_assert(detail::dependent_false<D>,
                  "futura: .next() refers to the stream, which must outlive the future: call it on a named stream");
  }
  template <class D = Derived>
  void try_next() && {
    static_assert(detail::dependent_false<D>,
                  "futura: .try_next() refers to the stream, which must outlive the future: call it on a named "
                  "stream");
  }
};

}  // namespace futura
