// futura/stream/for_each.hpp — a future that runs a function on every item of a stream.
//
//   It is a fold (futura/stream/fold.hpp) whose accumulator is `unit`:
//   holding --item v, f(v) returns void--> holding (same poll)
//   holding --item v, f(v) returns Fut--> running(Fut) --ready--> holding (same poll)
//   holding --end--> done: ready with unit
//   after coop_budget ready steps in one poll: wake self, pending
//
// `std::move(s).for_each(f)`: `f(T&&)` returns `void` or a future (whose output is ignored);
// one item at a time, in order: the next item is not polled for before `f`'s future is done.
// Items that are ready at once are handled inside one poll, up to `detail::coop_budget` (128)
// of them; then the future wakes itself and returns pending, so an always-ready stream cannot
// starve the executor. `f` runs on the polling thread. Dropping the future drops the stream and
// `f`'s future in flight. Exceptions from the stream, `f` or its future propagate out of `poll`
// (rule 6); after an exception from `f` or its future the for_each is finished. Allocation: none.
//
// Example:
//   int sum = 0;
//   futura::block_on(futura::stream::iter(std::vector<int>{1, 2, 3}).for_each([&](int x) { sum += x; }));
//   // with a future per item: one write at a time, in order
//   auto done = std::move(lines).for_each([&](std::string l) { return write_line(sock, std::move(l)); });
#pragma once

#include <futura/combinator/then.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/fold.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// for_each's `f` as a fold step: the accumulator is `unit`; the output of f's future, if any,
/// is dropped.
template <class F, class T>
class for_each_step {
  using raw_result = std::invoke_result_t<F&, T&&>;
  struct discard {
    template <class... A>
    void operator()(A&&...) const noexcept {}
  };

 public:
  explicit for_each_step(F f) : f_(std::move(f)) {}

  auto operator()(unit, T&& item) {
    if constexpr (is_future_v<raw_result>) {
      return futura::then(std::invoke(f_, std::move(item)), discard{});
    } else {
      std::invoke(f_, std::move(item));
      return unit{};
    }
  }

 private:
  F f_;
};

template <class S, class F>
constexpr bool check_for_each() {
  static_assert(check_stream<S>());
  if constexpr (!std::is_invocable_v<F&, item_t<S>&&>) {
    static_assert(dependent_false<S, F>,
                  "futura: .for_each(f): f must be callable with the stream's item (item_t<S>&&)");
    return false;
  } else {
    using raw_result = std::invoke_result_t<F&, item_t<S>&&>;
    static_assert(is_future_v<raw_result> || std::is_void_v<raw_result>,
                  "futura: .for_each(f): f must return void or a future (use .map(f) to transform items)");
    return is_future_v<raw_result> || std::is_void_v<raw_result>;
  }
}

}  // namespace futura::detail

namespace futura::stream {

/// The future `s.for_each(f)` returns.
template <class S, class F>
using for_each_future = fold_future<S, unit, detail::for_each_step<F, item_t<S>>>;

}  // namespace futura::stream

namespace futura::detail {

template <class S, class F>
auto start_for_each(S&& s, F&& f) {
  using stream_type = std::decay_t<S>;
  if constexpr (check_for_each<stream_type, std::decay_t<F>>()) {
    using step = for_each_step<std::decay_t<F>, item_t<stream_type>>;
    return stream::for_each_future<stream_type, std::decay_t<F>>(std::forward<S>(s), unit{}, step(std::forward<F>(f)));
  }
}

}  // namespace futura::detail
