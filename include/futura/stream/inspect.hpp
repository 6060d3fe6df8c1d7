// futura/stream/inspect.hpp — look at each item as it passes.
//
//   forwarding --upstream item v: f(v)--> item v
//   forwarding --upstream pending / end--> the same
//
// `s.inspect(f)`: calls `f(const T&)` once per item, in order, on the polling thread, before
// the item is returned. Exceptions from the upstream or `f` propagate; a poll after the end
// reaches the upstream (rule 4). Allocation: none.
//
// Example:
//   auto s = std::move(lines).inspect([](const std::string& l) { spdlog::debug("line: {}", l); });
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S, class F>
class [[nodiscard]] inspect_stream : public stream_ext<inspect_stream<S, F>> {
  static_assert(detail::check_stream<S>());
  static_assert(std::is_invocable_v<F&, const item_t<S>&>,
                "futura: .inspect(f): f must be callable as f(const item_t<S>&)");

 public:
  using item_type = item_t<S>;

  inspect_stream(S s, F f) : s_(std::move(s)), f_(std::move(f)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    poll_result<std::optional<item_type>> r = s_.poll_next(w);
    if (r.is_ready() && r.value()) std::invoke(f_, std::as_const(*r.value()));
    return r;
  }

 private:
  S s_;
  F f_;
};

}  // namespace futura::stream
