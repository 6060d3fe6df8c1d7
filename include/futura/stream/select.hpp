// futura/stream/select.hpp — the items of several streams, merged as they come.
//
//   merging(S0..Sn-1) --some Si has an item v--> item v; the next poll starts at S(i+1)
//   merging --Si ends: Si destroyed--> merging without it (the others polled in the same poll)
//   merging --every stream ended--> end; ended --poll--> polled_after_completion
//
// `futura::stream::select(s0, s1, ...)`: two or more streams of one item type; the items of all
// of them, each stream's in its own order, as they become ready. Write it qualified:
// `futura::select` is the future version.
//
// Fairness (as `futura::select`, no stream starves, but deterministic): each poll polls the
// streams in cyclic order starting after the stream that gave the previous item, with the
// poller's waker, and stops at the first item. Two always-ready streams alternate; a stream that
// is ready whenever it is polled gives at least one item in every n. The rotation is per select
// object, not futura::select's per-thread counter: a stream select lives across polls, so its own
// counter is enough and keeps the order reproducible.
//
// The select ends when every stream has ended. A stream that ended is destroyed in the poll that
// saw its end and never polled again (rule 4); a poll after the select's end is rule 4's error.
// Threads: the streams are polled on the polling thread. Dropping the select drops the streams
// that have not ended. An exception from a stream propagates; the select may be polled again.
// Cost: one poll polls at most every stream once. Allocation: none.
//
// Example:
//   auto s = futura::stream::select(futura::stream::iter(std::vector<int>{1, 3}),
//                                   futura::stream::iter(std::vector<int>{2, 4}));   // 1, 2, 3, 4
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/stream/detail/round_robin.hpp>
#include <futura/stream/stream_ext.hpp>

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class... Ss>
class [[nodiscard]] select_stream : public stream_ext<select_stream<Ss...>> {
  static_assert(sizeof...(Ss) >= 2);
  static_assert((detail::check_stream<Ss>() && ...));
  static constexpr std::size_t count = sizeof...(Ss);

 public:
  using item_type = item_t<std::tuple_element_t<0, std::tuple<Ss...>>>;

  explicit select_stream(Ss... ss) : streams_(std::optional<Ss>(std::in_place, std::move(ss))...), merge_(count) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    return merge_.poll<item_type>(count, w, "futura::stream::select_stream", [this](std::size_t i, auto& f) {
      with_stream(streams_, i, f, std::index_sequence_for<Ss...>{});
    });
  }

 private:
  using slots = std::tuple<std::optional<Ss>...>;

  // Calls f with slot i (a run-time index into the tuple).
  template <class F, std::size_t... I>
  static void with_stream(slots& s, std::size_t i, F& f, std::index_sequence<I...>) {
    (void)((I == i && (f(std::get<I>(s)), true)) || ...);
  }

  slots streams_;  // each destroyed at its end
  detail::round_robin merge_;
};

}  // namespace futura::stream

namespace futura::detail {

template <class... Ss>
constexpr bool check_select_streams() {
  if constexpr (sizeof...(Ss) < 2) {
    static_assert(dependent_false<Ss...>,
                  "futura::stream::select merges two or more streams (one stream needs no select)");
    return false;
  } else if constexpr (!(check_stream<Ss>() && ...)) {
    return false;
  } else if constexpr ((std::is_lvalue_reference_v<Ss> || ...)) {
    static_assert(dependent_false<Ss...>, "futura::stream::select consumes the streams: pass std::move(s)");
    return false;
  } else if constexpr (!(std::is_same_v<item_t<Ss>, item_t<std::tuple_element_t<0, std::tuple<Ss...>>>> && ...)) {
    static_assert(dependent_false<Ss...>,
                  "futura::stream::select: every stream must have the same item type (map them first)");
    return false;
  } else {
    return true;
  }
}

}  // namespace futura::detail

namespace futura::stream {

/// The items of every stream in `ss` (two or more, one item type), merged fairly; see the top
/// of this header.
/// @code
///   auto events = futura::stream::select(std::move(clicks), std::move(keys));
///   futura::block_on(std::move(events).for_each([](event e) { handle(e); }));
/// @endcode
template <class... Ss>
auto select(Ss&&... ss) {
  if constexpr (detail::check_select_streams<Ss...>()) {
    return select_stream<std::decay_t<Ss>...>(std::forward<Ss>(ss)...);
  }
}

}  // namespace futura::stream
