// futura/core/waker.hpp — how a future asks to be polled again.
//
// A waker is a data pointer plus a table of four functions, exactly like Rust's RawWaker, so
// any executor (block_on's parker, an Asio task, a combinator's per-child slot) can make one
// without virtual inheritance or allocation. Copying a waker clones it (for reference-counted
// wakers: one atomic increment); destroying it drops it.
#pragma once

#include <new>
#include <utility>

namespace futura {

class waker;

/// The pieces a waker is made of: what `clone` returns.
struct raw_waker {
  const struct waker_vtable* vtable;
  void* data;
};

/// The behaviour of a waker. All four entries must be callable from any thread.
struct waker_vtable {
  raw_waker (*clone)(void* data);   ///< make a new owning handle to the same wake target
  void (*wake)(void* data);         ///< wake and drop in one step (consumes the handle)
  void (*wake_by_ref)(void* data);  ///< wake, keeping the handle
  void (*drop)(void* data);         ///< release the handle
};

namespace detail {
inline raw_waker noop_clone(void*) noexcept;
inline void noop_fn(void*) noexcept {}
inline constexpr waker_vtable noop_vtable{&noop_clone, &noop_fn, &noop_fn, &noop_fn};
inline raw_waker noop_clone(void*) noexcept { return {&noop_vtable, nullptr}; }
}  // namespace detail

/// Tells an executor that a future is worth polling again.
///
/// `wake()` only schedules: it never polls inline, so wakes never grow the stack. Wakers may
/// outlive the future and the executor that made them (rule 7): waking one whose task is gone
/// does nothing. A default-constructed or moved-from waker is a no-op waker.
class waker {
 public:
  /// A no-op waker.
  constexpr waker() noexcept : raw_{&detail::noop_vtable, nullptr} {}

  /// Adopts a raw waker (takes over one reference, as Rust's `Waker::from_raw`).
  explicit constexpr waker(raw_waker raw) noexcept : raw_(raw) {}

  waker(const waker& other) noexcept : raw_(other.raw_.vtable->clone(other.raw_.data)) {}
  waker(waker&& other) noexcept : raw_(std::exchange(other.raw_, raw_waker{&detail::noop_vtable, nullptr})) {}

  // The assignments store the new raw waker whole, not through a temporary waker and a swap,
  // nor field by field: for those GCC builds the pair on the stack with two 8-byte stores and
  // copies it with one 16-byte load, which the processor cannot forward from the stores, so a
  // poll that registers a new waker stalls on it (docs/performance.md, "Change 14").
  waker& operator=(const waker& other) noexcept {
    if (!will_wake(other)) {
      const raw_waker fresh = other.raw_.vtable->clone(other.raw_.data);
      const raw_waker old = raw_;
      raw_ = fresh;
      old.vtable->drop(old.data);
    }
    return *this;
  }
  waker& operator=(waker&& other) noexcept {
    if (this != &other) {
      const raw_waker old = raw_;
      raw_ = other.raw_;
      other.raw_ = raw_waker{&detail::noop_vtable, nullptr};
      old.vtable->drop(old.data);
    }
    return *this;
  }
  ~waker() { raw_.vtable->drop(raw_.data); }

  /// Schedules the future that registered this waker to be polled again.
  void wake() const noexcept { raw_.vtable->wake_by_ref(raw_.data); }

  /// Wakes and releases the handle in one step (saves a reference-count round trip).
  void wake_and_drop() && noexcept {
    raw_waker r = std::exchange(raw_, raw_waker{&detail::noop_vtable, nullptr});
    r.vtable->wake(r.data);
  }

  /// True when both wakers wake the same target, so storing a clone can be skipped.
  bool will_wake(const waker& other) const noexcept {
    return raw_.vtable == other.raw_.vtable && raw_.data == other.raw_.data;
  }

  /// True for wakers that do nothing (`noop_waker()`, default-constructed, moved-from).
  bool is_noop() const noexcept { return raw_.vtable == &detail::noop_vtable; }

  const raw_waker& raw() const noexcept { return raw_; }

  void swap(waker& other) noexcept { std::swap(raw_, other.raw_); }

 private:
  raw_waker raw_;
};

/// A waker that does nothing: for polling a future once by hand (and for benchmarks).
inline waker noop_waker() noexcept { return waker{}; }

namespace detail {

/// The vtable of a waker that points at an intrusively reference-counted object
/// `T` with `add_ref()`, `release()` and `wake()` (executors use it for tasks and parkers).
template <class T>
struct ref_counted_waker {
  static raw_waker clone(void* p) noexcept {
    static_cast<T*>(p)->add_ref();
    return {&vtable, p};
  }
  static void wake(void* p) noexcept {
    static_cast<T*>(p)->wake();
    static_cast<T*>(p)->release();
  }
  static void wake_by_ref(void* p) noexcept { static_cast<T*>(p)->wake(); }
  static void drop(void* p) noexcept { static_cast<T*>(p)->release(); }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  /// Makes an owning waker; takes a new reference on `p`.
  static waker make(T* p) noexcept {
    p->add_ref();
    return waker(raw_waker{&vtable, p});
  }
};

/// A waker that borrows its target instead of owning a reference: building and destroying it
/// costs nothing (copies of it are owning clones as usual). Used where the target is known to
/// outlive the borrow, like block_on's parker during one poll.
class borrowed_waker {
 public:
  explicit borrowed_waker(raw_waker raw) noexcept { new (&storage_) waker(raw); }
  borrowed_waker(const borrowed_waker&) = delete;
  borrowed_waker& operator=(const borrowed_waker&) = delete;
  ~borrowed_waker() {}  // deliberately does not run ~waker: the reference was never taken
  waker& get() noexcept { return storage_; }

 private:
  union {
    waker storage_;
  };
};

}  // namespace detail
}  // namespace futura
