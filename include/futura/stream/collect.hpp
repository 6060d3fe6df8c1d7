// futura/stream/collect.hpp — a future of all the items of a stream, in a container.
//
//   collecting(c) --item v: c gets v--> collecting(c) (same poll)
//   collecting(c) --end--> done: ready with c
//   after coop_budget items in one poll: wake self, pending
//
// `std::move(s).collect()`: a `std::vector<T>` of the items in order; `collect<C>()` fills any
// container `C` with `push_back` (or else `insert`). Budget as for `for_each`
// (futura/stream/for_each.hpp). Dropping the future drops the stream and the items collected so
// far. Exceptions from the stream propagate. Allocation: what the container does.
//
// Example:
//   std::vector<int> v = futura::block_on(futura::stream::repeat(1).take(3).collect());   // {1, 1, 1}
//   auto set = futura::block_on(std::move(words).collect<std::set<std::string>>());
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/detection.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura {
namespace detail {
template <class C, class T>
using push_back_call = decltype(std::declval<C&>().push_back(std::declval<T&&>()));
template <class C, class T>
using has_push_back = is_detected<push_back_call, C, T>;
template <class C, class T>
using insert_call = decltype(std::declval<C&>().insert(std::declval<T&&>()));
template <class C, class T>
using has_insert = is_detected<insert_call, C, T>;
}  // namespace detail

namespace stream {

template <class S, class C>
class [[nodiscard]] collect_future : public future_ext<collect_future<S, C>> {
  static_assert(detail::check_stream<S>());
  static_assert(detail::has_push_back<C, item_t<S>>::value || detail::has_insert<C, item_t<S>>::value,
                "futura: .collect<C>(): C must have push_back(item) or insert(item)");

 public:
  using output_type = C;

  explicit collect_future(S s) : s_(std::move(s)), c_(std::in_place) {}

  poll_result<C> poll(waker& w) {
    if (!c_) detail::polled_after_completion("futura::stream::collect_future");
    detail::coop_meter meter;
    for (;;) {
      poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (!r.value()) {
        poll_result<C> out(std::in_place, std::move(*c_));
        c_.reset();
        return out;
      }
      if constexpr (detail::has_push_back<C, item_t<S>>::value) {
        c_->push_back(std::move(*r.value()));
      } else {
        c_->insert(std::move(*r.value()));
      }
      if (meter.spend()) return detail::coop_meter::yield(w);  // spent: the executor's other work first
    }
  }

 private:
  S s_;
  std::optional<C> c_;
};

}  // namespace stream
}  // namespace futura
