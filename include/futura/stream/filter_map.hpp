// futura/stream/filter_map.hpp — map each item to an optional, keep the values.
//
//   looking --upstream item v, f(v) has u----> item u
//   looking --upstream item v, f(v) empty----> looking (same poll; after coop_budget of them:
//                                               wake self, pending)
//   looking --upstream pending / end---------> the same
//
// `s.filter_map(f)`: `f(T&&)` returns `std::optional<U>`; the stream yields the `U`s, in order.
// Budget, threads, exceptions and the end as for `filter` (futura/stream/filter.hpp).
// Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<std::string>{"1", "x", "3"})
//                .filter_map([](const std::string& t) -> std::optional<int> {
//                  if (t == "x") return std::nullopt;
//                  return std::stoi(t);
//                });   // 1, 3
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {
template <class R>
struct is_std_optional : std::false_type {};
template <class U>
struct is_std_optional<std::optional<U>> : std::true_type {};
}  // namespace detail

namespace stream {

template <class S, class F>
class [[nodiscard]] filter_map_stream : public stream_ext<filter_map_stream<S, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, item_t<S>&&>,
                "futura: .filter_map(f): f must be callable with the stream's item (item_t<S>&&)");
  using raw_result = std::decay_t<std::invoke_result_t<F&, item_t<S>&&>>;
  static_assert(detail::is_std_optional<raw_result>::value,
                "futura: .filter_map(f): f must return std::optional<U> (an empty optional drops the item)");

 public:
  using item_type = typename raw_result::value_type;

  filter_map_stream(S s, F f) : s_(std::move(s)), f_(std::move(f)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    detail::coop_meter meter;
    for (;;) {
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (!r.value()) return std::optional<item_type>();
      std::optional<item_type> mapped = std::invoke(f_, std::move(*r.value()));
      if (mapped) return mapped;
      if (meter.spend()) return detail::coop_meter::yield(w);  // spent: the executor's other work first
    }
  }

 private:
  S s_;
  F f_;
};

}  // namespace stream
}  // namespace futura
