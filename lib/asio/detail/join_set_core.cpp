// The type-independent part of join_set<T>: the entry sorting drawn at the top of
// futura/asio/detail/join_set_core.hpp.
#include <futura/asio/detail/join_set_core.hpp>

#include <futura/core/detail/chaos.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <utility>

namespace futura::detail {

join_entry* join_set_queue::acquire() {
  if (free_ == nullptr) {
    const std::size_t size = first_chunk << chunks_.size();
    // Room first, so that the push below cannot throw and leak the chunk.
    chunks_.reserve(chunks_.size() + 1);
    std::unique_ptr<join_entry[]> chunk(new join_entry[size]);
    // Free list in address order: the first entry is used first.
    for (std::size_t i = size; i-- > 0;) {
      chunk[i].owner = this;
      chunk[i].next_free = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }
  join_entry* e = free_;
  free_ = e->next_free;
  return e;
}

join_entry* join_set_core::reserve() {
  if (!queue_) queue_ = ref_ptr<join_set_queue>(new join_set_queue);
  return queue_->acquire();
}

void join_set_core::adopt(join_entry* e, task_header* t) noexcept {
  e->task = t;
  e->abandoned = false;
  ++live_;
  borrowed_waker w(ready_queue::child_waker(e));
  // A task complete before its waker was in place may never wake the entry: queue it here,
  // unless a wake (the registration's own, or a stale one of the reused entry) queued it.
  if (t->join_ready_or_register(w.get()) && ready_queue::claim_after_handover(e)) sort_complete(e);
}

void join_set_core::collect() noexcept {
  if (!queue_) return;
  ready_node* last = nullptr;
  ready_node* n = queue_->take_woken(last);
  while (n != nullptr) {
    auto* e = static_cast<join_entry*>(n);
    n = n->next;               // read before the entry moves to the finished list (which relinks it)
    if (e->task == nullptr) {  // freed since a wake pushed it: nothing to do
      ready_queue::unqueue(e);
      continue;
    }
    if (e->task->is_complete()) {
      sort_complete(e);
      continue;
    }
    // Woken, yet running: a stale wake of the entry's previous task. Unqueue before registering
    // again, so that the completion to come pushes the entry.
    ready_queue::unqueue(e);
    FUTURA_CHAOS_POINT("join_set.collect.unqueued");
    borrowed_waker w(ready_queue::child_waker(e));
    if (e->task->join_ready_or_register(w.get()) && ready_queue::claim_after_handover(e)) sort_complete(e);
  }
}

void join_set_core::sort_complete(join_entry* e) noexcept {
  if (e->abandoned || e->task->output_status() == task_output_status::aborted) {
    drop(e);  // aborted tasks leave the set silently
  } else {
    finished_.push_back(e);
  }
}

void join_set_core::drop(join_entry* e) noexcept {
  e->task->release_joined();
  // A late wake of the entry (the completion's, still in flight) pushes it now, and the next
  // collect() finds it free, or holding another task.
  ready_queue::unqueue(e);
  queue_->free_entry(e);
  --live_;
}

void join_set_core::abort_all() noexcept {
  if (!queue_) return;
  queue_->for_each_live([](join_entry& e) {
    e.abandoned = true;
    e.task->abort();
  });
  // Finished ones, already in the list, are not yielded either: they are dropped now.
  while (join_entry* e = pop_finished()) drop(e);
}

void join_set_core::detach_all() noexcept {
  if (!queue_) return;
  queue_->for_each_live([](join_entry& e) {
    e.task->detach();
    std::exchange(e.task, nullptr)->release();
  });
  reset();
}

void join_set_core::abort_and_clear() noexcept {
  if (!queue_) return;
  queue_->for_each_live([](join_entry& e) {
    e.task->abort();
    e.task->drop_join_waker();
    std::exchange(e.task, nullptr)->release();
  });
  reset();
}

void join_set_core::reset() noexcept {
  (void)queue_->parent.take();
  queue_.reset();
  finished_.reset();
  live_ = 0;
}

}  // namespace futura::detail
