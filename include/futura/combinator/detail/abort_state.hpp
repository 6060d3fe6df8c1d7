// futura/combinator/detail/abort_state.hpp — the heap state an abortable future shares with its handles.
//
//   running --abort() (any thread; the first one wakes)--> aborted
//
// One allocation per `abortable(f)`: a reference count (the future and every handle copy each
// hold one), the aborted flag, and the waker slot the future registers in while it is pending.
// abort() sets the flag before it takes the waker, and the future reads the flag after it
// registered, so an abort that races with a poll on another thread is never lost (rule 3).
#pragma once

#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace futura::detail {

class abort_state : public intrusive_ref_count<abort_state> {
 public:
  /// A new state holding one reference (adopted by the first `abort_ref`).
  static abort_state* make();

  abort_state(const abort_state&) = delete;
  abort_state& operator=(const abort_state&) = delete;

  /// Sets the flag and, the first time, wakes the future's registered waker. Any thread.
  void abort() noexcept;
  bool is_aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

  /// The future's side: the waker that abort() will wake. One registrar (the polling thread).
  void register_waker(const waker& w) noexcept { waker_.register_waker(w); }
  /// The future's side, when it completes or is dropped: releases its waker right away (it may
  /// own a task) instead of when the last handle goes.
  void close_future() noexcept { waker_.take(); }

 private:
  friend class intrusive_ref_count<abort_state>;
  abort_state() = default;
  ~abort_state() = default;
  static void destroy_last(abort_state* s) noexcept;  // in the library, where it was made

  std::atomic<bool> aborted_{false};
  atomic_waker waker_;
};

/// One owning reference to an abort_state (null when moved from). Copying takes a reference.
using abort_ref = ref_ptr<abort_state>;

}  // namespace futura::detail
