// futura/core/detail/ref_count.hpp — the intrusive reference count of futura's shared heap states
// (the thread parkers, the abort, join and shared-future states, the Asio operation states).
//
// Any owner, on any thread, adds or drops a reference; whoever drops the last one destroys the
// object right there. Wakers built with ref_counted_waker (core/waker.hpp) hold references.
#pragma once

#include <atomic>
#include <cstdint>

namespace futura::detail {

/// CRTP base: `class state : public intrusive_ref_count<state>`. The last release calls
/// `Derived::destroy_last(p)`, which is `delete p` unless Derived declares its own (a state
/// that must be freed another way). A Derived with a non-public destructor or destroy_last
/// befriends `intrusive_ref_count<Derived>`.
template <class Derived>
class intrusive_ref_count {
 public:
  intrusive_ref_count(const intrusive_ref_count&) = delete;
  intrusive_ref_count& operator=(const intrusive_ref_count&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// acq_rel: every owner's use of the object happens before its destruction.
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Derived::destroy_last(static_cast<Derived*>(this));
  }

 protected:
  explicit intrusive_ref_count(std::uint32_t initial_references = 1) noexcept : refs_(initial_references) {}
  ~intrusive_ref_count() = default;

  static void destroy_last(Derived* self) noexcept { delete self; }

 private:
  std::atomic<std::uint32_t> refs_;
};

}  // namespace futura::detail
