// futura/stream/fold.hpp — a future that folds a stream's items into an accumulator.
//
//   holding(acc) --item v, f(acc, v) is a value acc'--> holding(acc') (same poll)
//   holding(acc) --item v, f(acc, v) is a future Fut--> running(Fut) --ready acc'--> holding(acc')
//   holding(acc) --end--> done: ready with acc
//   after coop_budget ready steps in one poll: wake self, pending
//
// `std::move(s).fold(init, f)`: `f(Acc&&, T&&)` returns the next accumulator, or a future of it;
// the output is the last accumulator (`init` for an empty stream). One item at a time, in order;
// budget, threads, drops and exceptions as for `for_each` (futura/stream/for_each.hpp); after an
// exception from `f` the fold is finished. Allocation: none.
//
// Example:
//   int sum = futura::block_on(futura::stream::iter(std::vector<int>{1, 2, 3})
//                                  .fold(0, [](int acc, int x) { return acc + x; }));   // 6
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

template <class S, class Acc, class F>
class [[nodiscard]] fold_future : public future_ext<fold_future<S, Acc, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, Acc&&, item_t<S>&&>,
                "futura: .fold(init, f): f must be callable as f(Acc&&, item_t<S>&&), Acc being the type of init");
  using raw_result = std::invoke_result_t<F&, Acc&&, item_t<S>&&>;
  static constexpr bool async = is_future_v<raw_result>;
  static_assert(std::is_constructible_v<Acc, typename detail::flattened_output<raw_result>::type>,
                "futura: .fold(init, f): f must return the next accumulator (the type of init) or a future of it");
  struct no_future {};
  using future_type = std::conditional_t<async, raw_result, no_future>;

 public:
  using output_type = Acc;

  fold_future(S s, Acc init, F f) : f_(std::move(f)), s_(std::move(s)), acc_(std::move(init)) {}

  poll_result<Acc> poll(waker& w) {
    detail::coop_meter meter;
    for (;;) {
      if constexpr (async) {
        if (running_) {
          poll_result<output_t<future_type>> r = running_->poll(w);
          if (r.is_pending()) return futura::pending;
          running_.reset();
          acc_.emplace(std::move(r).value());
          if (meter.spend()) return detail::coop_meter::yield(w);
        }
      }
      if (!acc_) detail::polled_after_completion("futura::stream::fold_future");
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      Acc acc(std::move(*acc_));
      acc_.reset();  // f owns the accumulator now: if it throws, the fold is finished
      if (!r.value()) return poll_result<Acc>(std::in_place, std::move(acc));
      if constexpr (async) {
        running_.emplace(detail::construct_with{
            [&]() -> future_type { return std::invoke(f_, std::move(acc), std::move(*r.value())); }});
      } else {
        acc_.emplace(std::invoke(f_, std::move(acc), std::move(*r.value())));
        if (meter.spend()) return detail::coop_meter::yield(w);
      }
    }
  }

 private:
  // Declared first so that it is destroyed last: a running future may use what f captured.
  F f_;
  S s_;
  std::optional<Acc> acc_;
  std::optional<future_type> running_;
};

}  // namespace futura::stream
