// futura/asio/timer.hpp — futures that complete at a point in time: sleep_for, sleep_until.
//
//   idle(ex, delay or deadline) --first poll, not due: arm a steady timer--> waiting(state)
//   idle(ex, delay or deadline) --first poll, due: ready, no timer---------> done
//   waiting(state) --timer fired--> done
//   waiting(state) --dropped------> timer cancelled
//
// `sleep_for(ex, d)` completes with `unit` once `d` has elapsed since its *first poll* (rule 1:
// nothing, not even the clock, starts before); `sleep_until(ex, tp)` at the `steady_clock` time
// point `tp`. A sleep already due at its first poll (`d <= 0`, `tp` not after that poll's
// `steady_clock::now()`) is ready at that poll and arms no timer; any other sleep is pending at
// its first poll. `ex` is an Asio executor or an execution context (`io_context&`): the timer
// runs there, and whoever runs that executor fires it.
//
// Threads: the timer's handler runs on `ex` and wakes the waker of the last poll.
// Destruction: dropping a waiting sleep cancels its timer at once, on the dropping thread (a
// lock serialises that with the timer's handler, so any thread may drop it and nothing is
// posted; a drop racing the handler spins until the handler's one call into the timer
// returns); the aborted wait then completes on `ex`, and no work is left once it has. The timer
// lives in heap state shared with the handler, so the future may move between polls and be
// dropped at any time; it is destroyed when its wait completes, so a sleep future may even
// outlive its execution context: if the context is destroyed while the sleep waits, the sleep
// throws `future_error(error::broken_promise)`.
// Allocation: none for a sleep due at its first poll. Otherwise one block at the first poll,
// from the per-thread recycling cache: the state holds the timer and the memory of Asio's wait
// operation (an operation larger than that memory, on an unusual executor, is allocated from the
// same cache instead).
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/async_op_state.hpp>
#include <futura/asio/detail/completion_handlers.hpp>
#include <futura/asio/detail/inline_op_allocator.hpp>
#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/asio/detail/recycling_pool.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/spin_lock.hpp>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/wait_traits.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {
namespace detail {

/// Room for a sleep's wait operation inside its state (inline_op_allocator.hpp): 80 bytes,
/// pointer-aligned, with Boost 1.81 on an io_context executor; 96 on a strand, 128 on an
/// any_io_executor. The slot is sized to the executor because a waiting sleep's state is cache
/// that its expiry reads back: on an io_context the whole state is four cache lines
/// (docs/performance.md, W5). A larger operation goes to the fallback allocator.
template <class Executor>
inline constexpr bool sleeps_on_io_context = std::is_same_v<Executor, boost::asio::io_context::executor_type>;
template <class Executor>
using sleep_op_slot = std::conditional_t<sleeps_on_io_context<Executor>, inline_op_slot<80, alignof(void*)>,
                                         inline_op_slot<128, alignof(std::max_align_t)>>;

/// The shared state of a sleep: the operation's state plus the timer it waits on. The timer
/// lives exactly as long as the wait: it is created at the first poll and destroyed by the
/// handler (when it runs, or when Asio destroys it uncalled during the context's shutdown), so
/// it never outlives its execution context, whatever the future does. A lock serialises that
/// destruction with a drop's `cancel()`, which may come from any thread; so a sleep is
/// cancelled inline, without posting anything. The lock is the one-byte detail::spin_lock: it is
/// taken once per sleep (twice when dropped), held for one call into the timer, and contended
/// only by a drop racing the completion. Layout: the operation, the lock and the timer follow
/// the base state in that order, so an expiry's writes to the operation's end, the lock and the
/// timer share cache lines.
template <class Executor>
class timer_op_state final : public async_op_state<boost::system::result<void>> {
 public:
  using timer_type = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                       boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

  explicit timer_op_state(const Executor& ex) {
    ::new (static_cast<void*>(timer_storage_)) timer_type(ex);
    timer_live_ = true;
  }
  ~timer_op_state() override {
    // A finished operation destroyed the timer already (operation_finished): the status, on the
    // state's first cache line, says so without reading the flag on another.
    if (!finished() && timer_live_) timer().~timer_type();
  }

  /// Where the wait operation lives (see sleep_handler).
  sleep_op_slot<Executor> op_slot;

  /// Arms the timer; call once, right after construction (nothing else can see it yet).
  template <class Handler>
  void start(std::chrono::steady_clock::time_point deadline, Handler&& handler) {
    timer().expires_at(deadline);
    timer().async_wait(std::forward<Handler>(handler));
  }

  void cancel() override {
    std::lock_guard<spin_lock> lock(timer_busy_);
    if (timer_live_) timer().cancel();
  }

 private:
  void operation_finished() noexcept override {
    std::lock_guard<spin_lock> lock(timer_busy_);
    if (timer_live_) {
      timer_live_ = false;
      timer().~timer_type();
    }
  }

  timer_type& timer() noexcept { return *std::launder(reinterpret_cast<timer_type*>(timer_storage_)); }

  spin_lock timer_busy_;
  bool timer_live_ = false;  // guarded by timer_busy_ once the handler exists
  alignas(timer_type) unsigned char timer_storage_[sizeof(timer_type)];
};

/// The handler of a sleep's wait: `void(error_code)` -> `result<void>`. It reports no
/// cancellation slot: a drop cancels the timer itself (see timer_op_state). Its allocator puts
/// the wait operation into the state's own memory.
template <class Executor>
class sleep_handler : public error_handler {
 public:
  using allocator_type = inline_op_allocator<void, sleep_op_slot<Executor>, thread_cache_allocator>;

  /// Adopts one reference on `s`.
  explicit sleep_handler(timer_op_state<Executor>* s) noexcept : error_handler(s), slot_(&s->op_slot) {}

  cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }
  allocator_type get_allocator() const noexcept { return allocator_type(slot_); }

 private:
  sleep_op_slot<Executor>* slot_;
};

}  // namespace detail

/// The future of `sleep_for` and `sleep_until`: `unit` once its deadline has passed.
/// @code
///   futura::sleep_future<boost::asio::io_context::executor_type> nap =
///       futura::sleep_for(ctx, std::chrono::milliseconds(5));
/// @endcode
template <class Executor>
class [[nodiscard]] sleep_future : public future_ext<sleep_future<Executor>> {
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
      if (start(i->ex, clock::now() + i->after, w)) return pending;
    } else if (auto* u = std::get_if<idle_until>(&stage_)) {
      if (u->at <= clock::now()) return finish_due();
      if (start(u->ex, u->at, w)) return pending;
    }
    if (auto* r = std::get_if<waiting>(&stage_)) {
      poll_result<boost::system::result<void>> fired = detail::poll_in_flight<done>(stage_, *r, w);
      if (fired.is_pending()) return pending;
      stage_.template emplace<done>();
      // Only a cancellation makes the wait fail, and only the drop of this future cancels it.
      if (!fired.value()) throw boost::system::system_error(fired.value().error(), "futura::sleep_future");
      return unit{};
    }
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
  using waiting = detail::op_in_flight<boost::system::result<void>, detail::no_executor>;
  struct done {};

  /// A sleep due at its first poll is ready there, without a timer or an allocation.
  poll_result<unit> finish_due() {
    stage_.template emplace<done>();
    return unit{};
  }

  /// Arms the timer, with `w` registered before (`ex` belongs to the idle stage, which this
  /// replaces: it is used first). True while the wait runs: the poll is pending, and the expiry
  /// wakes `w`.
  bool start(const Executor& ex, clock::time_point deadline, const waker& w) {
    auto* s = new detail::timer_op_state<Executor>(ex);
    detail::sleep_handler<Executor> handler(s);                  // owns the handler's reference from here on
    stage_.template emplace<waiting>(s, detail::no_executor{});  // owns the future's reference
    s->register_before_start(w);
    try {
      s->start(deadline, std::move(handler));
    } catch (...) {
      stage_.template emplace<done>();
      throw;
    }
    return s->started_pending();
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
