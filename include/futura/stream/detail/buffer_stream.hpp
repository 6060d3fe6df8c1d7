// futura/stream/detail/buffer_stream.hpp — the stream of `buffered(n)` and `buffer_unordered(n)`:
// an upstream of futures feeding a set of at most n of them (futures_ordered or
// futures_unordered, as the adapter's tag says).
//
//   filling --set has room, upstream item f--> push(f); filling (same poll)
//   filling --set full / upstream pending / upstream ended--> the set's poll: an output, or pending
//   upstream ended and set empty --> the end (done)
//   anything throws --> every child dropped, the exception; done
//
// Each poll first pulls futures while fewer than n run (pushing each), then polls the set once.
// Pulled items and the set's pending children count against one cooperative budget.
#pragma once

#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/futures_ordered.hpp>
#include <futura/stream/futures_unordered.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/system/errc.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

namespace futura::detail {

/// The tags of the two adapters: the set, and the name that misuse reports give.
struct buffered_adapter {
  template <class F>
  using set = stream::futures_ordered<F>;
  static constexpr const char* name = "futura::stream::buffered";
};
struct buffer_unordered_adapter {
  template <class F>
  using set = stream::futures_unordered<F>;
  static constexpr const char* name = "futura::stream::buffer_unordered";
};

template <class S, class Tag>
class [[nodiscard]] buffer_stream : public stream_ext<buffer_stream<S, Tag>> {
  static_assert(check_stream<S>());
  static_assert(is_future_v<item_t<S>>,
                "futura: .buffered(n) / .buffer_unordered(n): the stream's items must be futures");
  using set_type = typename Tag::template set<item_t<S>>;

 public:
  using item_type = output_t<item_t<S>>;

  buffer_stream(S s, std::size_t n) : s_(std::move(s)), limit_(n) {
    if (n == 0)
      throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument,
                                            "futura: .buffered(n) / .buffer_unordered(n): n must be at least 1");
  }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (done_) polled_after_completion(Tag::name);
    coop_meter meter;
    FUTURA_TRY {
      while (!upstream_ended_ && set_.size() < limit_) {
        poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
        if (r.is_pending()) break;
        if (!r.value()) {
          upstream_ended_ = true;
          break;
        }
        set_.push(std::move(*r.value()));
        if (meter.spend()) return coop_meter::yield(w);  // the pushed children run at the next poll
      }
      if (set_.empty()) {
        if (!upstream_ended_) return futura::pending;  // the upstream is pending: its wake reaches w
        done_ = true;
        return std::optional<item_type>();
      }
      return set_.poll_next(w, meter);
    }
    FUTURA_CATCH_ALL {
      done_ = true;
      set_.clear();  // a failure finishes the adapter: the other children are dropped now
      FUTURA_RETHROW;
    }
  }

 private:
  S s_;
  set_type set_;
  std::size_t limit_;
  bool upstream_ended_ = false;
  bool done_ = false;
};

}  // namespace futura::detail
