// futura/executor/block_on.hpp — run a future to completion on the calling thread.
//
//   poll --pending--> park the thread until woken --> poll ... --ready--> return the output
//
// `block_on(f)` polls `f` on the calling thread and parks the thread (no spinning) between
// wakeups; it returns the output or rethrows what the future threw (rule 6). The waker it
// hands out may be woken from any thread and may outlive the call (rule 7): a late wake is
// harmless. Calls may nest (a future polled by block_on may itself call block_on): each level
// parks on its own parker, so no wakeup is stolen.
//
// Cost: no allocation on entry (the thread's parker is made once per thread), and no
// reference counting unless the future clones the waker.
#pragma once

#include <futura/combinator/detail/root_poll.hpp>
#include <futura/core/detail/config.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/waker.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

class thread_parker;

/// This thread's block_on state. Trivially destructible and constant-initialised, so reading it
/// is a plain TLS access, inline (no call, no TLS init wrapper). The thread's parker is released
/// at thread exit by a holder that lib/executor/block_on.cpp registers when it makes the first parker.
struct block_on_thread {
  thread_parker* parker;  ///< made at this thread's first block_on; nullptr before (and after exit)
  std::uint32_t depth;    ///< block_on calls running on this thread's stack
};
inline thread_local block_on_thread block_on_this_thread{nullptr, 0};

/// The vtable of wakers that unpark a thread_parker (lib/executor/block_on.cpp).
extern const waker_vtable block_on_parker_vtable;

/// The parker of one block_on call (the thread's own, or a fresh one when nested).
///
/// The common entry — not nested, the thread's parker already made — is inline: two TLS
/// accesses, no call and no allocation. The library is called only to make the thread's first
/// parker, for a nested block_on (which gets a parker of its own), and to park.
class block_on_scope {
 public:
  FUTURA_ALWAYS_INLINE block_on_scope() {
    block_on_thread& t = block_on_this_thread;
    // First, what may throw (std::bad_alloc), so that nothing below needs undoing.
    parker_ = (t.depth == 0 && t.parker != nullptr) ? t.parker : enter_slow();
    ++t.depth;
  }
  FUTURA_ALWAYS_INLINE ~block_on_scope() {
    block_on_thread& t = block_on_this_thread;
    --t.depth;
    if (parker_ != t.parker) release_parker(parker_);  // nested (or entered during thread exit)
  }
  block_on_scope(const block_on_scope&) = delete;
  block_on_scope& operator=(const block_on_scope&) = delete;

  /// A waker that unparks this scope's thread (borrowed: the scope holds the reference).
  raw_waker raw() const noexcept { return {&block_on_parker_vtable, parker_}; }
  /// Parks the thread until the waker was woken since the last wait (returns at once if it was).
  void wait();

 private:
  /// The parker of an entry off the common path: the thread's first (made and kept), or a
  /// fresh one owned by the scope when nested or after the thread's parker was released.
  static thread_parker* enter_slow();
  /// Drops the scope's reference on a parker it owns (wakers may still hold others).
  static void release_parker(thread_parker* p) noexcept;

  thread_parker* parker_;
};

/// What every block_on checks of its argument.
template <class F>
constexpr bool check_block_on_argument() {
  static_assert(check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F> || std::is_copy_constructible_v<std::decay_t<F>>,
                "futura::block_on takes the future by value and this one cannot be copied: pass std::move(f)");
  return true;
}

/// The loop of every block_on: poll `future` as a root (combinator/detail/root_poll.hpp) with
/// the scope's waker; between polls the scope waits until that waker was woken (parks the
/// thread, or runs an io_context's handlers).
template <class F, class Scope>
FUTURA_ALWAYS_INLINE output_t<F> poll_until_ready(F& future, Scope& scope) {
  borrowed_waker w(scope.raw());
  for (;;) {
    poll_result<output_t<F>> r = detail::poll_root(future, w.get());
    if (r.is_ready()) return std::move(r).value();
    scope.wait();
  }
}

}  // namespace detail

/// Polls `f` on this thread until it is ready, parking between wakeups; returns its output
/// or rethrows its exception. An lvalue `f` is copied (so a `shared_future` can be passed as is).
/// @code
///   int v = futura::block_on(futura::ready(20).then([](int x) { return x + 22; }));  // 42
/// @endcode
// Forced inline: for a future that is ready at once, the whole call then folds into the caller
// (the scope's TLS updates cancel out); the loop, park() and the slow entries stay small.
template <class F>
FUTURA_ALWAYS_INLINE output_t<F> block_on(F&& f) {
  static_assert(detail::check_block_on_argument<F>());
  std::decay_t<F> future(std::forward<F>(f));
  detail::block_on_scope scope;
  return detail::poll_until_ready(future, scope);
}

}  // namespace futura
