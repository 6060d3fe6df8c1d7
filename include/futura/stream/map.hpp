// futura/stream/map.hpp — a stream of `f(item)` for each item of another.
//
//   forwarding --upstream item v: item f(v)--> forwarding
//   forwarding --upstream pending / end--> the same
//
// `s.map(f)`: calls `f` (a non-const lvalue, on the polling thread) once per item, in order, when
// the item is polled for. The end, pending and exceptions of the upstream pass through; an
// exception from `f` propagates (rule 6). A poll after the end reaches the upstream, which
// reports it (rule 4). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2}).map([](int x) { return x * 10; });  // 10, 20
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class F>
class [[nodiscard]] map_stream : public stream_ext<map_stream<S, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, item_t<S>&&>,
                "futura: .map(f): f must be callable with the stream's item (item_t<S>&&)");
  using raw_result = std::invoke_result_t<F&, item_t<S>&&>;
  static_assert(!std::is_void_v<raw_result>,
                "futura: .map(f): f must return the new item; to run f for its effect use .inspect(f)");

 public:
  using item_type = std::decay_t<raw_result>;

  map_stream(S s, F f) : s_(std::move(s)), f_(std::move(f)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
    if (r.is_pending()) return futura::pending;
    if (!r.value()) return std::optional<item_type>();
    return std::optional<item_type>(std::invoke(f_, std::move(*r.value())));
  }

 private:
  S s_;
  F f_;
};

}  // namespace futura::stream
