// Heap allocation counting for the suites that prove allocation contracts.
//
// Include this header from ONE suite file only, at most once per program: it replaces the global
// operator new/delete, which must be defined exactly once in a program. Every test/*_test.cpp is
// its own executable (see test/CMakeLists.txt), so each suite that includes it defines the
// replacement once in its own program; never include it from support/test_main.cpp or from a
// header shared by several translation units of one executable.
//
// How allocations are seen:
// - In every build but ThreadSanitizer's, by replacing every global operator new (plain, array,
//   nothrow, over-aligned): one count per operator new call. malloc calls are not counted.
// - Under ThreadSanitizer, whose runtime defines operator new itself (it cannot be replaced
//   there), through the sanitizer allocator's malloc hook: it sees every operator new, but also
//   every malloc/aligned_alloc/... call. FUTURA_TEST_ALLOCATIONS_BY_HOOK is 1 then, 0 otherwise;
//   a test that needs exact operator new counts (rather than "at most"/"none") checks it.
//
// Counting itself works in every build: see allocation_count.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include <futura/core/detail/config.hpp>

#define FUTURA_TEST_ALLOCATIONS_BY_HOOK FUTURA_HAS_TSAN

namespace futura_test {
namespace allocation_detail {
/// Allocations by any thread while at least one allocation_count is alive.
inline std::atomic<long> while_counting{0};
/// How many allocation_count objects are alive.
inline std::atomic<int> counters_alive{0};
/// Every allocation by the current thread (no dynamic initialisation: safe in the allocator).
inline thread_local long this_thread = 0;

inline void record() noexcept {
  ++this_thread;
  if (counters_alive.load(std::memory_order_relaxed) > 0) while_counting.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace allocation_detail

/// Counts one allocation, for a suite that also replaces another allocation function (spawn_test:
/// aligned_alloc, which Asio's recycling allocator uses).
inline void record_allocation() noexcept { allocation_detail::record(); }

/// Counts heap allocations from its construction on: `count()` those of every thread while it
/// is alive, `count.this_thread()` those of the thread that made it. Keep Boost.Test macros
/// outside the lifetime of a counter read with `count()`: Boost.Test may allocate.
class allocation_count {
 public:
  allocation_count() {
    allocation_detail::counters_alive.fetch_add(1);
    start_ = allocation_detail::while_counting.load();
    start_here_ = allocation_detail::this_thread;
  }
  ~allocation_count() { allocation_detail::counters_alive.fetch_sub(1); }
  allocation_count(const allocation_count&) = delete;
  allocation_count& operator=(const allocation_count&) = delete;

  /// Allocations by any thread since construction.
  long operator()() const { return allocation_detail::while_counting.load() - start_; }
  /// Allocations by the constructing thread since construction (read it on that thread).
  long this_thread() const { return allocation_detail::this_thread - start_here_; }

 private:
  long start_ = 0;
  long start_here_ = 0;
};

/// The allocations the current thread makes while running `fn()`.
template <class Fn>
long allocations_during(Fn&& fn) {
  allocation_count count;
  static_cast<Fn&&>(fn)();
  return count.this_thread();
}
}  // namespace futura_test

#if FUTURA_TEST_ALLOCATIONS_BY_HOOK
#include <sanitizer/allocator_interface.h>
namespace futura_test::allocation_detail {
inline void count_hooked_allocation(const volatile void*, std::size_t) { record(); }
inline void ignore_free(const volatile void*) {}
}  // namespace futura_test::allocation_detail
namespace {
// Not inline: an unused inline variable is never emitted, and the hook would not be installed.
[[maybe_unused]] const int futura_test_allocation_hooks = __sanitizer_install_malloc_and_free_hooks(
    &futura_test::allocation_detail::count_hooked_allocation, &futura_test::allocation_detail::ignore_free);
}  // namespace
#else
namespace futura_test::allocation_detail {
inline void* counted_alloc(std::size_t n, std::size_t alignment) noexcept {
  record();
  if (n == 0) n = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(n);
  void* p = nullptr;
  return posix_memalign(&p, alignment, n) == 0 ? p : nullptr;
}
inline void* counted_alloc_or_throw(std::size_t n, std::size_t alignment) {
  if (void* p = counted_alloc(n, alignment)) return p;
#if FUTURA_HAS_EXCEPTIONS
  throw std::bad_alloc();
#else
  std::abort();  // what operator new does without exceptions
#endif
}
constexpr std::size_t plain = alignof(std::max_align_t);
}  // namespace futura_test::allocation_detail

// noinline: GCC would otherwise fold a new/delete pair and skip the count.
[[gnu::noinline]] void* operator new(std::size_t n) {
  return futura_test::allocation_detail::counted_alloc_or_throw(n, futura_test::allocation_detail::plain);
}
[[gnu::noinline]] void* operator new[](std::size_t n) {
  return futura_test::allocation_detail::counted_alloc_or_throw(n, futura_test::allocation_detail::plain);
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return futura_test::allocation_detail::counted_alloc(n, futura_test::allocation_detail::plain);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return futura_test::allocation_detail::counted_alloc(n, futura_test::allocation_detail::plain);
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) {
  return futura_test::allocation_detail::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a) {
  return futura_test::allocation_detail::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return futura_test::allocation_detail::counted_alloc(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return futura_test::allocation_detail::counted_alloc(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#endif
