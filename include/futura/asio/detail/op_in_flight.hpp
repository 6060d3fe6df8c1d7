// futura/asio/detail/op_in_flight.hpp — the future's end of a running Asio operation, which
// cancels the operation when dropped (rule 5), plus the executor helpers of the Asio layer.
//
// Dropping an `op_in_flight` whose operation has not finished:
//   1. releases the waker the future registered (so a task it belongs to is freed at once);
//   2. cancels the operation (`async_op_state::cancel()`: emits `cancellation_type::terminal` on
//      the operation's slot) on the IO object's executor: `asio::dispatch` runs it inline when
//      this thread already runs that executor, and posts it there otherwise (the slot is not
//      thread-safe, so it must not be touched from elsewhere);
//   3. drops its reference to the shared state. The posted cancellation holds one of its own,
//      and the handler another, so the signal and the result slot stay alive until both are done.
// An operation whose initiation names no executor (a hand-written `async_initiate` without
// `get_executor()`) is cancelled inline, on the dropping thread; so is a sleep, whose state
// serialises the cancellation with its handler itself (`Executor` = `no_executor`).
#pragma once

#include <futura/asio/detail/async_op_state.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>

#include <type_traits>
#include <utility>

namespace futura::detail {

/// Stands for "no executor known": cancellation is emitted inline.
struct no_executor {};

template <class Initiation, class = void>
struct has_get_executor : std::false_type {};
template <class Initiation>
struct has_get_executor<Initiation, std::void_t<decltype(std::declval<const Initiation&>().get_executor())>>
    : std::true_type {};

// Asio's token adapters (consign, append, prepend) wrap the initiation in a struct with a public
// `initiation_` member and no get_executor() of its own: the executor is the wrapped one's.
template <class Initiation, class = void>
struct has_wrapped_initiation : std::false_type {};
template <class Initiation>
struct has_wrapped_initiation<Initiation, std::void_t<decltype(std::declval<const Initiation&>().initiation_)>>
    : std::true_type {};

/// The executor of the IO object an initiation works on, or `no_executor`.
template <class Initiation,
          int = has_get_executor<Initiation>::value ? 1 : has_wrapped_initiation<Initiation>::value ? 2 : 0>
struct initiation_executor {
  using type = no_executor;
  static no_executor get(const Initiation&) noexcept { return {}; }
};
template <class Initiation>
struct initiation_executor<Initiation, 1> {
  using type = std::decay_t<decltype(std::declval<const Initiation&>().get_executor())>;
  static type get(const Initiation& i) noexcept { return i.get_executor(); }
};
template <class Initiation>
struct initiation_executor<Initiation, 2> {
  using inner = initiation_executor<std::decay_t<decltype(std::declval<const Initiation&>().initiation_)>>;
  using type = typename inner::type;
  static type get(const Initiation& i) noexcept { return inner::get(i.initiation_); }
};

template <class E>
inline constexpr bool is_asio_executor_v = boost::asio::execution::is_executor<E>::value || boost::asio::is_executor<E>::value;

template <class E>
inline constexpr bool is_execution_context_v = std::is_convertible_v<E&, boost::asio::execution_context&>;

/// `ex` itself when it is an executor; `ex.get_executor()` when it is an execution context.
template <class E>
auto executor_of(E& ex) {
  using D = std::remove_cv_t<E>;
  static_assert(is_asio_executor_v<D> || is_execution_context_v<D>,
                "futura: the first argument must be an Asio executor (ctx.get_executor(), a strand, ...) or an "
                "execution context (boost::asio::io_context&, thread_pool&)");
  if constexpr (is_execution_context_v<D>) {
    return ex.get_executor();
  } else {
    return D(ex);
  }
}

template <class E>
using executor_of_t = decltype(executor_of(std::declval<E&>()));

/// The posted (or dispatched) half of a drop: emits the cancellation, then lets go of the state.
template <class Output>
class cancel_operation {
 public:
  explicit cancel_operation(async_op_state<Output>* s) noexcept : state_(s) { state_->add_ref(); }
  cancel_operation(cancel_operation&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  cancel_operation(const cancel_operation&) = delete;
  cancel_operation& operator=(const cancel_operation&) = delete;
  cancel_operation& operator=(cancel_operation&&) = delete;
  ~cancel_operation() {
    if (state_) state_->release();
  }
  void operator()() { state_->cancel(); }

 private:
  async_op_state<Output>* state_;
};

/// Owns the future's reference to a running operation's state; cancels it when dropped.
template <class Output, class Executor>
class op_in_flight {
 public:
  /// Adopts one reference on `s`.
  op_in_flight(async_op_state<Output>* s, Executor ex) noexcept : state_(s), ex_(std::move(ex)) {}
  op_in_flight(op_in_flight&& o) noexcept : state_(std::exchange(o.state_, nullptr)), ex_(std::move(o.ex_)) {}
  op_in_flight& operator=(op_in_flight&& o) noexcept {
    op_in_flight moved(std::move(o));
    std::swap(state_, moved.state_);
    std::swap(ex_, moved.ex_);
    return *this;
  }
  op_in_flight(const op_in_flight&) = delete;
  op_in_flight& operator=(const op_in_flight&) = delete;
  ~op_in_flight() {
    if (auto* s = std::exchange(state_, nullptr)) {
      s->close_receiver();
      if (!s->finished()) cancel(s);
      s->release();
    }
  }

  poll_result<Output> poll(const waker& w) { return state_->poll(w); }

 private:
  void cancel(async_op_state<Output>* s) noexcept {
    if constexpr (std::is_same_v<Executor, no_executor>) {
      try {
        s->cancel();
      } catch (...) {
        // A throwing cancellation handler cannot be reported from a destructor; the
        // operation then simply runs to completion, and the state outlives it.
      }
    } else {
      try {
        boost::asio::dispatch(ex_, cancel_operation<Output>(s));
      } catch (...) {
        // Only allocation can fail here; the operation then runs to completion uncancelled
        // (nothing leaks: the handler still holds and releases its reference).
      }
    }
  }

  async_op_state<Output>* state_;
  Executor ex_;
};

}  // namespace futura::detail
