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
// Dropping one whose operation has finished only does 3: the handler took the waker when it
// completed (a waker registered in a race with that goes when the state goes, just after).
// An operation whose initiation names no executor (a hand-written `async_initiate` without
// `get_executor()`) is cancelled inline, on the dropping thread; so is a sleep, whose state
// serialises the cancellation with its handler itself (`Source` = `no_executor`).
// The executor is only needed by a drop before completion, so it is looked up then when that is
// cheap: Asio's own initiations are a pointer to the IO object (which outlives the future, as
// Asio requires), and `initiation_executor_source` keeps a copy of such an initiation instead of
// a copy of the executor (an `any_io_executor` costs a type-erased copy, move and destruction
// per operation). Other initiations have their executor copied at the start
// (`stored_executor`).
#pragma once

#include <futura/asio/detail/async_op_state.hpp>
#include <futura/core/detail/detection.hpp>
#include <futura/core/waker.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>

#include <type_traits>
#include <utility>

namespace futura::detail {

/// Stands for "no executor known": cancellation is emitted inline.
struct no_executor {};

template <class Initiation>
using get_executor_call = decltype(std::declval<const Initiation&>().get_executor());
template <class Initiation>
using has_get_executor = is_detected<get_executor_call, Initiation>;

// Asio's token adapters (consign, append, prepend) wrap the initiation in a struct with a public
// `initiation_` member and no get_executor() of its own: the executor is the wrapped one's.
template <class Initiation>
using wrapped_initiation_member = decltype(std::declval<const Initiation&>().initiation_);
template <class Initiation>
using has_wrapped_initiation = is_detected<wrapped_initiation_member, Initiation>;

/// The executor of the IO object an initiation works on, or `no_executor`.
template <class Initiation, int = has_get_executor<Initiation>::value         ? 1
                                  : has_wrapped_initiation<Initiation>::value ? 2
                                                                              : 0>
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
inline constexpr bool is_asio_executor_v =
    boost::asio::execution::is_executor<E>::value || boost::asio::is_executor<E>::value;

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

/// Finds a running operation's executor: a copy taken at the start.
template <class Executor>
struct stored_executor {
  Executor ex;
  const Executor& get() const noexcept { return ex; }
};

/// Finds a running operation's executor: asks a copy of its initiation (which refers to the IO
/// object) when a drop needs it.
template <class Initiation>
struct initiation_executor_source {
  Initiation initiation;
  auto get() const { return initiation_executor<Initiation>::get(initiation); }
};

/// True when keeping a copy of the initiation is cheaper than copying its executor.
template <class Initiation>
inline constexpr bool executor_found_later_v =
    !std::is_same_v<typename initiation_executor<Initiation>::type, no_executor> &&
    std::is_trivially_copyable_v<Initiation> && sizeof(Initiation) <= 2 * sizeof(void*);

/// How an `async_op_future` on `Initiation` finds its executor when dropped.
template <class Initiation>
using executor_source_t =
    std::conditional_t<std::is_same_v<typename initiation_executor<Initiation>::type, no_executor>, no_executor,
                       std::conditional_t<executor_found_later_v<Initiation>, initiation_executor_source<Initiation>,
                                          stored_executor<typename initiation_executor<Initiation>::type>>>;

/// The executor source of `Initiation`, taken before the initiation is called (and moved from).
template <class Initiation>
executor_source_t<Initiation> executor_source_of(const Initiation& i) {
  if constexpr (std::is_same_v<executor_source_t<Initiation>, no_executor>) {
    return {};
  } else if constexpr (executor_found_later_v<Initiation>) {
    return {i};
  } else {
    return {initiation_executor<Initiation>::get(i)};
  }
}

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

/// Owns the future's reference to a running operation's state; cancels it when dropped, on the
/// executor that `Source` (`no_executor`, `stored_executor`, `initiation_executor_source`) finds.
template <class Output, class Source>
class op_in_flight {
 public:
  /// Adopts one reference on `s`.
  op_in_flight(async_op_state<Output>* s, Source src) noexcept : state_(s), src_(std::move(src)) {}
  op_in_flight(op_in_flight&& o) noexcept : state_(std::exchange(o.state_, nullptr)), src_(std::move(o.src_)) {}
  op_in_flight& operator=(op_in_flight&& o) noexcept {
    op_in_flight moved(std::move(o));
    std::swap(state_, moved.state_);
    std::swap(src_, moved.src_);
    return *this;
  }
  op_in_flight(const op_in_flight&) = delete;
  op_in_flight& operator=(const op_in_flight&) = delete;
  ~op_in_flight() {
    if (auto* s = std::exchange(state_, nullptr)) {
      // A finished operation's handler has let go (or is letting go) of the state, so the waker
      // goes with it; only a running one's may keep a task alive until the aborted completion.
      if (!s->finished()) {
        s->close_receiver();
        cancel(s);
      }
      s->release();
    }
  }

  poll_result<Output> poll(const waker& w) { return state_->poll(w); }

 private:
  void cancel(async_op_state<Output>* s) noexcept {
    if constexpr (std::is_same_v<Source, no_executor>) {
      try {
        s->cancel();
      } catch (...) {
        // A throwing cancellation handler cannot be reported from a destructor; the
        // operation then simply runs to completion, and the state outlives it.
      }
    } else {
      try {
        boost::asio::dispatch(src_.get(), cancel_operation<Output>(s));
      } catch (...) {
        // Only allocation can fail here; the operation then runs to completion uncancelled
        // (nothing leaks: the handler still holds and releases its reference).
      }
    }
  }

  async_op_state<Output>* state_;
  Source src_;
};

/// Polls `op`, the running operation held by `stage` (a future's `std::variant` of stages): when
/// the poll throws, `stage` becomes `Done` (dropping the operation, so cancelling it) and the
/// exception propagates (rule 6).
template <class Done, class Stage, class Op>
auto poll_in_flight(Stage& stage, Op& op, waker& w) -> decltype(op.poll(w)) {
  try {
    return op.poll(w);
  } catch (...) {
    stage.template emplace<Done>();
    throw;
  }
}

}  // namespace futura::detail
