// futura/combinator/detail/shared_state.hpp — the heap state behind shared_future<T>
// (lib/combinator/detail/shared_state.cpp holds the type-independent half).
//
//   phase: idle --a copy wins begin_poll--> polling --inner pending--> idle
//                                           polling --inner ready / throws--> complete
//
// Every copy that polls registers its waker in a slot of its own (a key). The inner future is
// polled with the *notifier*: a waker on this state that wakes every registered copy, so whichever
// copy polls next, all waiting copies learn about progress. A notifier wake that lands while a
// copy polls sets a flag; when that poll ends pending, every copy registered by then is woken
// (one of them registered after the wake and would otherwise miss it). Completion wakes every
// registered copy. All of this is under one mutex; wakers are cloned under it but woken and
// dropped outside it (dropping a waker may destroy a task that holds a copy of this state).
//
// Two counts: `copies` (shared_future objects; the last one destroys the inner future and the
// output) and `refs` (memory: the copies together hold one reference, each notifier clone one),
// so an inner future that registered the notifier somewhere cannot keep itself alive (rule 5),
// and a notifier woken after every copy is gone does nothing (rule 7).
//
// Slots: four in the state itself; more copies waiting at once spill into a vector that grows
// (its capacity is kept). A free list recycles keys, so registering is O(1).
#pragma once

#include <futura/core/detail/ref_count.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace futura::detail {

class shared_core : public intrusive_ref_count<shared_core> {
 public:
  enum class begin_result : std::uint8_t {
    complete,  ///< the output is there: read it (the caller's key was released)
    busy,      ///< another copy is polling: the caller's waker is registered, return pending
    poll,      ///< the caller polls the inner future now, then calls end_poll_*
  };

  shared_core(const shared_core&) = delete;
  shared_core& operator=(const shared_core&) = delete;

  // Memory references (intrusive_ref_count: the copies' reference and the notifier's clones).
  /// The notifier: the inner future wants to be polled again.
  void wake() noexcept;

  /// A raw (borrowed) notifier waker; the caller holds a reference for as long as it is used.
  raw_waker notifier() noexcept;

  // The copies (a count of owners, beside the memory references) follow the same policy.
  void add_copy() noexcept { ref_count_field<std::uint32_t>::add(copies_); }
  /// True for the last copy: it must then call last_copy_gone().
  bool release_copy() noexcept { return ref_count_field<std::uint32_t>::release(copies_); }
  /// True when the calling copy is the only one (no other can appear: only it could be copied).
  bool sole_copy() const noexcept { return copies_.load(std::memory_order_acquire) == 1; }

  /// Registers `w` under `key` (allocating a key when it is 0) and tries to become the poller.
  begin_result begin_poll(std::uint32_t& key, const waker& w);
  /// The poller's inner poll returned pending.
  void end_poll_pending() noexcept;
  /// The poller stored the output (or exception): publish it, release `key`, wake every copy.
  void end_poll_complete(std::uint32_t& key) noexcept;
  /// A copy is dropped: forget its waker and key.
  void unregister(std::uint32_t key) noexcept;

 protected:
  shared_core() = default;
  virtual ~shared_core();
  friend class intrusive_ref_count<shared_core>;

 private:
  enum class phase : std::uint8_t { idle, polling, complete };
  struct slot {
    waker w;
    std::uint32_t next_free = 0;  // free list link (a key), when not in use
  };
  static constexpr std::uint32_t inline_slots = 4;

  slot& at(std::uint32_t key) noexcept {
    return key <= inline_slots ? slots_[key - 1] : more_slots_[key - inline_slots - 1];
  }
  std::uint32_t allocate_key();
  waker free_key(std::uint32_t key) noexcept;  // returns the waker, to be dropped unlocked
  void wake_all() noexcept;

  std::atomic<std::uint32_t> copies_{1};
  std::mutex mutex_;
  phase phase_ = phase::idle;
  bool woken_while_polling_ = false;
  std::uint32_t slot_count_ = 0;
  std::uint32_t free_head_ = 0;
  slot slots_[inline_slots];
  std::vector<slot> more_slots_;
};

/// The typed half: the output, and the inner future behind two virtual functions.
template <class T>
class shared_state : public shared_core {
 public:
  /// Polls the inner future (only the poller, between begin_poll and end_poll_*).
  virtual poll_result<T> poll_inner(waker& w) = 0;
  /// Destroys the inner future if it is still there (the poller on completion, or the last copy).
  virtual void destroy_inner() noexcept = 0;

  /// The last copy is gone: nothing will read the output or poll the inner future again.
  void last_copy_gone() noexcept {
    destroy_inner();
    value.reset();
    error = nullptr;
  }

  // Written by the poller before end_poll_complete, read by copies after begin_poll said complete.
  std::optional<T> value;
  std::exception_ptr error;
};

template <class F>
class shared_state_impl final : public shared_state<typename F::output_type> {
 public:
  explicit shared_state_impl(F&& f) : inner_(std::move(f)) {}
  ~shared_state_impl() override { destroy_inner(); }

  poll_result<typename F::output_type> poll_inner(waker& w) override { return inner_.poll(w); }
  void destroy_inner() noexcept override {
    if (alive_) {
      alive_ = false;
      inner_.~F();
    }
  }

 private:
  union {
    F inner_;
  };
  bool alive_ = true;
};

}  // namespace futura::detail
