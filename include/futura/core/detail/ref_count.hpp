// futura/core/detail/ref_count.hpp — the one reference-count policy of futura's shared states
// (docs/design.md, "Reference counts").
//
// Any owner, on any thread, adds or drops references; whoever drops the last one destroys the
// object right there. Adding needs no ordering (the adder already holds a reference, so the object
// cannot go meanwhile); dropping is acq_rel, so that every owner's use of the object happens
// before its destruction. `ref_count_field` is that policy over a count kept in the top bits of
// an atomic word (the task word keeps its flags below it); `intrusive_ref_count` is the usual
// case, a whole 32-bit word, as a CRTP base; `lending_ref_count` is that count for the join
// states, whose owner lends its children's waker clones references without an atomic operation.
// Wakers built with ref_counted_waker (core/waker.hpp) hold references.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <utility>

namespace futura::detail {

/// A reference count in bits [Shift, width) of an atomic `Word`: the field must be the top of
/// the word, so that the old word shifted down is the old count.
template <class Word, unsigned Shift = 0>
struct ref_count_field {
  static_assert(std::numeric_limits<Word>::is_integer && !std::numeric_limits<Word>::is_signed &&
                    Shift < std::numeric_limits<Word>::digits,
                "ref_count_field: an unsigned word with the count in its top bits");
  static constexpr Word one = Word{1} << Shift;

  /// The count held in a word read from the field's atomic.
  static constexpr Word count(Word word) noexcept { return word >> Shift; }

  static void add(std::atomic<Word>& word, Word n = 1) noexcept { word.fetch_add(n * one, std::memory_order_relaxed); }

  /// Drops `n` references; true when they were the last ones (the caller destroys the object).
  static bool release(std::atomic<Word>& word, Word n = 1) noexcept {
    return count(word.fetch_sub(n * one, std::memory_order_acq_rel)) == n;
  }
};

/// CRTP base: `class state : public intrusive_ref_count<state>`. The last release calls
/// `Derived::destroy_last(p)`, which is `delete p` unless Derived declares its own (a state
/// that must be freed another way). A Derived with a non-public destructor or destroy_last
/// befriends `intrusive_ref_count<Derived>`.
template <class Derived>
class intrusive_ref_count {
  using field = ref_count_field<std::uint32_t>;

 public:
  intrusive_ref_count(const intrusive_ref_count&) = delete;
  intrusive_ref_count& operator=(const intrusive_ref_count&) = delete;

  void add_ref() noexcept { field::add(refs_); }
  void release() noexcept {
    if (field::release(refs_)) Derived::destroy_last(static_cast<Derived*>(this));
  }

 protected:
  explicit intrusive_ref_count(std::uint32_t initial_references = 1) noexcept : refs_(initial_references) {}
  ~intrusive_ref_count() = default;

  static void destroy_last(Derived* self) noexcept { delete self; }

 private:
  std::atomic<std::uint32_t> refs_;
};

/// This thread's mark: the address of a thread_local, different for every thread alive.
inline thread_local char this_thread_mark_byte = 0;
inline const void* this_thread_mark() noexcept { return &this_thread_mark_byte; }

/// CRTP base of a state with one owner that polls children, whose wakers point into the state
/// and are cloned by the children it polls: the join states. The same policy as
/// intrusive_ref_count, but the owner holds a reserve of references in the count and *lends* a
/// clone one of them, counted in a plain field, when the clone is made on the owner's thread
/// during its poll (between poll_scope's construction and destruction). That is where a child
/// registers its waker, so a registration costs no atomic operation on the state. A clone made
/// anywhere else (another thread, or after the poll) adds to the count as usual; dropping any
/// clone drops one reference. The owner leaves by giving back what it still holds, in one step
/// (release_owner_refs). Correct on any thread because only the thread that set the mark in
/// the current poll can read its own mark there (it clears it before the poll returns), and a
/// future is polled by one thread at a time: `owner_held_` is touched by the owner's thread only.
template <class Derived, std::uint32_t Reserve = (std::uint32_t{1} << 30)>
class lending_ref_count {
  using field = ref_count_field<std::uint32_t>;
  // Refilled when spent; a small one only in tests (ref_count_test).
  static constexpr std::uint32_t reserve = Reserve;
  static_assert(Reserve >= 2 && Reserve <= (std::uint32_t{1} << 30),
                "lending_ref_count: the reserve holds the owner's reference and at least one to lend");

 public:
  lending_ref_count(const lending_ref_count&) = delete;
  lending_ref_count& operator=(const lending_ref_count&) = delete;

  /// A clone of a waker into this state: lent from the owner's reserve during the owner's poll
  /// on this thread, an atomic increment otherwise.
  void add_clone_ref() noexcept {
    if (polling_thread_.load(std::memory_order_relaxed) != this_thread_mark()) {
      field::add(refs_);
      return;
    }
    if (owner_held_ == 1) {  // keep the owner's own reference: take a new reserve first
      field::add(refs_, reserve);
      owner_held_ += reserve;
    }
    --owner_held_;
  }
  /// A clone is dropped.
  void release() noexcept {
    if (field::release(refs_)) Derived::destroy_last(static_cast<Derived*>(this));
  }
  /// The owner leaves: gives back every reference it still holds (its own and the reserve).
  void release_owner_refs() noexcept {
    if (field::release(refs_, owner_held_)) Derived::destroy_last(static_cast<Derived*>(this));
  }

  /// How many references the owner still holds in the count (its own and the unlent reserve).
  /// Owner's thread only; for tests, which check that the clones they expect lent were lent.
  std::uint32_t owner_held() const noexcept { return owner_held_; }

  /// The owner's poll on this thread, for its lifetime: clones made meanwhile on this thread
  /// are lent. End it before the owner may release the state.
  class poll_scope {
   public:
    explicit poll_scope(lending_ref_count& s) noexcept : s_(s) {
      s_.polling_thread_.store(this_thread_mark(), std::memory_order_relaxed);
    }
    ~poll_scope() { s_.polling_thread_.store(nullptr, std::memory_order_relaxed); }
    poll_scope(const poll_scope&) = delete;
    poll_scope& operator=(const poll_scope&) = delete;

   private:
    lending_ref_count& s_;
  };

 protected:
  lending_ref_count() noexcept = default;
  ~lending_ref_count() = default;

  static void destroy_last(Derived* self) noexcept { delete self; }

 private:
  std::atomic<std::uint32_t> refs_{reserve};  // what the owner holds + one per clone alive
  std::uint32_t owner_held_ = reserve;        // the owner's thread only
  // The mark of the thread in the owner's poll; null outside a poll. Relaxed: a thread only
  // needs to tell its own mark (which it wrote) from anything else.
  std::atomic<const void*> polling_thread_{nullptr};
};

/// How ref_ptr takes and drops a reference: the intrusive count's by default.
template <class T>
struct intrusive_ref_traits {
  static void add(T* p) noexcept { p->add_ref(); }
  static void release(T* p) noexcept { p->release(); }
};

/// One counted reference to a `T` (null when moved from or reset). Copying takes another
/// reference through `Traits::add`; a Traits without `add` makes a move-only owner. The
/// constructor from a pointer adopts a reference the caller already holds.
template <class T, class Traits = intrusive_ref_traits<T>>
class ref_ptr {
 public:
  ref_ptr() noexcept = default;
  explicit ref_ptr(T* adopted) noexcept : p_(adopted) {}
  ref_ptr(const ref_ptr& o) noexcept : p_(o.p_) {
    if (p_) Traits::add(p_);
  }
  ref_ptr(ref_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ref_ptr& operator=(ref_ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~ref_ptr() { reset(); }

  void reset() noexcept {
    if (T* p = std::exchange(p_, nullptr)) Traits::release(p);
  }
  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace futura::detail
