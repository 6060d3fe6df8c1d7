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

#include <futura/core/future_traits.hpp>
#include <futura/core/waker.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace futura {
namespace detail {

class thread_parker;

/// The parker of one block_on call (the thread's own, or a fresh one when nested).
class block_on_scope {
 public:
  block_on_scope();
  ~block_on_scope();
  block_on_scope(const block_on_scope&) = delete;
  block_on_scope& operator=(const block_on_scope&) = delete;

  /// A waker that unparks this scope's thread (borrowed: the scope holds the reference).
  raw_waker raw() const noexcept;
  /// Blocks until the waker was woken since the last park (returns at once if it was).
  void park();

 private:
  thread_parker* parker_;
  bool nested_;
  // A block_on inside a boxed poll is a new trampoline root: the outer root cannot drain the
  // boxes deferred here while this thread is parked (see detail/boxed_trampoline.hpp).
  std::uint32_t saved_boxed_depth_;
};

}  // namespace detail

/// Polls `f` on this thread until it is ready, parking between wakeups; returns its output
/// or rethrows its exception. An lvalue `f` is copied (so a `shared_future` can be passed as is).
/// @code
///   int v = futura::block_on(futura::ready(20).then([](int x) { return x + 22; }));  // 42
/// @endcode
template <class F>
output_t<F> block_on(F&& f) {
  static_assert(detail::check_future<F>());
  static_assert(!std::is_lvalue_reference_v<F> || std::is_copy_constructible_v<std::decay_t<F>>,
                "futura::block_on takes the future by value and this one cannot be copied: pass std::move(f)");
  std::decay_t<F> future(std::forward<F>(f));
  detail::block_on_scope scope;
  detail::borrowed_waker w(scope.raw());
  for (;;) {
    poll_result<output_t<F>> r = future.poll(w.get());
    if (r.is_ready()) return std::move(r).value();
    scope.park();
  }
}

}  // namespace futura
