// futura/combinator/yield_now.hpp — give other futures a turn.
//
//   fresh --poll: wake self--> yielded --poll--> done
//
// Pending once (after waking itself, so the executor polls it again), then ready with `unit`.
// Allocation: none.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>

namespace futura {

class [[nodiscard]] yield_now_future : public future_ext<yield_now_future> {
 public:
  using output_type = unit;

  poll_result<unit> poll(waker& w) {
    switch (state_) {
      case state::fresh:
        state_ = state::yielded;
        w.wake();
        return pending;
      case state::yielded:
        state_ = state::done;
        return unit{};
      case state::done:
        break;
    }
    detail::polled_after_completion("futura::yield_now_future");
  }

 private:
  enum class state : unsigned char { fresh, yielded, done };
  state state_ = state::fresh;
};

/// A future that is pending once, waking itself, then ready.
inline yield_now_future yield_now() { return {}; }

}  // namespace futura
