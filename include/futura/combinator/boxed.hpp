// futura/combinator/boxed.hpp — a type-erased future: boxed_future<T>.
//
//   running(F) --F ready / throws--------------------------------------------> empty
//   running(F) --deferred by the trampoline, then F ready / throws----------> cached(T | exception)
//   cached     --poll: returns the value / rethrows---------------------------> empty
//
// `f.boxed()` / `boxed_future<T>(std::move(f))` erases the type of any future `F` whose output
// is `T`, so futures of different types can be stored, returned from one function, or chained
// in a loop. boxed_future is move-only and is itself a future (`.then` and friends work on it).
//
// Allocation: at most one. `F` lives inline (no allocation) when `F` and `T` both fit in four
// pointers (`sizeof <= 32`, alignment <= alignof(std::max_align_t)) and both are nothrow-move-
// constructible; otherwise one heap block holds `F` (and later, in its place, the cached output).
// A boxed_future is 48 bytes on 64-bit targets. Moving it moves a pointer (heap) or the small
// future (inline). Polling costs one indirect call plus a per-thread depth counter.
//
// Deep chains: a synchronous chain of any length neither overflows the stack when polled (every
// link ready at once) nor when destroyed: boxes nested deeper than 128 defer to a per-thread
// trampoline (futura/combinator/detail/boxed_trampoline.hpp draws the algorithm). On such chains a poll may
// wake the waker it was given although it returns ready (spurious wakes are allowed).
//
// Ordering and threads: `F` is polled inside `poll`, on the polling thread, with the waker
// passed to `poll` (or a clone of it, when deferred). Destruction: `F` is destroyed as soon as it
// completes (or throws), and when the box is dropped (rule 5); an output cached by the
// trampoline is destroyed with the box. Exceptions from `F` propagate out of `poll` (rule 6);
// afterwards the box is complete. A moved-from or default-constructed box is empty: polling it
// throws future_error(polled_after_completion) (rule 4).
#pragma once

#include <futura/combinator/detail/argument_checks.hpp>
#include <futura/combinator/detail/boxed_trampoline.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/future_traits.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace futura {

namespace detail {

struct boxed_combinator;  // boxed's tag (detail/argument_checks.hpp)

inline constexpr std::size_t boxed_inline_size = 4 * sizeof(void*);
inline constexpr std::size_t boxed_inline_align = alignof(std::max_align_t);

/// The bytes of a boxed_future: an inline future or cached output, or a pointer to a heap block.
union boxed_storage {
  void* heap;
  alignas(boxed_inline_align) unsigned char bytes[boxed_inline_size];
};

/// A heap block: holds the future, then (after the trampoline completed it) its output or exception.
template <class F, class T>
union boxed_heap_block {
  F future;
  T value;
  std::exception_ptr error;
  boxed_heap_block() noexcept {}
  ~boxed_heap_block() {}
};

/// What a boxed_future needs to know about the future it holds.
template <class T>
struct boxed_ops {
  poll_result<T> (*poll)(boxed_storage& s, waker& w);
  void (*move)(boxed_storage& to, boxed_storage& from) noexcept;  // relocates a running future
  void (*destroy)(boxed_storage& s) noexcept;                     // destroys a running future
  bool (*defer_destroy)(boxed_storage& s) noexcept;               // hands it to the destroy list
  void* (*retire)(boxed_storage& s) noexcept;     // destroys it, keeps the memory: where the output goes
  void (*free_cache)(boxed_storage& s) noexcept;  // releases the memory of a cached output
  bool heap;
};

template <class T, class F>
struct boxed_heap_ops {
  using block = boxed_heap_block<F, T>;
  static block& get(boxed_storage& s) noexcept { return *static_cast<block*>(s.heap); }

  static poll_result<T> poll(boxed_storage& s, waker& w) { return get(s).future.poll(w); }
  static void move(boxed_storage& to, boxed_storage& from) noexcept { to.heap = std::exchange(from.heap, nullptr); }
  static void destroy_block(void* p) noexcept {
    block* b = static_cast<block*>(p);
    b->future.~F();
    delete b;
  }
  static void destroy(boxed_storage& s) noexcept { destroy_block(s.heap); }
  static bool defer_destroy(boxed_storage& s) noexcept { return boxed_defer_destroy(s.heap, &destroy_block); }
  static void* retire(boxed_storage& s) noexcept {
    get(s).future.~F();
    return s.heap;
  }
  static void free_cache(boxed_storage& s) noexcept { delete static_cast<block*>(s.heap); }

  static constexpr boxed_ops<T> table{&poll, &move, &destroy, &defer_destroy, &retire, &free_cache, true};

  /// Moves `f` into a new heap block (the one allocation of a boxed_future).
  static void emplace(boxed_storage& s, F&& f) {
    block* b = new block;
    FUTURA_TRY {
      ::new (static_cast<void*>(&b->future)) F(std::move(f));
    }
    FUTURA_CATCH_ALL {
      delete b;
      FUTURA_RETHROW;
    }
    s.heap = b;
  }
};

template <class T, class F>
struct boxed_inline_ops {
  static F& get(boxed_storage& s) noexcept { return *std::launder(reinterpret_cast<F*>(s.bytes)); }

  static poll_result<T> poll(boxed_storage& s, waker& w) { return get(s).poll(w); }
  static void move(boxed_storage& to, boxed_storage& from) noexcept {
    ::new (static_cast<void*>(to.bytes)) F(std::move(get(from)));
    get(from).~F();
  }
  static void destroy(boxed_storage& s) noexcept { get(s).~F(); }
  static bool defer_destroy(boxed_storage& s) noexcept {
    // The box's own bytes die with it: move the future to a heap block first. Only chains that
    // nest through other heap structures (a vector of inline boxes inside an inline box ...) get
    // here; when memory is short, destroy in place instead.
    using heap = boxed_heap_ops<T, F>;
    auto* b = new (std::nothrow) typename heap::block;
    if (!b) return false;
    ::new (static_cast<void*>(&b->future)) F(std::move(get(s)));
    get(s).~F();
    if (!boxed_defer_destroy(b, &heap::destroy_block)) heap::destroy_block(b);
    return true;
  }
  static void* retire(boxed_storage& s) noexcept {
    get(s).~F();
    return s.bytes;
  }
  static void free_cache(boxed_storage&) noexcept {}

  static constexpr boxed_ops<T> table{&poll, &move, &destroy, &defer_destroy, &retire, &free_cache, false};
};

/// True when a boxed_future<T> keeps `F` inline (no allocation): the future and its output
/// each fit the buffer and move without throwing.
template <class X>
constexpr bool boxed_fits_buffer() noexcept {
  if (sizeof(X) > boxed_inline_size) return false;
  if (alignof(X) > boxed_inline_align) return false;
  return std::is_nothrow_move_constructible_v<X>;
}
template <class T, class F>
inline constexpr bool boxed_fits_inline = boxed_fits_buffer<F>() && boxed_fits_buffer<T>();

static_assert(sizeof(std::exception_ptr) <= boxed_inline_size && alignof(std::exception_ptr) <= boxed_inline_align);

}  // namespace detail

/// A type-erased, move-only future of `T`; see the top of this header.
/// @code
///   futura::boxed_future<int> f = futura::ready(0).boxed();
///   for (int i = 0; i < 100000; ++i) f = std::move(f).then([](int x) { return x + 1; }).boxed();
///   int v = futura::block_on(std::move(f));   // 100000, on a shallow stack
///
///   futura::boxed_future<int> pick(bool fast) {     // one return type for different futures
///     if (fast) return futura::ready(1);
///     return futura::lazy([] { return 2; });
///   }
/// @endcode
template <class T>
class [[nodiscard]] boxed_future : public future_ext<boxed_future<T>>, private detail::boxed_base {
  static_assert(!std::is_reference_v<T> && !std::is_void_v<T>,
                "futura::boxed_future<T>: T must be a value type (futura::unit for no value)");

 public:
  using output_type = T;

  /// An empty box (like a moved-from one): assign a future to it before polling.
  boxed_future() noexcept = default;

  /// Boxes `f` (any future whose output is `T`): inline when small, else in one heap block.
  /// Implicit, so a function returning boxed_future<T> can `return` any such future.
  template <class F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, boxed_future> && is_future_v<F>, int> = 0>
  boxed_future(F&& f) {  // NOLINT(google-explicit-constructor): implicit by design
    using D = std::decay_t<F>;
    static_assert(std::is_same_v<output_t<D>, T>,
                  "futura::boxed_future<T>: the future's output_type must be exactly T (adapt it first, e.g. "
                  "std::move(f).then([](auto v) { return T(v); }))");
    if constexpr (detail::check_future_argument<detail::boxed_combinator, F>() && std::is_same_v<output_t<D>, T>) {
      if constexpr (detail::boxed_fits_inline<T, D>) {
        ::new (static_cast<void*>(storage_.bytes)) D(std::forward<F>(f));  // F is not an lvalue reference
        ops_ = &detail::boxed_inline_ops<T, D>::table;
      } else {
        detail::boxed_heap_ops<T, D>::emplace(storage_, std::forward<F>(f));
        ops_ = &detail::boxed_heap_ops<T, D>::table;
      }
      state_ = state::running;
    }
  }

  boxed_future(boxed_future&& other) noexcept { steal(other); }
  boxed_future& operator=(boxed_future&& other) noexcept {
    if (this != &other) {
      boxed_future incoming(std::move(other));  // `other` may live inside what reset() destroys
      reset();
      steal(incoming);
    }
    return *this;
  }
  boxed_future(const boxed_future&) = delete;
  boxed_future& operator=(const boxed_future&) = delete;
  ~boxed_future() { reset(); }

  /// False for an empty box: default-constructed, moved-from, or already completed.
  bool valid() const noexcept { return state_ != state::empty; }

  /// True when the boxed future lives in a heap block (false when inline or empty).
  bool is_heap_allocated() const noexcept { return state_ != state::empty && ops_->heap; }

  poll_result<T> poll(waker& w) {
    switch (state_) {
      case state::running:
        break;
      case state::cached_value:
        return take_cached_value();
      case state::cached_error:
        rethrow_cached_error();
      case state::empty:
        detail::polled_after_completion("futura::boxed_future");
    }
    if (trampoline_slot_ != 0) {
      // Polled again before the trampoline reached it: it will, and wake this waker.
      detail::boxed_update_deferred_waker(trampoline_slot_, w);
      return pending;
    }
    detail::boxed_thread& t = detail::boxed_this_thread();
    if (t.poll_depth == 0) return poll_as_root(t, w);
    if (t.poll_depth >= detail::boxed_poll_depth_limit) {
      trampoline_slot_ = detail::boxed_defer_poll(*this, &drive, w);
      return pending;
    }
    detail::boxed_depth_guard guard(t);
    return poll_inner(w);
  }

 private:
  enum class state : std::uint8_t { empty, running, cached_value, cached_error };

  poll_result<T> poll_inner(waker& w) {
    FUTURA_TRY {
      poll_result<T> r = ops_->poll(storage_, w);
      if (r.is_ready()) reset();
      return r;
    }
    FUTURA_CATCH_ALL {
      reset();
      FUTURA_RETHROW;
    }
  }

  poll_result<T> poll_as_root(detail::boxed_thread& t, waker& w) {
    detail::boxed_root_scope scope(t);
    FUTURA_TRY {
      for (;;) {
        poll_result<T> r = poll_inner(w);
        if (!scope.has_deferred()) return r;
        scope.drain();
        // Descend again only when a drive completed something this poll is waiting for.
        if (r.is_ready() || state_ != state::running || !scope.take_redrive()) return r;
      }
    }
    FUTURA_CATCH_ALL {
      scope.drain();  // no deferred entry may outlive the root's poll
      FUTURA_RETHROW;
    }
  }

  // The trampoline's entry point: polls the inner future of a deferred box and caches what it yields.
  static bool drive(detail::boxed_base& base, waker& w) noexcept {
    boxed_future& self = static_cast<boxed_future&>(base);
    FUTURA_TRY {
      poll_result<T> r = self.ops_->poll(self.storage_, w);
      if (r.is_pending()) return false;
      self.cache_value(std::move(r).value());
    }
    FUTURA_CATCH_ALL {
      self.cache_error(std::current_exception());
    }
    return true;
  }

  void cache_value(T&& v) {
    void* at = ops_->retire(storage_);
    state_ = state::cached_error;  // until the value is in place
    FUTURA_TRY {
      ::new (at) T(std::move(v));
    }
    FUTURA_CATCH_ALL {
      ::new (at) std::exception_ptr(std::current_exception());
      return;
    }
    state_ = state::cached_value;
  }

  void cache_error(std::exception_ptr e) noexcept {
    if (state_ == state::running) {
      ::new (ops_->retire(storage_)) std::exception_ptr(std::move(e));
      state_ = state::cached_error;
    }
  }

  void* cache_address() noexcept { return ops_->heap ? storage_.heap : static_cast<void*>(storage_.bytes); }
  T& cached_value() noexcept { return *std::launder(static_cast<T*>(cache_address())); }
  std::exception_ptr& cached_error() noexcept {
    return *std::launder(static_cast<std::exception_ptr*>(cache_address()));
  }

  poll_result<T> take_cached_value() {
    poll_result<T> r(std::in_place, std::move(cached_value()));
    reset();
    return r;
  }

  [[noreturn]] void rethrow_cached_error() {
    std::exception_ptr e = std::move(cached_error());
    reset();
    detail::rethrow(std::move(e));
  }

  // Releases whatever the box holds; the box is empty afterwards.
  void reset() noexcept {
    if (trampoline_slot_ != 0) {
      detail::boxed_forget_deferred(trampoline_slot_);
      trampoline_slot_ = 0;
    }
    switch (state_) {
      case state::empty:
        return;
      case state::running:
        destroy_running();
        break;
      case state::cached_value:
        cached_value().~T();
        ops_->free_cache(storage_);
        break;
      case state::cached_error:
        cached_error().~exception_ptr();
        ops_->free_cache(storage_);
        break;
    }
    state_ = state::empty;
    ops_ = nullptr;
  }

  void destroy_running() noexcept {
    detail::boxed_destroy_bounded([this] { return ops_->defer_destroy(storage_); },
                                  [this] { ops_->destroy(storage_); });
  }

  void steal(boxed_future& other) noexcept {
    ops_ = other.ops_;
    state_ = other.state_;
    switch (state_) {
      case state::empty:
        return;
      case state::running:
        ops_->move(storage_, other.storage_);
        break;
      case state::cached_value:
        if (ops_->heap) {
          storage_.heap = other.storage_.heap;
        } else {
          ::new (static_cast<void*>(storage_.bytes)) T(std::move(other.cached_value()));
          other.cached_value().~T();
        }
        break;
      case state::cached_error:
        if (ops_->heap) {
          storage_.heap = other.storage_.heap;
        } else {
          ::new (static_cast<void*>(storage_.bytes)) std::exception_ptr(std::move(other.cached_error()));
          other.cached_error().~exception_ptr();
        }
        break;
    }
    if (other.trampoline_slot_ != 0) {
      trampoline_slot_ = std::exchange(other.trampoline_slot_, 0);
      detail::boxed_relocate_deferred(trampoline_slot_, *this);
    }
    other.state_ = state::empty;
    other.ops_ = nullptr;
  }

  // Laid out after the base's 4-byte trampoline slot: 4 + 1 (+3) + 8 + 32 = 48 bytes.
  state state_ = state::empty;
  const detail::boxed_ops<T>* ops_ = nullptr;
  detail::boxed_storage storage_;
};

static_assert(sizeof(void*) != 8 || sizeof(boxed_future<int>) == 48,
              "futura::boxed_future: 48 bytes on 64-bit targets, as its header and the guide say");

}  // namespace futura
