// futura/executor/detail/task.hpp — the typed half of a spawned task, and how it is made.
//
// task<F, Executor, Alloc> = task_output<output_t<F>> + the work-tracking executor + the
// future, in one block from `Alloc` (Asio's recycling allocator: the thread-local block cache
// of the executor's threads, so steady-state spawning from inside tasks reuses memory instead
// of calling operator new). The state machine is in task_header (lib/task.cpp).
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/core/waker.hpp>
#include <futura/executor/detail/task_header.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/require.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

// Under AddressSanitizer tasks come from operator new, so a use after free of a task block is
// reported instead of being hidden by the recycling cache.
#if defined(__SANITIZE_ADDRESS__)
#define FUTURA_TASK_PLAIN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUTURA_TASK_PLAIN_ALLOCATOR 1
#endif
#endif

namespace futura::detail {

#ifdef FUTURA_TASK_PLAIN_ALLOCATOR
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
  // A runner destroyed without being invoked (the executor shut down with it queued) just
  // lets go of its task: the shutdown of the task's context has completed or will complete it.
  ~task_runner() {
    if (task_) task_->release();
  }

  void operator()() noexcept { std::exchange(task_, nullptr)->run(); }  // run() takes the reference

 private:
  task_header* task_;
};

/// The executor a task keeps: never runs the runner inline, and counts as outstanding work.
template <class Executor>
using task_executor_t = std::decay_t<decltype(boost::asio::prefer(
    boost::asio::require(std::declval<const Executor&>(), boost::asio::execution::blocking.never),
    boost::asio::execution::outstanding_work.tracked))>;

template <class F, class Executor, class Alloc>
class task final : public task_output<output_t<F>> {
  using output_type = output_t<F>;
  using block_allocator = typename std::allocator_traits<Alloc>::template rebind_alloc<task>;
  using block_traits = std::allocator_traits<block_allocator>;

 public:
  /// Allocates and constructs a task that owns `f` and `ex`; not yet started.
  template <class G>
  static task* create(G&& f, Executor ex) {
    block_allocator alloc;
    task* t = block_traits::allocate(alloc, 1);
    try {
      ::new (static_cast<void*>(t)) task(std::forward<G>(f), std::move(ex));
    } catch (...) {
      block_traits::deallocate(alloc, t, 1);
      throw;
    }
    return t;
  }

 private:
  template <class G>
  task(G&& f, Executor ex) : task_output<output_type>(&vtable) {
    executor_.construct(std::move(ex));
    try {
      future_.construct(std::forward<G>(f));
    } catch (...) {
      executor_.destroy();
      throw;
    }
  }
  ~task() = default;

  static task& self(task_header* h) noexcept { return *static_cast<task*>(h); }

  static task_poll_status poll(task_header* h) noexcept {
    task& t = self(h);
    borrowed_waker w(h->raw());
    bool future_alive = true;
    try {
      poll_result<output_type> r = t.future_.get().poll(w.get());
      if (r.is_pending()) return task_poll_status::pending;
      // The future is finished: release what it holds before the output is published.
      t.future_.destroy();
      future_alive = false;
      t.set_value(std::move(r).value());
    } catch (...) {
      if (future_alive) t.future_.destroy();
      t.set_exception(std::current_exception());
    }
    return task_poll_status::done;
  }

  static void schedule(task_header* h) { self(h).executor_.get().execute(task_runner(h)); }
  static void drop_future(task_header* h) noexcept { self(h).future_.destroy(); }
  static void release_work(task_header* h) noexcept { self(h).executor_.destroy(); }
  static void destroy(task_header* h) noexcept {
    task* t = &self(h);
    block_allocator alloc;
    t->~task();
    block_traits::deallocate(alloc, t, 1);
  }

  static constexpr task_vtable vtable{&poll, &schedule, &drop_future, &release_work, &destroy};

  manual_lifetime<Executor> executor_;
  manual_lifetime<F> future_;
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

/// Makes and starts a task; returns it with the spawner's reference.
template <class Executor, class F>
task_output<output_t<F>>* spawn_task(const Executor& ex, F&& f) {
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
  using tracked_executor = task_executor_t<Executor>;
  boost::asio::execution_context& ctx = boost::asio::query(ex, boost::asio::execution::context);
  auto* t = task<D, tracked_executor, task_proto_allocator>::create(
      std::forward<F>(f),
      boost::asio::prefer(boost::asio::require(ex, boost::asio::execution::blocking.never),
                          boost::asio::execution::outstanding_work.tracked));
  t->start(ctx);
  return t;
}

}  // namespace futura::detail
