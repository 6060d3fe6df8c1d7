// futura/asio/detail/task.hpp — the typed half of a spawned task, and how it is made.
//
// task<F, Executor, Alloc> = task_output<output_t<F>> + the executor (and, once the task has
// gone idle, its work-tracking twin) + the future (+ room for the executor's operation), in
// one block from `Alloc` (Asio's recycling allocator: the thread-local block cache of the
// executor's threads, so steady-state spawning from inside tasks reuses memory instead of
// calling operator new). The state machine is in task_header (lib/asio/detail/task_header.cpp).
//
// On an io_context or thread_pool executor the task also embeds the operation the executor
// allocates for each post: the kept executor carries a task_op_allocator (the standard
// execution::allocator property) that hands out a slot inside the task block. Asio frees a
// posted function's memory before invoking it, and a task has at most one runner queued at a
// time, so the slot is always free when the task is posted again: spawning costs one
// allocation even from outside run(), and a wake none. Other executors (strands,
// any_io_executor, user executors) keep their own allocation per post, from Asio's recycling
// cache.
#pragma once

#include <futura/asio/detail/inline_op_allocator.hpp>
#include <futura/asio/detail/task_header.hpp>
#include <futura/combinator/detail/root_poll.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/waker.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

// Under AddressSanitizer tasks come from operator new, so a use after free of a task block is
// reported instead of being hidden by the recycling cache.

namespace futura::detail {

#if FUTURA_HAS_ASAN
using task_proto_allocator = std::allocator<void>;
#else
using task_proto_allocator = boost::asio::recycling_allocator<void>;
#endif

/// The function object posted to the executor: owns one reference to its task.
class task_runner {
 public:
  explicit task_runner(task_header* t) noexcept : task_(t) {}
  task_runner(task_runner&& o) noexcept : task_(std::exchange(o.task_, nullptr)) {}
  task_runner& operator=(task_runner&&) = delete;
  task_runner(const task_runner&) = delete;
  task_runner& operator=(const task_runner&) = delete;
  // A runner destroyed without being invoked (the executor shut down with it queued, or
  // execute() threw) lets go of its task, completing it as aborted if nothing else will.
  ~task_runner() {
    if (task_) task_->runner_dropped();
  }

  void operator()() noexcept { std::exchange(task_, nullptr)->run(); }  // run() takes the reference

 private:
  task_header* task_;
};

/// Room in a task block for the one operation an io_context or thread_pool executor allocates
/// per post (inline_op_allocator.hpp). Only the thread that schedules the task (the one that made
/// it `scheduled`) takes it, and Asio gives it back before the runner runs. Asio 1.81's operation
/// for a task runner is 40 bytes (scheduler_operation + runner + allocator) with pointer
/// alignment, exactly this (no slack: every byte of the block is paid for on every spawn); a
/// larger one (handler tracking) takes the fallback.
using task_op_slot = inline_op_slot<5 * sizeof(void*), alignof(void*)>;

template <class T>
using task_op_fallback = typename std::allocator_traits<task_proto_allocator>::template rebind_alloc<T>;

/// The execution::allocator of a task's executor: its posts use the task's op slot.
template <class T>
using task_op_allocator = inline_op_allocator<T, task_op_slot, task_op_fallback>;

/// Executors whose execute() allocates exactly one operation, with the executor's allocator,
/// and frees it before invoking the function: a task on them embeds that operation.
template <class Executor>
struct posts_with_own_allocator : std::false_type {};
template <class A, std::uintptr_t Bits>
struct posts_with_own_allocator<boost::asio::io_context::basic_executor_type<A, Bits>> : std::true_type {};
template <class A, unsigned int Bits>
struct posts_with_own_allocator<boost::asio::thread_pool::basic_executor_type<A, Bits>> : std::true_type {};

template <class Executor>
using never_blocking_t = std::decay_t<decltype(boost::asio::require(std::declval<const Executor&>(),
                                                                    boost::asio::execution::blocking.never))>;

/// The executor a task keeps: never runs the runner inline and (where the executor allows)
/// allocates its operation in the task block. Its work-tracking twin (task_work_t) is made
/// when the task first goes idle (task_header::run): until then the task's queued first
/// runner is the context's outstanding work, as any posted function is.
template <class Executor, bool = posts_with_own_allocator<never_blocking_t<Executor>>::value>
struct task_executor_traits {
  using type = never_blocking_t<Executor>;
  static constexpr bool embeds_op = false;
  static type make(const Executor& ex, task_op_slot*) {
    return boost::asio::require(ex, boost::asio::execution::blocking.never);
  }
};

template <class Executor>
struct task_executor_traits<Executor, true> {
  using type = std::decay_t<decltype(boost::asio::prefer(
      std::declval<never_blocking_t<Executor>>(),
      boost::asio::execution::allocator(std::declval<task_op_allocator<void>>())))>;
  static constexpr bool embeds_op = true;
  static type make(const Executor& ex, task_op_slot* slot) {
    return boost::asio::prefer(boost::asio::require(ex, boost::asio::execution::blocking.never),
                               boost::asio::execution::allocator(task_op_allocator<void>(slot)));
  }
};

/// The work-tracking twin of a task's executor; it never posts, so it drops the op allocator.
template <class KeptExecutor>
using task_work_t = std::decay_t<decltype(boost::asio::prefer(
    boost::asio::prefer(std::declval<const KeptExecutor&>(), boost::asio::execution::allocator(std::allocator<void>())),
    boost::asio::execution::outstanding_work.tracked))>;

struct no_op_slot {};

/// `Executor` is the executor spawn was given; the task keeps task_executor_traits' version of it.
template <class F, class Executor, class Alloc>
class task final : public task_output<output_t<F>> {
  using output_type = output_t<F>;
  using executor_traits = task_executor_traits<Executor>;
  using kept_executor = typename executor_traits::type;
  using work_executor = task_work_t<kept_executor>;
  using op_slot = std::conditional_t<executor_traits::embeds_op, task_op_slot, no_op_slot>;
  using block_allocator = typename std::allocator_traits<Alloc>::template rebind_alloc<task>;
  using block_traits = std::allocator_traits<block_allocator>;

 public:
  /// Allocates and constructs a task that owns `f` and its version of `ex`; not yet started.
  template <class G>
  static task* create(G&& f, const Executor& ex) {
    block_allocator alloc;
    task* t = block_traits::allocate(alloc, 1);
    try {
      ::new (static_cast<void*>(t)) task(std::forward<G>(f), ex);
    } catch (...) {
      block_traits::deallocate(alloc, t, 1);
      throw;
    }
    return t;
  }

 private:
  template <class G>
  task(G&& f, const Executor& ex) : task_output<output_type>(&vtable) {
    executor_.construct(executor_traits::make(ex, slot_ptr()));
    try {
      this->executor_holds_no_work_ = holds_no_work(executor_.get());
      future_.construct(std::forward<G>(f));
    } catch (...) {
      executor_.destroy();
      throw;
    }
  }
  ~task() = default;

  static task& self(task_header* h) noexcept { return *static_cast<task*>(h); }

  // Whether `ex` says it tracks no outstanding work (false when it cannot say).
  static bool holds_no_work(const kept_executor& ex) {
    if constexpr (boost::asio::can_query<const kept_executor&, boost::asio::execution::outstanding_work_t>::value) {
      return boost::asio::query(ex, boost::asio::execution::outstanding_work) ==
             boost::asio::execution::outstanding_work.untracked;
    } else {
      return false;
    }
  }

  task_op_slot* slot_ptr() noexcept {
    if constexpr (executor_traits::embeds_op) {
      return &op_slot_;
    } else {
      return nullptr;
    }
  }

  static task_poll_status poll(task_header* h) noexcept {
    task& t = self(h);
    borrowed_waker w(h->raw());
    bool future_alive = true;
    try {
      poll_result<output_type> r = detail::poll_root(t.future_.get(), w.get());
      if (r.is_pending()) return task_poll_status::pending;
      // The future is finished: release what it holds before the output is published.
      t.future_.destroy();
      future_alive = false;
      t.set_value(std::move(r).value());
      if (t.executor_holds_no_work_ && !t.is_listed()) {
        // Nothing waits for the work to be released (see complete_first_poll): the executor
        // goes now, without another call through the vtable.
        t.executor_.destroy();
        return task_poll_status::done_executor_released;
      }
    } catch (...) {
      if (future_alive) t.future_.destroy();
      t.set_exception(std::current_exception());
    }
    return task_poll_status::done;
  }

  // Flattened: the executor's execute() and, on io_context/thread_pool, the scheduler's post are
  // inlined into this one function per task type; left to itself GCC keeps them as two more
  // calls on every wake -> post -> poll path (docs/performance.md, W4).
  [[gnu::flatten]] static void schedule(task_header* h) { self(h).executor_.get().execute(task_runner(h)); }

 public:
  /// Posts the task's first run (after prepare_start()). On an exception (the executor could
  /// not post) the runner, destroyed without running, has completed the task as aborted; the
  /// spawner's reference is released before the exception propagates.
  void post_first() {
    try {
      schedule(this);  // the first runner's reference goes with it (or dies with it)
    } catch (...) {
      this->release();  // the spawner's
      throw;
    }
  }

 private:
  static void take_work(task_header* h) {
    task& t = self(h);
    t.work_.construct(boost::asio::prefer(
        boost::asio::prefer(t.executor_.get(), boost::asio::execution::allocator(std::allocator<void>())),
        boost::asio::execution::outstanding_work.tracked));
  }
  static void drop_future(task_header* h) noexcept { self(h).future_.destroy(); }
  static void release_work(task_header* h, bool took_work) noexcept {
    task& t = self(h);
    if (took_work) t.work_.destroy();
    t.executor_.destroy();
  }
  static void destroy(task_header* h) noexcept {
    task* t = &self(h);
    block_allocator alloc;
    t->~task();
    block_traits::deallocate(alloc, t, 1);
  }

  static constexpr task_vtable vtable{&poll, &schedule, &take_work, &drop_future, &release_work, &destroy};

  manual_lifetime<kept_executor> executor_;
  manual_lifetime<work_executor> work_;
  manual_lifetime<F> future_;
  op_slot op_slot_;
};

template <class T, class = void>
struct is_asio_executor : std::false_type {};
template <class T>
struct is_asio_executor<T, std::enable_if_t<boost::asio::execution::is_executor<T>::value>> : std::true_type {};

/// The executor of spawn's first argument: an executor as is, or a context's get_executor().
template <class ExOrCtx>
decltype(auto) spawn_executor_of(ExOrCtx& x) {
  using D = std::remove_cv_t<ExOrCtx>;
  if constexpr (is_asio_executor<D>::value) {
    return static_cast<const D&>(x);
  } else if constexpr (std::is_base_of_v<boost::asio::execution_context, D>) {
    static_assert(!std::is_const_v<ExOrCtx>,
                  "futura::spawn: pass the execution context as a non-const reference (spawn(ctx, f)), "
                  "or pass its executor (spawn(ctx.get_executor(), f))");
    return x.get_executor();
  } else {
    static_assert(dependent_false<ExOrCtx>,
                  "futura::spawn: the first argument must be a standard Asio executor (io_context::executor_type, "
                  "strand<...>, thread_pool::executor_type, any_io_executor) or an execution context "
                  "(io_context, thread_pool); for the legacy io_context::strand use boost::asio::make_strand(ctx)");
  }
}

/// Makes and starts a task; returns it with the spawner's reference. Forced inline: it is the
/// whole of spawn, and an outlined copy costs a call per spawn (docs/performance.md, W7).
template <class Executor, class F>
FUTURA_ALWAYS_INLINE task_output<output_t<F>>* spawn_task(const Executor& ex, F&& f) {
  static_assert(boost::asio::can_require<const Executor&, boost::asio::execution::blocking_t::never_t>::value,
                "futura::spawn: the executor must support require(execution::blocking.never): a task's "
                "first poll, like every wake, is posted and never runs inline");
  static_assert(boost::asio::can_query<const Executor&, boost::asio::execution::context_t>::value,
                "futura::spawn: the executor must answer query(execution::context): a task registers with "
                "its execution context so that destroying the context destroys the task's future");
  static_assert(std::is_convertible_v<decltype(boost::asio::query(ex, boost::asio::execution::context)),
                                      boost::asio::execution_context&>,
                "futura::spawn: the executor's query(execution::context) must return an asio::execution_context& "
                "(io_context, thread_pool, ...): tasks register with it");
  using D = std::decay_t<F>;
  boost::asio::execution_context& ctx = boost::asio::query(ex, boost::asio::execution::context);
  auto* t = task<D, Executor, task_proto_allocator>::create(std::forward<F>(f), ex);
  t->prepare_start(ctx);
  t->post_first();
  return t;
}

}  // namespace futura::detail
