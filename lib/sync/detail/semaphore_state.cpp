// The FIFO waiter queue of semaphore_state and its acquisitions (docs/design.md, "The FIFO waiter
// queue"; the word and the node states are drawn at the top of the header).
#include <futura/sync/detail/semaphore_state.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

namespace futura::detail {

// ---- semaphore_state -------------------------------------------------------------------------

semaphore_state::semaphore_state(std::size_t permits) noexcept : word_(as_count(permits)), total_(permits) {}

semaphore_state::~semaphore_state() {
  assert(queue_.empty() && "futura::semaphore destroyed while an acquisition still waits on it");
  for (semaphore_waiter* n = pool_; n != nullptr;) {
    semaphore_waiter* next = n->next;
    delete n;
    n = next;
  }
}

bool semaphore_state::try_acquire(std::size_t k) noexcept {
  if (k == 0) return !is_closed();
  std::size_t w = word_.load(std::memory_order_relaxed);
  do {
    // `waiters` set: someone queued first, and FIFO fairness leaves the permits to it.
    if ((w & (closed_bit | waiters_bit)) != 0 || count_of(w) < k) return false;
    FUTURA_CHAOS_POINT("semaphore.try_acquire.seen");
  } while (!word_.compare_exchange_weak(w, w - as_count(k), std::memory_order_acquire, std::memory_order_relaxed));
  return true;
}

std::size_t semaphore_state::try_acquire_up_to(std::size_t most) noexcept {
  std::size_t w = word_.load(std::memory_order_relaxed);
  std::size_t k = 0;
  do {
    if ((w & (closed_bit | waiters_bit)) != 0) return 0;
    k = std::min(count_of(w), most);
    if (k == 0) return 0;
    FUTURA_CHAOS_POINT("semaphore.try_acquire_up_to.seen");
  } while (!word_.compare_exchange_weak(w, w - as_count(k), std::memory_order_acquire, std::memory_order_relaxed));
  return k;
}

void semaphore_state::give_back(std::size_t k) noexcept {
  if (k == 0) return;
  std::size_t w = word_.load(std::memory_order_relaxed);
  do {
    if ((w & waiters_bit) != 0) {
      give_back_locked(k);
      return;
    }
    // An enqueuer may set `waiters` here: then this CAS fails, and the next round takes the lock.
    FUTURA_CHAOS_POINT("semaphore.give_back.seen");
  } while (!word_.compare_exchange_weak(w, w + as_count(k), std::memory_order_release, std::memory_order_relaxed));
}

void semaphore_state::give_back_locked(std::size_t k) noexcept {
  FUTURA_CHAOS_POINT("semaphore.give_back.slow");
  guard lock(lock_);
  // The queue may have emptied since the caller saw `waiters`: hand_out then puts k in the word.
  hand_out(k, lock);
}

void semaphore_state::add(std::size_t k) noexcept {
  total_.fetch_add(k, std::memory_order_acq_rel);
  give_back(k);
}

void semaphore_state::forget(std::size_t k) noexcept { total_.fetch_sub(k, std::memory_order_acq_rel); }

void semaphore_state::close() noexcept {
  // The flag first: an enqueuer that locks after this close's lock sees it and fails, and one
  // that locked before is in the queue, which the loop below drains.
  if ((word_.fetch_or(closed_bit, std::memory_order_acq_rel) & closed_bit) != 0) return;
  FUTURA_CHAOS_POINT("semaphore.close.flagged");
  guard lock(lock_);
  // What the failed waiters had set aside: in hand until the queue is empty, then in the word.
  std::size_t set_aside = 0;
  for (;;) {
    std::array<waker, wake_batch> woken;
    std::size_t n = 0;
    while (!queue_.empty() && n < wake_batch) {
      semaphore_waiter* h = queue_.pop_front();
      set_aside += std::exchange(h->assigned, 0);
      h->state = semaphore_waiter::status::closed;
      woken[n++] = std::move(h->waiting_waker);
    }
    const bool drained = queue_.empty();
    if (drained) settle_empty_queue(set_aside);
    lock.unlock();
    FUTURA_CHAOS_POINT("semaphore.close.unlocked");
    for (std::size_t i = 0; i < n; ++i) std::move(woken[i]).wake_and_drop();
    if (drained) return;
    lock.lock();
  }
}

void semaphore_state::hand_out(std::size_t k, guard& lock) noexcept {
  for (;;) {
    std::array<waker, wake_batch> woken;
    std::size_t n = 0;
    while (!queue_.empty() && k > 0 && n < wake_batch) {
      semaphore_waiter* h = queue_.front();
      const std::size_t missing = h->needed - h->assigned;
      if (k < missing) {
        h->assigned += k;  // set aside: the head keeps it until it has all it asked for
        k = 0;
        break;
      }
      k -= missing;
      h->assigned = h->needed;
      h->state = semaphore_waiter::status::granted;
      queue_.unlink(h);
      woken[n++] = std::move(h->waiting_waker);
    }
    if (queue_.empty()) {
      settle_empty_queue(k);
      k = 0;
    }
    // The permits still in hand (k) belong to nobody while the lock is dropped: a waiter that
    // leaves meanwhile hands its own on, and the next round goes on from the queue's new head.
    lock.unlock();
    FUTURA_CHAOS_POINT("semaphore.hand_out.unlocked");
    for (std::size_t i = 0; i < n; ++i) std::move(woken[i]).wake_and_drop();
    if (k == 0) return;
    lock.lock();
  }
}

void semaphore_state::settle_empty_queue(std::size_t k) noexcept {
  // `waiters` changes only under the lock, so it reads the same at the fetch_add; the count is 0
  // while it is set, and fast paths leave the word alone then (close may still set its flag).
  const std::size_t w = word_.load(std::memory_order_relaxed);
  if ((w & waiters_bit) != 0) {
    word_.fetch_add(as_count(k) - waiters_bit, std::memory_order_release);
  } else if (k > 0) {
    word_.fetch_add(as_count(k), std::memory_order_release);
  }
}

semaphore_waiter::status semaphore_state::enqueue(semaphore_waiter* node) noexcept {
  std::size_t w = word_.load(std::memory_order_acquire);
  for (;;) {
    if ((w & closed_bit) != 0) return node->state = semaphore_waiter::status::closed;
    if ((w & waiters_bit) != 0) {
      push_back(node);  // behind the others, with nothing set aside (the count is 0)
      return node->state;
    }
    // A releaser's fast path may add here; its CAS or ours fails, and the loser sees the other's.
    FUTURA_CHAOS_POINT("semaphore.enqueue.seen");
    if (count_of(w) >= node->needed) {
      if (word_.compare_exchange_weak(w, w - as_count(node->needed), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return node->state = semaphore_waiter::status::granted;
      }
    } else if (word_.compare_exchange_weak(w, waiters_bit, std::memory_order_acq_rel, std::memory_order_acquire)) {
      node->assigned = count_of(w);  // everything available is set aside for the first waiter
      push_back(node);
      FUTURA_CHAOS_POINT("semaphore.enqueue.queued");
      return node->state;
    }
  }
}

void semaphore_state::push_back(semaphore_waiter* node) noexcept {
  node->state = semaphore_waiter::status::queued;
  queue_.push_back(node);
}

semaphore_waiter* semaphore_state::take_pooled() noexcept {
  semaphore_waiter* n = pool_;
  if (n != nullptr) pool_ = n->next;
  return n;
}

void semaphore_state::recycle(semaphore_waiter* node) noexcept {
  node->prev = nullptr;
  node->next = pool_;
  node->assigned = 0;
  pool_ = node;
}

// ---- semaphore_acquisition -------------------------------------------------------------------

semaphore_acquisition::semaphore_acquisition(semaphore_acquisition&& o) noexcept
    : state_(std::exchange(o.state_, nullptr)), node_(std::exchange(o.node_, nullptr)), needed_(o.needed_) {}

semaphore_acquisition& semaphore_acquisition::operator=(semaphore_acquisition&& o) noexcept {
  if (this != &o) {
    cancel();
    state_ = std::exchange(o.state_, nullptr);
    node_ = std::exchange(o.node_, nullptr);
    needed_ = o.needed_;
  }
  return *this;
}

boost::system::error_code semaphore_acquisition::finish(boost::system::error_code ec) noexcept {
  state_ = nullptr;
  node_ = nullptr;
  return ec;
}

boost::system::error_code semaphore_acquisition::finish_waiting(semaphore_state& s, semaphore_waiter* node) noexcept {
  const bool granted = node->state == semaphore_waiter::status::granted;
  s.recycle(node);
  return finish(granted ? boost::system::error_code{} : make_error_code(error::closed));
}

poll_result<boost::system::error_code> semaphore_acquisition::first_poll(waker& w) {
  semaphore_state& s = *state_;
  if (needed_ == 0) return finish(s.is_closed() ? make_error_code(error::closed) : boost::system::error_code{});
  if (s.try_acquire(needed_)) return finish({});
  if (s.is_closed()) return finish(make_error_code(error::closed));

  waker registered = w;  // cloned before the lock, which is held for as short as can be
  semaphore_state::guard lock(s.lock_);
  semaphore_waiter* node = s.take_pooled();
  if (node == nullptr) {
    lock.unlock();
    node = new semaphore_waiter();  // the pool is empty: this node joins it when we are done
    lock.lock();
  }
  node->needed = needed_;
  node->assigned = 0;
  if (s.enqueue(node) != semaphore_waiter::status::queued) return finish_waiting(s, node);
  node->waiting_waker = std::move(registered);
  node_ = node;
  return pending;
}

poll_result<boost::system::error_code> semaphore_acquisition::poll_waiting(waker& w) noexcept {
  semaphore_state& s = *state_;
  waker replaced;  // dropped after the lock: a waker's drop may run anything
  semaphore_state::guard lock(s.lock_);
  if (node_->state != semaphore_waiter::status::queued) return finish_waiting(s, node_);
  if (!node_->waiting_waker.will_wake(w)) {
    replaced = std::move(node_->waiting_waker);
    node_->waiting_waker = w;
  }
  return pending;
}

void semaphore_acquisition::cancel() noexcept {
  if (node_ == nullptr) {
    state_ = nullptr;
    return;
  }
  semaphore_state& s = *state_;
  waker dropped;  // dropped after the lock
  semaphore_state::guard lock(s.lock_);
  std::size_t set_aside = 0;
  switch (node_->state) {
    case semaphore_waiter::status::queued:
      set_aside = node_->assigned;
      s.queue_.unlink(node_);
      dropped = std::move(node_->waiting_waker);
      break;
    case semaphore_waiter::status::granted:
      set_aside = node_->needed;  // granted but never told: the permits are still the queue's
      break;
    case semaphore_waiter::status::closed:
      break;  // close() gave back what was set aside
  }
  s.recycle(node_);
  state_ = nullptr;
  node_ = nullptr;
  FUTURA_CHAOS_POINT("semaphore.cancel.unlinked");
  s.hand_out(set_aside, lock);  // also clears `waiters` when this was the last waiter
}

}  // namespace futura::detail
