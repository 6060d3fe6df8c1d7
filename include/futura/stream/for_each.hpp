// futura/stream/for_each.hpp — a future that runs a function on every item of a stream.
//
//   waiting --item v, f(v) returns void--> waiting (same poll)
//   waiting --item v, f(v) returns Fut--> running(Fut) --ready--> waiting (same poll)
//   waiting --end--> done: ready with unit
//   after coop_budget ready steps in one poll: wake self, pending
//
// `std::move(s).for_each(f)`: `f(T&&)` returns `void` or a future (whose output is ignored);
// one item at a time, in order: the next item is not polled for before `f`'s future is done.
// Items that are ready at once are handled inside one poll, up to `detail::coop_budget` (128)
// of them; then the future wakes itself and returns pending, so an always-ready stream cannot
// starve the executor. `f` runs on the polling thread. Dropping the future drops the stream and
// `f`'s future in flight. Exceptions from the stream, `f` or its future propagate out of `poll`
// (rule 6). Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/continuation.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class F>
class [[nodiscard]] for_each_future : public future_ext<for_each_future<S, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, item_t<S>&&>,
                "futura: .for_each(f): f must be callable with the stream's item (item_t<S>&&)");
  using raw_result = std::invoke_result_t<F&, item_t<S>&&>;
  static constexpr bool async = is_future_v<raw_result>;
  static_assert(async || std::is_void_v<raw_result>,
                "futura: .for_each(f): f must return void or a future (use .map(f) to transform items)");
  struct no_future {};
  using future_type = std::conditional_t<async, raw_result, no_future>;

 public:
  using output_type = unit;

  for_each_future(S s, F f) : f_(std::move(f)), s_(std::move(s)) {}

  poll_result<unit> poll(waker& w) {
    detail::coop_meter meter;
    for (;;) {
      if constexpr (async) {
        if (running_) {
          poll_result<output_t<future_type>> r = running_->poll(w);
          if (r.is_pending()) return futura::pending;
          running_.reset();
          if (meter.spend()) return detail::coop_meter::yield(w);
        }
      }
      if (done_) detail::polled_after_completion("futura::stream::for_each_future");
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (!r.value()) {
        done_ = true;
        return unit{};
      }
      if constexpr (async) {
        running_.emplace(
            detail::construct_with{[&]() -> future_type { return std::invoke(f_, std::move(*r.value())); }});
      } else {
        std::invoke(f_, std::move(*r.value()));
        if (meter.spend()) return detail::coop_meter::yield(w);
      }
    }
  }

 private:
  // Declared first so that it is destroyed last: a running future may use what f captured.
  F f_;
  S s_;
  std::optional<future_type> running_;
  bool done_ = false;
};

}  // namespace futura::stream

namespace futura {

/// Runs `f` on every item, one at a time; see the top of futura/stream/for_each.hpp.
/// @code
///   int sum = 0;
///   futura::block_on(futura::stream::iter(std::vector<int>{1, 2, 3}).for_each([&](int x) { sum += x; }));
///   // with a future per item: one write at a time, in order
///   auto done = std::move(lines).for_each([&](std::string l) { return write_line(sock, std::move(l)); });
/// @endcode
template <class Derived>
template <class F>
auto stream_ext<Derived>::for_each(F&& f) && {
  return stream::for_each_future<Derived, std::decay_t<F>>(static_cast<Derived&&>(*this), std::forward<F>(f));
}

}  // namespace futura
