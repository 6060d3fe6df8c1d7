// The type-independent half of shared_future's state: the waker table and the poll phases
// (the protocol is drawn at the top of futura/combinator/detail/shared_state.hpp).
#include <futura/combinator/detail/shared_state.hpp>

#include <cstddef>

namespace futura::detail {

namespace {
using notifier_waker = ref_counted_waker<shared_core>;
}  // namespace

shared_core::~shared_core() = default;

raw_waker shared_core::notifier() noexcept { return {&notifier_waker::vtable, this}; }

std::uint32_t shared_core::allocate_key() {
  if (free_head_ != 0) {
    const std::uint32_t key = free_head_;
    free_head_ = at(key).next_free;
    at(key).next_free = 0;
    return key;
  }
  if (slot_count_ >= inline_slots) more_slots_.emplace_back();  // may throw: nothing changed yet
  return ++slot_count_;
}

waker shared_core::free_key(std::uint32_t key) noexcept {
  slot& s = at(key);
  waker w = std::move(s.w);
  s.next_free = free_head_;
  free_head_ = key;
  return w;
}

shared_core::begin_result shared_core::begin_poll(std::uint32_t& key, const waker& w) {
  waker dropped;  // declared first: destroyed after the lock is released
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase_ == phase::complete) {
    if (key != 0) dropped = free_key(std::exchange(key, 0));
    return begin_result::complete;
  }
  if (key == 0) key = allocate_key();
  slot& s = at(key);
  if (!s.w.will_wake(w)) {
    waker clone(w);
    s.w.swap(clone);
    dropped = std::move(clone);
  }
  if (phase_ == phase::polling) return begin_result::busy;
  phase_ = phase::polling;
  woken_while_polling_ = false;
  return begin_result::poll;
}

void shared_core::end_poll_pending() noexcept {
  bool woken;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase::idle;
    woken = std::exchange(woken_while_polling_, false);
  }
  // The inner asked to be polled again while we polled: copies that registered after that
  // wake were not woken by it.
  if (woken) wake_all();
}

void shared_core::end_poll_complete(std::uint32_t& key) noexcept {
  waker dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase::complete;
    if (key != 0) dropped = free_key(std::exchange(key, 0));  // the poller has its output
  }
  wake_all();
}

void shared_core::unregister(std::uint32_t key) noexcept {
  waker dropped;
  std::lock_guard<std::mutex> lock(mutex_);
  dropped = free_key(key);
}

void shared_core::wake() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ == phase::complete) return;
    if (phase_ == phase::polling) woken_while_polling_ = true;
  }
  wake_all();
}

void shared_core::wake_all() noexcept {
  // Take the registered wakers in batches under the lock and wake them outside it. A copy
  // registering meanwhile may be woken too (harmless); the cursor only moves forward, so this ends.
  constexpr std::size_t batch_size = 8;
  std::uint32_t cursor = 1;
  for (;;) {
    waker batch[batch_size];
    std::size_t n = 0;
    bool more;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (; cursor <= slot_count_ && n < batch_size; ++cursor) {
        slot& s = at(cursor);
        if (!s.w.is_noop()) batch[n++] = std::move(s.w);
      }
      more = cursor <= slot_count_;
    }
    for (std::size_t i = 0; i < n; ++i) std::move(batch[i]).wake_and_drop();
    if (!more) return;
  }
}

}  // namespace futura::detail
