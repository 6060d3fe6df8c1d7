// futura/asio/interval.hpp — a stream of ticks, one every period, on an Asio timer.
//
//   unstarted --first poll: tick at now--------------------------------------> due(now + period)
//   due(t)    --poll, now >= t: yield t, schedule the next (missed_tick)--------> due(next)
//   due(t)    --poll, now <  t: arm a sleep_until(t)----------------------------> waiting(t, sleep)
//   waiting(t, sleep) --sleep fired: yield t, schedule the next (missed_tick)---> due(next)
//   (never ends)
//
// `interval(ex, period)` yields `std::chrono::steady_clock::time_point`s: each tick's *scheduled*
// time. The first tick is ready at the first poll (rule 1: the clock starts there), at that
// poll's now; tick k is scheduled at start + k × period while no tick is missed.
// A tick is missed when, by the time it is yielded, the next one is already due (the consumer
// polled late, or the executor was busy). What happens then is the `missed_tick` behaviour:
//   burst (default): the schedule stays; the missed ticks are each ready at once, one per poll,
//                    until the stream has caught up.
//   delay:           the next tick is scheduled `period` after the moment the late tick was
//                    yielded; later ticks keep that new spacing.
//   skip:            the missed ticks are dropped: the next tick is the first one of the original
//                    grid (start + k × period) after the moment the late tick was yielded.
// A tick yielded on time, or late by less than one period, keeps the schedule in every mode.
//
// Threads: each wait is a sleep on `ex` (an executor or an execution context): a thread running
// its context wakes the waker of the last poll; the stream itself is polled by one thread at a time, like any stream.
// Destruction: dropping the stream drops the sleep in progress, which leaves its context's queue
// at once and leaves no work behind (see futura/asio/timer.hpp).
// Allocation: each wait is a `sleep_until`, whose entry comes from the per-thread recycling
// cache: the block freed by one tick's sleep is the block of the next, so a stream polled on one
// thread allocates nothing per tick in steady state. Ticks ready at once arm no timer.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/asio/timer.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/system/errc.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace futura {

/// What an `interval` does with the ticks it missed (see futura/asio/interval.hpp).
enum class missed_tick {
  burst,  ///< yield every missed tick at once, one per poll, then go on with the schedule
  delay,  ///< schedule the next tick one period after the late one was yielded
  skip,   ///< drop the missed ticks: the next tick is the next one of the schedule after now
};

/// The stream of `interval(ex, period[, behaviour])`: each tick's scheduled `steady_clock` time.
/// @code
///   futura::interval_stream<boost::asio::io_context::executor_type> ticks =
///       futura::interval(ctx, std::chrono::milliseconds(5));
/// @endcode
template <class Executor>
class [[nodiscard]] interval_stream : public stream_ext<interval_stream<Executor>> {
 public:
  using clock = std::chrono::steady_clock;
  using item_type = clock::time_point;

  /// Ticks every `period` (positive: a non-positive one throws `std::invalid_argument`).
  interval_stream(Executor ex, clock::duration period, missed_tick behaviour)
      : ex_(std::move(ex)), period_(period), behaviour_(behaviour) {
    if (period <= clock::duration::zero()) {
      detail::throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument,
                                                    "futura::interval: the period must be positive");
    }
  }

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (!started_) {
      started_ = true;
      next_ = clock::now();
    }
    if (!timer_) {
      if (clock::now() >= next_) return std::optional<item_type>(tick());
      timer_.emplace(ex_, next_);
    }
    try {
      if (timer_->poll(w).is_pending()) return pending;
    } catch (...) {
      timer_.reset();  // a sleep that threw is finished: the next poll arms a new one
      throw;
    }
    timer_.reset();
    return std::optional<item_type>(tick());
  }

  /// The period.
  clock::duration period() const noexcept { return period_; }
  /// What the stream does with missed ticks.
  missed_tick behaviour() const noexcept { return behaviour_; }

 private:
  /// Yields the due tick and schedules the next one.
  item_type tick() {
    const item_type scheduled = next_;
    next_ = scheduled + period_;
    if (behaviour_ == missed_tick::burst) return scheduled;  // the schedule never moves
    const item_type now = clock::now();
    if (now < next_) return scheduled;  // on time, or late by less than a period: no tick missed
    if (behaviour_ == missed_tick::delay) {
      next_ = now + period_;
    } else {  // skip: the first point of the grid scheduled + k × period (k >= 1) after now
      next_ = scheduled + period_ * ((now - scheduled) / period_ + 1);
    }
    return scheduled;
  }

  Executor ex_;
  clock::duration period_;
  missed_tick behaviour_;
  bool started_ = false;
  item_type next_{};
  std::optional<sleep_future<Executor>> timer_;
};

/// An endless stream of ticks every `period` on `ex` (an executor or an execution context), the
/// first at the first poll; missed ticks per `behaviour` (default `missed_tick::burst`).
/// `period` must be positive (else `std::invalid_argument`).
/// @code
///   boost::asio::io_context ctx;
///   auto heartbeat = futura::interval(ctx, std::chrono::seconds(1), futura::missed_tick::skip)
///                        .take(3)
///                        .for_each([](std::chrono::steady_clock::time_point) { send_heartbeat(); });
///   futura::block_on(ctx, std::move(heartbeat));   // three heartbeats, about a second apart
/// @endcode
template <class Ex, class Rep, class Period>
interval_stream<detail::executor_of_t<std::remove_reference_t<Ex>>> interval(
    Ex&& ex, std::chrono::duration<Rep, Period> period, missed_tick behaviour = missed_tick::burst) {
  return {detail::executor_of(ex), std::chrono::ceil<std::chrono::steady_clock::duration>(period), behaviour};
}

}  // namespace futura
