// futura/stream/chain.hpp — the items of one stream, then those of another.
//
//   first(S1, S2) --S1 item v--> item v
//   first(S1, S2) --S1 end: S1 destroyed--> second(S2), polled in the same poll
//   second(S2) --S2 item / pending / end--> the same
//
// `a.chain(b)`: both streams have the same item type. `b` is not polled before `a` has ended
// (rule 1 holds for it until then); `a` is destroyed in the poll that saw its end. Dropping the
// chain drops what is left of both. Exceptions propagate; a poll after the end reaches `b`
// (rule 4). Allocation: none.
//
// Example:
//   auto s = futura::stream::iter(std::vector<int>{1, 2}).chain(futura::stream::once(futura::ready(3)));  // 1, 2, 3
#pragma once

#include <futura/stream/stream_ext.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace futura::stream {

template <class S1, class S2>
class [[nodiscard]] chain_stream : public stream_ext<chain_stream<S1, S2>> {
  static_assert(detail::check_stream<S1>());
  static_assert(detail::check_stream<S2>());
  static_assert(std::is_same_v<item_t<S1>, item_t<S2>>,
                "futura: a.chain(b): both streams must have the same item type (map one of them first)");

 public:
  using item_type = item_t<S1>;

  chain_stream(S1 a, S2 b) : a_(std::in_place, std::move(a)), b_(std::move(b)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (a_) {
      poll_result<std::optional<item_type>> r = a_->poll_next(w);
      if (r.is_pending() || r.value()) return r;
      a_.reset();  // the first stream ended: release it before the second starts
    }
    return b_.poll_next(w);
  }

 private:
  std::optional<S1> a_;
  S2 b_;
};

}  // namespace futura::stream
