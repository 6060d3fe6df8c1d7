// futura/sync/detail/semaphore_state.hpp — the FIFO waiter queue of a counting semaphore, shared by
// futura::semaphore and the bounded mpsc channel (docs/design.md, "The FIFO waiter queue").
//
// The permits live in one atomic word: the count of available permits in its top bits, and two
// flags below it, `waiters` (the queue is not empty) and `closed`.
//
//   word = count << 2 | waiters << 1 | closed
//
//   try_acquire(k): one CAS, count -= k, only while neither flag is set and count >= k.
//   try_acquire_up_to(m): one CAS, count -= min(count, m), only while neither flag is set.
//   give_back(k):   one CAS, count += k, while `waiters` is clear; otherwise the slow path below.
//
// The queue (a doubly linked list of waiter nodes) is guarded by a spin lock; `waiters` changes
// only under that lock, and is set exactly while the queue is not empty. While it is set, the
// count is 0: every permit given back goes to the head waiter, set aside in its node (`assigned`)
// until it has all it asked for. So only the head is ever partly assigned.
//
// A waiter's node (taken from the state's pool at the first poll that must wait):
//
//   queued --its last permit set aside (give_back, add, a waiter ahead dropped)--> granted
//   queued --close(): its set-aside permits go back to the word--------------------> closed
//   queued --acquisition dropped: its set-aside permits go to the next waiters----> (pool)
//   granted --acquisition dropped before it saw the grant: all k go to the next---> (pool)
//   granted / closed --the acquisition's poll reports it---------------------------> (pool)
//
// The race between a waiter enqueueing and a releaser adding to the word is settled by the word:
// the enqueuer (holding the lock) takes the count and sets `waiters` in one CAS. A releaser whose
// CAS came first left its permits in the count, which the enqueuer's CAS then takes; a releaser
// that comes after sees `waiters` and takes the lock, behind the enqueuer.
//
// Ordering: FIFO. A waiter is granted only when every waiter ahead of it was, and try_acquire fails
// while anyone waits, so a large request is never overtaken by later small ones.
// Threads: every member may be called from any thread. Wakers are woken and dropped outside the
// lock (at most `wake_batch` at a time: a release that completes more waiters drops the lock
// between batches), so a wake that runs user code (an executor's, or a waker whose drop destroys
// a task holding an acquisition of this same state) never runs under it; under the lock a waker
// is only moved, or cloned when a poll brings a new one (a clone takes a reference).
// Destruction: the state must outlive every acquisition that holds a node (polled, and not yet
// finished or dropped); the pool's nodes are freed with the state.
// Allocation: none on the fast paths; a waiter takes a node from the state's pool, and allocates
// one only when the pool is empty (so a steady state allocates nothing).
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/intrusive_list.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/spin_lock.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>

namespace futura::detail {

class semaphore_acquisition;

/// One waiting acquisition's place in the queue. Every field is guarded by the state's lock.
struct semaphore_waiter {
  enum class status : std::uint8_t { queued, granted, closed };

  semaphore_waiter* prev = nullptr;
  semaphore_waiter* next = nullptr;  // the queue's link, or the pool's
  std::size_t needed = 0;
  std::size_t assigned = 0;  // set aside so far (all of `needed` once granted)
  waker waiting_waker;
  status state = status::queued;
};

class semaphore_state {
 public:
  /// The most permits a state can count (the word's top bits).
  static constexpr std::size_t max_permits = std::numeric_limits<std::size_t>::max() >> 2;

  explicit semaphore_state(std::size_t permits) noexcept;
  ~semaphore_state();  // precondition: no acquisition waits any more
  semaphore_state(const semaphore_state&) = delete;
  semaphore_state& operator=(const semaphore_state&) = delete;

  /// Takes `k` permits when nobody waits, the state is open and `k` are available. Lock-free.
  /// `k == 0` takes nothing and succeeds unless the state is closed.
  bool try_acquire(std::size_t k) noexcept;
  /// Takes every available permit, at most `most`, when nobody waits and the state is open: a
  /// batch in one CAS (the bounded channel takes its places ahead this way). Returns how many:
  /// 0 when none are available, someone waits, or the state is closed. Lock-free.
  std::size_t try_acquire_up_to(std::size_t most) noexcept;
  /// Whether an acquisition is queued (an acquire load: a caller that must not overtake waiters
  /// looks here before using permits it took ahead).
  bool has_waiters() const noexcept { return (word_.load(std::memory_order_acquire) & waiters_bit) != 0; }
  /// Returns `k` permits taken earlier (the total is unchanged): to the waiters first, in order.
  void give_back(std::size_t k) noexcept;
  /// Adds `k` new permits (total += k), handed out as give_back does.
  void add(std::size_t k) noexcept;
  /// `k` taken permits are gone for good (total -= k).
  void forget(std::size_t k) noexcept;
  /// Fails every waiter and every later acquisition with error::closed. Idempotent.
  void close() noexcept;
  bool is_closed() const noexcept { return (word_.load(std::memory_order_acquire) & closed_bit) != 0; }
  /// Permits neither taken nor set aside for a waiter (0 while anyone waits).
  std::size_t available() const noexcept { return count_of(word_.load(std::memory_order_acquire)); }
  /// Made with + added - forgotten.
  std::size_t total() const noexcept { return total_.load(std::memory_order_acquire); }

 private:
  friend class semaphore_acquisition;

  static constexpr std::size_t closed_bit = 1;
  static constexpr std::size_t waiters_bit = 2;
  static constexpr unsigned count_shift = 2;
  static constexpr std::size_t wake_batch = 16;
  static constexpr std::size_t count_of(std::size_t word) noexcept { return word >> count_shift; }
  static constexpr std::size_t as_count(std::size_t k) noexcept { return k << count_shift; }

  using guard = std::unique_lock<spin_lock>;

  /// Under the lock: takes `node`'s `needed` permits from the word if nobody waits (the node is
  /// then `granted` without ever being queued), fails (`closed`), or queues it with whatever the
  /// word has set aside for it (`queued`). Returns the node's new state.
  semaphore_waiter::status enqueue(semaphore_waiter* node) noexcept;
  /// Under the lock, which it releases (and retakes between wake batches): hands `k` permits to
  /// the queue in FIFO order, puts what is left in the word, and wakes the waiters it completed.
  void hand_out(std::size_t k, guard& lock) noexcept;
  /// The slow path of give_back: `waiters` was set when the caller looked.
  void give_back_locked(std::size_t k) noexcept;
  /// Under the lock: the last waiter left; the word gets `k` more permits and `waiters` clears.
  void settle_empty_queue(std::size_t k) noexcept;
  /// Under the lock: queues `node` last.
  void push_back(semaphore_waiter* node) noexcept;
  /// Under the lock: a node from the pool, or null when the pool is empty.
  semaphore_waiter* take_pooled() noexcept;
  void recycle(semaphore_waiter* node) noexcept;

  std::atomic<std::size_t> word_;
  std::atomic<std::size_t> total_;
  spin_lock lock_;
  intrusive_list<semaphore_waiter> queue_;  // under the lock
  semaphore_waiter* pool_ = nullptr;
};

/// One acquisition of `k` permits of a semaphore_state: lazy (nothing happens before the first
/// poll) and movable between polls (rule 2): when it must wait, its waiter node lives in the
/// state, never in this object.
class semaphore_acquisition {
 public:
  semaphore_acquisition() noexcept = default;  // empty: polling it is a contract violation
  semaphore_acquisition(semaphore_state& s, std::size_t k) noexcept : state_(&s), needed_(k) {}
  semaphore_acquisition(semaphore_acquisition&& o) noexcept;
  semaphore_acquisition& operator=(semaphore_acquisition&& o) noexcept;
  semaphore_acquisition(const semaphore_acquisition&) = delete;
  semaphore_acquisition& operator=(const semaphore_acquisition&) = delete;
  /// Still waiting: leaves the queue and hands what was set aside for it to the next waiters.
  ~semaphore_acquisition() { cancel(); }

  /// ready(error_code{}): the k permits now belong to the caller, and this acquisition is
  /// finished (its destruction gives nothing back); ready(error::closed); or pending with `w`
  /// registered. Acquiring 0 permits succeeds at the first poll unless the state is closed.
  /// Polling a finished or empty acquisition is a contract violation (rule 4).
  // Inline, so that the misuse check follows the caller's FUTURA_ASSERT_ON_MISUSE (misuse.hpp).
  poll_result<boost::system::error_code> poll(waker& w) {
    if (state_ == nullptr) polled_after_completion("futura::detail::semaphore_acquisition");
    if (node_ == nullptr) return first_poll(w);
    return poll_waiting(w);
  }

  /// Not yet finished (it may be waiting, or not polled yet).
  bool is_active() const noexcept { return state_ != nullptr; }
  std::size_t permits() const noexcept { return needed_; }

 private:
  void cancel() noexcept;
  poll_result<boost::system::error_code> first_poll(waker& w);
  poll_result<boost::system::error_code> poll_waiting(waker& w) noexcept;
  boost::system::error_code finish(boost::system::error_code ec) noexcept;
  /// Under the lock: the wait of `node` is over (granted or closed); the node goes back to the
  /// pool and its outcome is the acquisition's.
  boost::system::error_code finish_waiting(semaphore_state& s, semaphore_waiter* node) noexcept;

  semaphore_state* state_ = nullptr;  // null when empty, moved from or finished
  semaphore_waiter* node_ = nullptr;  // set while queued (or granted/closed, not yet seen)
  std::size_t needed_ = 0;
};

}  // namespace futura::detail
