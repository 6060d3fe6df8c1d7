// futura/asio/detail/recycling_pool.hpp — a per-thread cache of freed blocks for the Asio layer's
// short-lived allocations: the shared state of each `as_future` operation, each sleep's entry,
// and (as the completion handlers' associated allocator) the operation Asio allocates for them.
//
//   free:     block -> this thread's list for its size class (while the thread caches less
//                      than `max_cached_bytes`)
//                   -> operator delete otherwise
//   allocate: this thread's list for the size class (if not empty) -> operator new otherwise
//
// Why not Asio's own recycling allocator: it caches two blocks per thread (and only on threads
// inside io_context::run), and a futures program frees many operations (every completion in one
// reactor turn) before the woken tasks start the next ones, so those two slots overflow and most
// operations reach malloc. This cache keeps up to `max_cached_bytes` per thread, in lists by
// size class: enough for every operation of a few hundred tasks completing in one turn
// (docs/performance.md, W6), and a bound on what an idle thread keeps.
//
// Threads: a block may be freed on another thread than the one that allocated it (a handler runs
// on the IO thread, the future is dropped on another): it joins the freeing thread's cache. The
// memory comes from operator new, which does not care which thread frees it. Each thread's cache
// is emptied when the thread exits; a block freed after that (by a later thread_local
// destructor) goes straight to operator delete.
// Blocks are sized by class (multiples of `granule` bytes, at most `largest`) and aligned for any
// fundamental type; larger or over-aligned requests bypass the cache. Under AddressSanitizer the
// cached blocks are poisoned, so a use after free is still caught.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include <futura/core/detail/config.hpp>

#if FUTURA_HAS_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace futura::detail::recycling {

/// Under AddressSanitizer a cached block is poisoned, so a use after its free is still reported.
inline void poison(void* p, std::size_t size) noexcept {
#if FUTURA_HAS_ASAN
  ASAN_POISON_MEMORY_REGION(p, size);
#else
  (void)p;
  (void)size;
#endif
}
inline void unpoison(void* p, std::size_t size) noexcept {
#if FUTURA_HAS_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, size);
#else
  (void)p;
  (void)size;
#endif
}

inline constexpr std::size_t granule = 32;
inline constexpr std::size_t classes = 16;  // blocks of 32, 64, ..., 512 bytes
inline constexpr std::size_t largest = granule * classes;
inline constexpr std::size_t max_cached_bytes = std::size_t{128} * 1024;  // per thread
static_assert(granule * classes == 512, "recycling pool: the classes cover blocks up to 512 bytes");

struct free_block {
  free_block* next;
};

/// This thread's cache. Trivially destructible and constant-initialised, so using it costs no
/// initialisation check; `drainer` (below) empties it at thread exit.
struct thread_cache {
  enum : std::uint8_t { unregistered, live, exited };
  free_block* heads[classes];
  std::size_t cached_bytes;
  std::uint8_t status;
};
inline thread_local thread_cache cache{};

/// Empties this thread's cache when the thread exits; touched once per thread, on the first free.
struct drainer {
  drainer() noexcept {}  // user-provided: the thread_local below is then initialised on first use
  drainer(const drainer&) = delete;
  drainer& operator=(const drainer&) = delete;
  ~drainer() {
    thread_cache& c = cache;
    c.status = thread_cache::exited;
    for (std::size_t i = 0; i < classes; ++i) {
      while (free_block* b = c.heads[i]) {
        unpoison(b, (i + 1) * granule);
        c.heads[i] = b->next;
        ::operator delete(static_cast<void*>(b));
      }
    }
    c.cached_bytes = 0;
  }
};
inline thread_local drainer thread_exit_drainer;

/// True when a block of `size` bytes aligned to `align` is served by the cache.
constexpr bool cacheable(std::size_t size, std::size_t align) noexcept {
  return size <= largest && align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}
constexpr std::size_t class_of(std::size_t size) noexcept { return size == 0 ? 0 : (size - 1) / granule; }

inline void* allocate(std::size_t size, std::size_t align) {
  if (!cacheable(size, align)) return ::operator new(size, std::align_val_t(align));
  const std::size_t c = class_of(size);
  thread_cache& tc = cache;
  if (free_block* b = tc.heads[c]) {
    unpoison(b, (c + 1) * granule);
    tc.heads[c] = b->next;
    tc.cached_bytes -= (c + 1) * granule;
    return b;
  }
  return ::operator new((c + 1) * granule);
}

inline void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
  if (!cacheable(size, align)) {
    ::operator delete(p, std::align_val_t(align));
    return;
  }
  const std::size_t c = class_of(size);
  thread_cache& tc = cache;
  if (tc.status != thread_cache::live) {
    if (tc.status == thread_cache::exited) {
      ::operator delete(p);
      return;
    }
    (void)&thread_exit_drainer;  // the first use registers its destructor for this thread
    tc.status = thread_cache::live;
  }
  const std::size_t block_size = (c + 1) * granule;
  if (tc.cached_bytes + block_size > max_cached_bytes) {
    ::operator delete(p);
    return;
  }
  tc.heads[c] = ::new (p) free_block{tc.heads[c]};
  tc.cached_bytes += block_size;
  poison(p, block_size);
}

}  // namespace futura::detail::recycling

namespace futura::detail {

/// The completion handlers' associated allocator: Asio allocates the operation (and the
/// intermediate operations of a composed one) through it, so they are recycled by the thread
/// cache above. Stateless: every instance is interchangeable.
template <class T>
class thread_cache_allocator {
 public:
  using value_type = T;

  thread_cache_allocator() noexcept = default;
  template <class U>
  thread_cache_allocator(const thread_cache_allocator<U>&) noexcept {}

  template <class U>
  struct rebind {
    using other = thread_cache_allocator<U>;
  };

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(recycling::allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { recycling::deallocate(p, n * sizeof(T), alignof(T)); }

  friend bool operator==(const thread_cache_allocator&, const thread_cache_allocator&) noexcept { return true; }
  friend bool operator!=(const thread_cache_allocator&, const thread_cache_allocator&) noexcept { return false; }
};

}  // namespace futura::detail
