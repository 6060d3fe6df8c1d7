// futura/asio/detail/task_service.hpp — the live tasks of one execution context: an Asio
// service whose shutdown destroys every unfinished task's future exactly once (docs/design.md,
// "Task word"). Used by the task runners of lib/asio/detail/task_header.cpp.
#pragma once

#include <futura/asio/detail/task_header.hpp>
#include <futura/core/detail/spin_lock.hpp>

#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>  // std::lock_guard
#include <utility>

namespace futura::detail {

/// The live tasks of one execution context (an Asio service, so the context's destructor calls
/// shutdown() before the context's memory goes away). Every task that has been polled and has
/// not completed is in the list, holding one reference: shutdown() destroys their futures,
/// releases their work and marks them closed, after which no waker posts to the context again.
/// (Tasks not polled yet are reached through their queued first runner: see task_header.hpp.)
class task_service final : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;  // lib/asio/detail/task_service.cpp

  explicit task_service(boost::asio::execution_context& ctx) : service(ctx) {}
  ~task_service() override;

  /// Changes whenever a task service is destroyed.
  static std::atomic<std::uint64_t> epoch;

  /// The service of `ctx` (made on first use); a thread's last lookup is cached.
  static task_service& of(boost::asio::execution_context& ctx);

  /// Adds `t` (with the list's reference); false when the context has already shut down.
  bool link(task_header* t) noexcept {
    std::lock_guard<spin_lock> lock(lock_);
    if (shut_down_.load(std::memory_order_relaxed)) return false;
    t->in_list_ = true;
    t->listed_ = true;
    t->prev_ = nullptr;
    t->next_ = head_;
    if (head_) head_->prev_ = t;
    head_ = t;
    return true;
  }

  /// Removes `t`; the caller then releases the list's reference.
  void unlink(task_header* t) noexcept {
    std::lock_guard<spin_lock> lock(lock_);
    if (!t->in_list_) return;  // taken by shutdown()
    if (t->prev_) {
      t->prev_->next_ = t->next_;
    } else {
      head_ = t->next_;
    }
    if (t->next_) t->next_->prev_ = t->prev_;
    t->prev_ = t->next_ = nullptr;
    t->in_list_ = false;
  }

 private:
  void shutdown() override;

  spin_lock lock_;  // held for a few pointer writes
  task_header* head_ = nullptr;
  std::atomic<bool> shut_down_{false};
};

}  // namespace futura::detail
