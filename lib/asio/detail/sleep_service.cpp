// The type-independent half of the sleep service: the deadline heap drawn at the top of
// futura/asio/detail/sleep_service.hpp (a binary min-heap of (deadline, entry) pairs; each
// entry knows its index, so a dropped sleep leaves in O(log n)).
#include <futura/asio/detail/sleep_service.hpp>

#include <utility>

namespace futura::detail {

bool sleep_queue::reregister(sleep_entry* e, const waker& w) noexcept {
  waker fresh(w);  // cloned outside the lock
  std::lock_guard<spin_lock> lock(lock_);
  if (e->state.load(std::memory_order_relaxed) != sleep_entry::queued) return false;
  std::swap(e->registered, fresh);  // the old one is dropped after the lock
  return true;
}

void sleep_queue::push_locked(sleep_entry* e) {
  heap_.push_back(item{e->deadline, e});  // the only step that may throw
  sift_up(heap_.size() - 1, item{e->deadline, e});
}

void sleep_queue::erase_locked(sleep_entry* e) noexcept { remove_at(e->heap_index); }

void sleep_queue::remove_at(std::size_t i) noexcept {
  const item last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;  // it was the last one
  if (i > 0 && last.deadline < heap_[(i - 1) / 2].deadline) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void sleep_queue::sift_up(std::size_t i, item it) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(it.deadline < heap_[parent].deadline)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, it);
}

void sleep_queue::sift_down(std::size_t i, item it) noexcept {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].deadline < heap_[child].deadline) ++child;
    if (!(heap_[child].deadline < it.deadline)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, it);
}

std::size_t sleep_queue::pop_due_locked(clock::time_point now, waker* out) noexcept {
  std::size_t n = 0;
  while (n < batch && !heap_.empty() && !(now < heap_.front().deadline)) {
    sleep_entry* e = heap_.front().entry;
    remove_at(0);
    out[n++] = std::move(e->registered);
    // The last touch: from here the future may see it final and free it.
    e->state.store(sleep_entry::fired, std::memory_order_release);
  }
  return n;
}

std::size_t sleep_queue::pop_abandoned_locked(waker* out) noexcept {
  std::size_t n = 0;
  while (n < batch && !heap_.empty()) {
    sleep_entry* e = heap_.back().entry;  // any order will do: no heap upkeep needed
    heap_.pop_back();
    out[n++] = std::move(e->registered);
    e->state.store(sleep_entry::abandoned, std::memory_order_release);
  }
  return n;
}

}  // namespace futura::detail
