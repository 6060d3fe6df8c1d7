// futura/core/detail/ref_count.hpp — the one reference-count policy of futura's shared states
// (docs/design.md, "Reference counts").
//
// Any owner, on any thread, adds or drops references; whoever drops the last one destroys the
// object right there. Adding needs no ordering (the adder already holds a reference, so the object
// cannot go meanwhile); dropping is acq_rel, so that every owner's use of the object happens
// before its destruction. `ref_count_field` is that policy over a count kept in the top bits of
// an atomic word (the task word keeps its flags below it); `intrusive_ref_count` is the usual
// case, a whole 32-bit word, as a CRTP base. Wakers built with ref_counted_waker (core/waker.hpp)
// hold references.
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
