// futura/asio/detail/inline_op_allocator.hpp — room for the one operation Asio allocates at a time
// for a futura object, inside that object: a task's post.
//
// Asio frees an operation's memory before it invokes or destroys the operation's handler (the
// handler is moved out first), and each of these objects has at most one operation in flight, so
// the slot is free again whenever the next operation is allocated: steady posting and waiting cost
// no allocation. A request that does not fit, or that comes while the slot is taken, goes to the
// fallback allocator. Only the thread that starts the operation takes the slot, and Asio gives it
// back before the next start can happen, so the slot needs no atomics. Under AddressSanitizer a
// free slot is poisoned, so a use of an operation after Asio freed it is still reported.
#pragma once

#include <futura/asio/detail/recycling_pool.hpp>

#include <cstddef>

namespace futura::detail {

/// `Size` bytes aligned to `Align`, for one operation at a time.
template <std::size_t Size, std::size_t Align>
class inline_op_slot {
 public:
  static constexpr std::size_t size = Size;
  static constexpr std::size_t align = Align;

  /// The slot's memory, or null when it is taken or the request does not fit.
  void* try_take(std::size_t bytes, std::size_t alignment) noexcept {
    if (taken_ || bytes > Size || alignment > Align) return nullptr;
    taken_ = true;
    recycling::unpoison(storage_, Size);
    return storage_;
  }
  /// False when `p` is not the slot's memory (the fallback allocator's).
  bool give_back(void* p) noexcept {
    if (p != static_cast<void*>(storage_)) return false;
    recycling::poison(storage_, Size);
    taken_ = false;
    return true;
  }

 private:
  alignas(Align) unsigned char storage_[Size];
  bool taken_ = false;
};

/// The allocator Asio sees (a handler's associated allocator, an executor's
/// execution::allocator): single objects from `*slot` when they fit, else from `Fallback<T>`.
template <class T, class Slot, template <class> class Fallback>
class inline_op_allocator {
 public:
  using value_type = T;

  explicit inline_op_allocator(Slot* slot) noexcept : slot_(slot) {}
  template <class U>
  inline_op_allocator(const inline_op_allocator<U, Slot, Fallback>& o) noexcept : slot_(o.slot()) {}

  template <class U>
  struct rebind {
    using other = inline_op_allocator<U, Slot, Fallback>;
  };

  T* allocate(std::size_t n) {
    if (n == 1) {
      if (void* p = slot_->try_take(sizeof(T), alignof(T))) return static_cast<T*>(p);
    }
    return Fallback<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (!slot_->give_back(p)) Fallback<T>().deallocate(p, n);
  }

  Slot* slot() const noexcept { return slot_; }

  friend bool operator==(const inline_op_allocator& a, const inline_op_allocator& b) noexcept {
    return a.slot_ == b.slot_;
  }
  friend bool operator!=(const inline_op_allocator& a, const inline_op_allocator& b) noexcept { return !(a == b); }

 private:
  Slot* slot_;
};

}  // namespace futura::detail
