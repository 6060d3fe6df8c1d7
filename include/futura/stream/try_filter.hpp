// futura/stream/try_filter.hpp — the values of a stream of results for which a predicate holds;
// errors pass.
//
//   filter(S, try_filter_pred):
//     looking --item error e--> item e               (pred not called)
//     looking --item value v, pred(v)--> item v
//     looking --item value v, !pred(v)--> looking    (same poll, within the budget, as filter)
//
// `s.try_filter(pred)`, where `s`'s items are `boost::system::result<T, E>`: keeps the values for
// which `pred(const T&)` holds, and every error. It is `s.filter(...)` with a predicate that lets
// errors through (futura/stream/filter.hpp: order, budget, drops and exceptions are its).
// Allocation: none.
//
// Example:
//   auto non_empty = std::move(lines).try_filter([](const std::string& l) { return !l.empty(); });
#pragma once

#include <futura/core/detail/result_traits.hpp>
#include <futura/stream/detail/result_items.hpp>
#include <futura/stream/filter.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace futura::detail {

/// filter's predicate for try_filter: errors pass, values are shown to `pred`.
template <class P>
class try_filter_pred {
 public:
  explicit try_filter_pred(P pred) : pred_(std::move(pred)) {}

  template <class In>
  bool operator()(const In& r) {
    return !r || std::invoke(pred_, *r);
  }

 private:
  P pred_;
};

template <class S, class P>
auto start_try_filter(S&& s, P&& pred) {
  using D = std::decay_t<S>;
  if constexpr (check_stream<D>() && check_result_items<try_filter_method, item_t<D>, true>()) {
    constexpr bool callable = std::is_invocable_r_v<bool, std::decay_t<P>&, const result_value_t<item_t<D>>&>;
    static_assert(callable,
                  "futura: .try_filter(pred): pred must be callable as pred(const T&), T the results' value type, "
                  "and return bool");
    if constexpr (callable) {
      using F = try_filter_pred<std::decay_t<P>>;
      return stream::filter_stream<D, F>(std::forward<S>(s), F(std::forward<P>(pred)));
    }
  }
}

}  // namespace futura::detail
