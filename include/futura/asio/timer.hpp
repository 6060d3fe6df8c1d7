// futura/asio/timer.hpp — futures that complete at a point in time: sleep_for, sleep_until.
//
//   idle(ex, delay or deadline) --first poll, not due: queued in the context's sleeps--> waiting(entry)
//   idle(ex, delay or deadline) --first poll, due: ready, nothing queued---------------> done
//   waiting(entry) --fired--> done        waiting(entry) --dropped--> entry leaves the queue
//
// `sleep_for(ex, d)` completes with `unit` once `d` has elapsed since its *first poll* (rule 1:
// nothing, not even the clock, starts before); `sleep_until(ex, tp)` at the `steady_clock` time
// point `tp`. A sleep already due at its first poll (`d <= 0`, `tp` not after that poll's
// `steady_clock::now()`) is ready at that poll and queues nothing; any other sleep is pending at
// its first poll. `ex` is an Asio executor or an execution context (`io_context&`).
//
// How: the sleeps of one execution context share one deadline queue and one Asio steady_timer,
// armed for the earliest deadline (detail/sleep_service.hpp). Whoever runs the context fires the
// timer: every sleep then due is woken, in deadline order, in one pass. A sleep on a strand or
// on any executor of an io_context or thread_pool uses that context's queue.
// Threads: a sleep may be polled and dropped on any thread; its wake comes from a thread running
// its context, and wakes the waker of the last poll.
// Destruction: dropping a waiting sleep takes it out of the queue at once, on the dropping thread;
// when no sleep is left the timer's wait is cancelled, so no work is left. The entry lives in
// heap state the future owns, so the future may move between polls. If the context is destroyed
// while the sleep waits, the sleep throws `future_error(error::broken_promise)`.
// Allocation: none for a sleep due at its first poll. Otherwise one 64-byte block at the first
// poll, from the per-thread recycling cache (plus, now and then, the queue's own growth and the
// timer's wait operation when the earliest deadline changes).
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/asio/detail/sleep_service.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/query.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

/// The future of `sleep_for` and `sleep_until`: `unit` once its deadline has passed.
/// @code
///   futura::sleep_future<boost::asio::io_context::executor_type> nap =
///       futura::sleep_for(ctx, std::chrono::milliseconds(5));
/// @endcode
template <class Executor>
class [[nodiscard]] sleep_future : public future_ext<sleep_future<Executor>> {
  using timer_executor = detail::sleep_timer_executor<Executor>;
  using service = detail::sleep_service<typename timer_executor::type>;

 public:
  using output_type = unit;
  using clock = std::chrono::steady_clock;

  /// Fires at `deadline`.
  sleep_future(Executor ex, clock::time_point deadline)
      : stage_(std::in_place_type<idle_until>, std::move(ex), deadline) {}
  /// Fires `delay` after the first poll.
  sleep_future(Executor ex, clock::duration delay) : stage_(std::in_place_type<idle_for>, std::move(ex), delay) {}

  poll_result<unit> poll(waker& w) {
    if (auto* i = std::get_if<idle_for>(&stage_)) {
      if (i->after <= clock::duration::zero()) return finish_due();
      return start(i->ex, clock::now() + i->after, w);
    }
    if (auto* u = std::get_if<idle_until>(&stage_)) {
      if (u->at <= clock::now()) return finish_due();
      return start(u->ex, u->at, w);
    }
    if (auto* q = std::get_if<waiting>(&stage_)) return poll_waiting(*q->entry, w);
    detail::polled_after_completion("futura::sleep_future");
  }

 private:
  // The idle stage is two alternatives rather than one with a flag, so that a sleep future on an
  // io_context is 24 bytes: a join_all of sleeps keeps one per child (docs/performance.md, W5).
  struct idle_for {
    idle_for(Executor e, clock::duration d) : ex(std::move(e)), after(d) {}
    Executor ex;
    clock::duration after;
  };
  struct idle_until {
    idle_until(Executor e, clock::time_point t) : ex(std::move(e)), at(t) {}
    Executor ex;
    clock::time_point at;
  };
  /// Owns the entry; a queued one leaves the queue when this goes.
  struct waiting {
    explicit waiting(detail::sleep_entry* e) noexcept : entry(e) {}
    waiting(waiting&& o) noexcept : entry(std::exchange(o.entry, nullptr)) {}
    waiting& operator=(waiting&&) = delete;
    ~waiting() {
      if (!entry) return;
      if (entry->state.load(std::memory_order_acquire) == detail::sleep_entry::queued) {
        static_cast<service*>(entry->queue)->remove(entry);
      }
      delete entry;
    }
    detail::sleep_entry* entry;
  };
  struct done {};

  /// A sleep due at its first poll is ready there, without an entry or an allocation.
  poll_result<unit> finish_due() {
    stage_.template emplace<done>();
    return unit{};
  }

  /// Queues the sleep with `w` registered (`ex` belongs to the idle stage, which this
  /// replaces: it is used first). Pending: the wake comes when the deadline has passed.
  poll_result<unit> start(const Executor& ex, clock::time_point deadline, const waker& w) {
    boost::asio::execution_context& ctx = boost::asio::query(ex, boost::asio::execution::context);
    service& s = service::of(ctx);
    auto entry = std::make_unique<detail::sleep_entry>();
    entry->deadline = deadline;
    entry->registered = w;
    entry->registered_id = w.raw();
    bool queued = false;
    try {
      queued = s.queue(entry.get(), [&] { return timer_executor::of(ex, ctx); });
    } catch (...) {
      stage_.template emplace<done>();  // arming the timer failed (allocation): nothing was queued
      throw;
    }
    if (!queued) {  // the context has shut down
      stage_.template emplace<done>();
      detail::throw_future_error(error::broken_promise);
    }
    stage_.template emplace<waiting>(entry.release());
    return pending;
  }

  poll_result<unit> poll_waiting(detail::sleep_entry& e, const waker& w) {
    std::uint8_t st = e.state.load(std::memory_order_acquire);
    if (st == detail::sleep_entry::queued) {
      const raw_waker mine = w.raw();
      if (mine.vtable == e.registered_id.vtable && mine.data == e.registered_id.data) return pending;
      if (e.queue->reregister(&e, w)) {
        e.registered_id = mine;
        return pending;
      }
      st = e.state.load(std::memory_order_acquire);  // final since the first load
    }
    stage_.template emplace<done>();  // frees the entry
    if (st == detail::sleep_entry::abandoned) detail::throw_future_error(error::broken_promise);
    return unit{};
  }

  std::variant<idle_for, idle_until, waiting, done> stage_;
};

/// A future that completes with `unit` `d` after its first poll, on `ex` (an executor or an
/// execution context).
/// @code
///   boost::asio::io_context ctx;
///   futura::block_on(ctx, futura::sleep_for(ctx, std::chrono::milliseconds(10)));
/// @endcode
template <class Ex, class Rep, class Period>
sleep_future<detail::executor_of_t<std::remove_reference_t<Ex>>> sleep_for(Ex&& ex,
                                                                           std::chrono::duration<Rep, Period> d) {
  return {detail::executor_of(ex), std::chrono::ceil<std::chrono::steady_clock::duration>(d)};
}

/// A future that completes with `unit` at the `steady_clock` time point `tp` (at once if it
/// has passed), on `ex` (an executor or an execution context).
/// @code
///   auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
///   auto f = futura::sleep_until(ctx.get_executor(), deadline);
/// @endcode
template <class Ex, class Duration>
sleep_future<detail::executor_of_t<std::remove_reference_t<Ex>>> sleep_until(
    Ex&& ex, std::chrono::time_point<std::chrono::steady_clock, Duration> tp) {
  return {detail::executor_of(ex), std::chrono::ceil<std::chrono::steady_clock::duration>(tp)};
}

}  // namespace futura
