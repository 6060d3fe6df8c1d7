// futura/sync/semaphore.hpp — a counting semaphore whose acquire is a future, fair (FIFO).
//
// An acquire future:
//
//   not polled --first poll: k available and nobody waits--> done: a permit of k
//       |       --first poll: closed------------------------> done: error::closed
//       |--first poll: otherwise--> waiting (queued; permits handed out set aside for it)
//   waiting --all k set aside: woken once; next poll---------> done: a permit of k
//   waiting --close(): woken once; next poll-----------------> done: error::closed
//   waiting --dropped: leaves the queue, its set-aside permits go to the next waiters
//
// A permit holds k permits until it is destroyed (they go back, to the waiters first) or
// forgotten (taken for good: the semaphore's total shrinks by k).
//
// Ordering: first come, first served. A waiting acquire is granted only when every acquire
// queued before it was, so a large request is never overtaken by later small ones, and
// `try_acquire` fails while anyone waits. Permits given back go to the head of the queue and are
// set aside for it until it has all it asked for.
// Threads: every member of `semaphore`, and a permit's destruction, may run on any thread; an
// acquire future is polled by one thread at a time (any thread). A release wakes the waiters it
// completed after it let go of the semaphore's lock.
// Destruction: the semaphore must outlive its acquire futures and its permits. Dropping an
// acquire future that waits gives up its place and every permit set aside for it (also when it
// was granted but not polled since): dropping an acquire is cancel-safe. Dropping a finished
// one does nothing.
// Allocation: none for `try_acquire`, for an acquire that is granted at its first poll, or for
// a permit. A waiting acquire takes a node from the semaphore's pool (docs/design.md, "The FIFO
// waiter queue"), allocating one only when the pool is empty, so a steady state allocates
// nothing.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/sync/detail/semaphore_state.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

namespace futura {

class semaphore;
class semaphore_acquire_future;

/// Permits taken from a `semaphore`: move-only; gives them back when destroyed.
/// A moved-from (or default-constructed, or forgotten) permit holds nothing: `count()` is 0 and
/// its destruction gives nothing back.
class semaphore_permit {
 public:
  semaphore_permit() noexcept = default;
  semaphore_permit(semaphore_permit&& o) noexcept
      : state_(std::exchange(o.state_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  /// Gives back what this permit held, then takes `o`'s.
  semaphore_permit& operator=(semaphore_permit&& o) noexcept {
    if (this != &o) {
      give_back();
      state_ = std::exchange(o.state_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }
  semaphore_permit(const semaphore_permit&) = delete;
  semaphore_permit& operator=(const semaphore_permit&) = delete;
  ~semaphore_permit() { give_back(); }

  /// The number of permits held.
  std::size_t count() const noexcept { return count_; }

  /// Keeps the permits taken for good: the semaphore's total shrinks by `count()`, and this
  /// permit holds nothing afterwards.
  void forget() noexcept {
    if (state_ != nullptr) state_->forget(count_);
    state_ = nullptr;
    count_ = 0;
  }

 private:
  friend class semaphore;
  friend class semaphore_acquire_future;
  semaphore_permit(detail::semaphore_state* s, std::size_t n) noexcept : state_(s), count_(n) {}

  void give_back() noexcept {
    if (state_ != nullptr && count_ > 0) state_->give_back(count_);
    state_ = nullptr;
    count_ = 0;
  }

  detail::semaphore_state* state_ = nullptr;
  std::size_t count_ = 0;
};

/// `semaphore::acquire(k)`: output `boost::system::result<semaphore_permit>`, a permit of k or
/// `futura::error::closed`. Movable between polls (it waits in the semaphore, not in itself); a
/// moved-from one must not be polled (rule 4), and dropping it does nothing.
class [[nodiscard]] semaphore_acquire_future : public future_ext<semaphore_acquire_future> {
 public:
  using output_type = boost::system::result<semaphore_permit>;

  poll_result<output_type> poll(waker& w) {
    if (!acquisition_.is_active()) detail::polled_after_completion("futura::semaphore_acquire_future");
    poll_result<boost::system::error_code> r = acquisition_.poll(w);
    if (r.is_pending()) return pending;
    if (r.value()) return output_type(r.value());
    return output_type(semaphore_permit(state_, acquisition_.permits()));
  }

 private:
  friend class semaphore;
  semaphore_acquire_future(detail::semaphore_state& s, std::size_t k) noexcept : state_(&s), acquisition_(s, k) {}

  detail::semaphore_state* state_;
  detail::semaphore_acquisition acquisition_;
};

/// A counting semaphore for futures: `acquire(k)` waits, in FIFO order, until `k` permits are
/// free. Not copyable or movable (acquire futures and permits refer to it).
/// @code
///   futura::semaphore connections(4);             // at most 4 requests in flight
///   auto request = connections.acquire().and_then([&](futura::semaphore_permit permit) {
///     return fetch(url).then([permit = std::move(permit)](response r) { return r; });
///   });                                           // the permit goes back with the lambda
///
///   if (std::optional<futura::semaphore_permit> p = connections.try_acquire(2)) { ... }
///   connections.close();                          // waiters get futura::error::closed
/// @endcode
class semaphore {
 public:
  /// The most permits a semaphore can count.
  static constexpr std::size_t max_permits = detail::semaphore_state::max_permits;

  /// A semaphore of `permits` permits; more than `max_permits` throws `std::length_error`.
  explicit semaphore(std::size_t permits) : state_(checked(permits)) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  /// A future of `k` permits (lazy: nothing happens before its first poll). `k` greater than
  /// `total()` throws `std::invalid_argument` (such an acquire could never be granted). `k == 0`
  /// gives an empty permit at the first poll, unless the semaphore is closed.
  /// @code
  ///   futura::semaphore budget(10);
  ///   boost::system::result<futura::semaphore_permit> p = futura::block_on(budget.acquire(3));
  ///   if (p) use(p->count());  // 3; they go back when *p is destroyed
  /// @endcode
  semaphore_acquire_future acquire(std::size_t k = 1) {
    if (k > state_.total()) {
      detail::throw_standard<std::invalid_argument>(
          boost::system::errc::invalid_argument,
          "futura::semaphore::acquire(k): k is greater than the semaphore's total of permits");
    }
    return semaphore_acquire_future(state_, k);
  }

  /// `k` permits now, if nobody waits, the semaphore is open and `k` are available; otherwise
  /// `std::nullopt` (`k == 0`: an empty permit unless closed). Never waits, takes no lock,
  /// allocates nothing.
  std::optional<semaphore_permit> try_acquire(std::size_t k = 1) noexcept {
    if (!state_.try_acquire(k)) return std::nullopt;
    return semaphore_permit(&state_, k);
  }

  /// Adds `k` new permits (the total grows by `k`): to the waiters first, in order. A total above
  /// `max_permits` throws `std::length_error`.
  void release(std::size_t k = 1) {
    if (k > max_permits - state_.total()) too_many();
    state_.add(k);
  }

  /// Permits free now (0 while anyone waits: those given back are set aside for the waiters).
  std::size_t available() const noexcept { return state_.available(); }
  /// Made with, plus released, minus forgotten.
  std::size_t total() const noexcept { return state_.total(); }

  /// Fails every waiting acquire and every later one with `futura::error::closed`; `try_acquire`
  /// fails from now on. Permits held stay valid and still go back. Idempotent.
  void close() noexcept { state_.close(); }
  bool is_closed() const noexcept { return state_.is_closed(); }

 private:
  [[noreturn]] static void too_many() {
    detail::throw_standard<std::length_error>(boost::system::errc::value_too_large,
                                              "futura::semaphore: more than semaphore::max_permits permits");
  }
  static std::size_t checked(std::size_t permits) {
    if (permits > max_permits) too_many();
    return permits;
  }

  detail::semaphore_state state_;
};

}  // namespace futura
