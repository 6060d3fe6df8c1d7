// futura/stream/select_all.hpp — the items of a vector of streams, merged as they come.
//
//   merging(v) --some v[i] has an item x--> item x; the next poll starts at v[i + 1]
//   merging(v) --v[i] ends: v[i] destroyed--> merging without it (the others polled in the same poll)
//   merging(v) --every stream ended--> end; ended --poll--> polled_after_completion
//
// `futura::stream::select_all(std::move(streams))`: a `std::vector<S>` of streams; their items
// as they become ready, each stream's in its own order, with `futura::stream::select`'s fairness
// (futura/stream/select.hpp: cyclic order from the stream after the one that gave the previous
// item; no stream starves). An empty vector is an empty stream: it ends at its first poll.
// Write it qualified: `futura::select_all` is the future version.
//
// A stream that ended is destroyed in the poll that saw its end and never polled again; a poll
// after the end is rule 4's error. Dropping the select_all drops the streams that have not ended.
// An exception from a stream propagates; the select_all may be polled again.
// Cost: O(n) per poll: a poll visits every slot (the ended ones are skipped without a poll), and
// a wake of any stream wakes the whole select_all. For many streams that are rarely ready, a
// structure with a waker per stream is cheaper. Allocation: one, the slots (n optionals),
// when it is made.
//
// Example:
//   std::vector<futura::stream::boxed_stream<message>> peers = connect_all();
//   auto inbox = futura::stream::select_all(std::move(peers));
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/stream/detail/round_robin.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura::stream {

template <class S>
class [[nodiscard]] select_all_stream : public stream_ext<select_all_stream<S>> {
  static_assert(detail::check_stream<S>());
  using slot = std::optional<S>;  // emptied at its stream's end

 public:
  using item_type = item_t<S>;

  explicit select_all_stream(std::vector<S> streams) : merge_(streams.size()) {
    slots_.reserve(streams.size());
    for (S& s : streams) slots_.push_back(slot(std::in_place, std::move(s)));
  }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    return merge_.poll<item_type>(slots_.size(), w, "futura::stream::select_all_stream",
                                  [this](std::size_t i, auto& f) { f(slots_[i]); });
  }

 private:
  std::vector<slot> slots_;
  detail::round_robin merge_;
};

}  // namespace futura::stream

namespace futura::detail {

template <class V>
constexpr bool check_select_all_streams() {
  if constexpr (!future_vector_t<V>::is_vector) {
    static_assert(dependent_false<V>,
                  "futura::stream::select_all takes a std::vector<S> of streams: pass std::move(v)");
    return false;
  } else if constexpr (!check_stream<typename future_vector_t<V>::element_type>()) {
    return false;
  } else {
    constexpr bool handed_over = !std::is_lvalue_reference_v<V> && !std::is_const_v<std::remove_reference_t<V>>;
    static_assert(handed_over,
                  "futura::stream::select_all consumes the vector of streams: pass a non-const std::move(v)");
    return handed_over;
  }
}

}  // namespace futura::detail

namespace futura::stream {

/// The items of the streams of `streams`, merged fairly; see the top of this header.
/// @code
///   std::vector<decltype(futura::stream::iter(std::vector<int>{}))> v;
///   v.push_back(futura::stream::iter(std::vector<int>{1, 3}));
///   v.push_back(futura::stream::iter(std::vector<int>{2}));
///   auto s = futura::stream::select_all(std::move(v));   // 1, 2, 3
/// @endcode
template <class V>
auto select_all(V&& streams) {
  if constexpr (detail::check_select_all_streams<V>()) {
    using S = typename detail::future_vector_t<V>::element_type;
    return select_all_stream<S>(std::forward<V>(streams));
  }
}

}  // namespace futura::stream
