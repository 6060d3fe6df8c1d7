// The live-task list of each execution context (futura/asio/detail/task_service.hpp).
#include <futura/asio/detail/cached_service.hpp>
#include <futura/asio/detail/task_service.hpp>

#include <boost/asio/execution_context.hpp>

namespace futura::detail {

boost::asio::execution_context::id task_service::id;
std::atomic<std::uint64_t> task_service::epoch{0};

task_service::~task_service() {
  shutdown();
  // Invalidates every thread's cached lookup (see of()): a new context at this address
  // must not find this service.
  epoch.fetch_add(1, std::memory_order_release);
}

void task_service::shutdown() {
  // Destroying a future may spawn or wake other tasks of this context: take the list in
  // rounds until it stays empty. No handler of the context runs concurrently (the context is
  // being destroyed), so no task is running.
  for (;;) {
    task_header* list = nullptr;
    {
      std::lock_guard<spin_lock> lock(lock_);
      shut_down_.store(true, std::memory_order_release);
      list = std::exchange(head_, nullptr);
      for (task_header* t = list; t; t = t->next_) t->in_list_ = false;
    }
    if (!list) return;
    while (list) {
      task_header* t = list;
      list = t->next_;
      t->prev_ = t->next_ = nullptr;
      t->shut_down();
    }
  }
}

task_service& task_service::of(boost::asio::execution_context& ctx) {
  return cached_use_service<task_service>(ctx, epoch);
}

}  // namespace futura::detail
