// bench/support/alloc_counter.cpp — the benchmark binaries' global operator new and delete.
//
// Every form of operator new (plain, array, nothrow, aligned) is replaced by one that
// allocates with malloc (aligned_alloc for over-aligned types) and, while
// `counting_allocations` is on, counts the allocation and its size. Counting is a relaxed
// load of one flag when off, so the timed loops of the benchmarks do not pay for it, and two
// relaxed atomic increments when on: peers such as Boost.Thread allocate on threads of their
// own. Deallocations are not counted: the benchmarks report allocations made per run.
//
// Sanitizer builds replace nothing: their runtimes own operator new and aligned_alloc (TSan's
// definitions even collide with ours at link time), so allocations are not counted there and
// the reports say so (`allocation_counting_available()`); their numbers are not meant to be
// quoted anyway.
//
// C's aligned_alloc is counted too: Boost.Asio's recycling allocator (behind spawn's task
// blocks and every asio::post) gets its memory from std::aligned_alloc, not operator new.
// glibc makes aligned_alloc a weak symbol so a program may interpose it; the replacement hands
// the call to __libc_memalign, glibc's exported implementation. (Elsewhere than glibc only
// operator new is counted.)
//
// This file is linked as an object (not from an archive), so the replacement is always the
// one the program uses, also for allocations made inside libstdc++ and Boost.Thread.
#include <support/bench.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include <futura/core/detail/config.hpp>

#if FUTURA_HAS_ASAN || FUTURA_HAS_TSAN
#define FUTURA_BENCH_SANITIZED 1
#endif

#if !defined(FUTURA_BENCH_SANITIZED) && defined(__GLIBC__)
#include <malloc.h>  // mallopt
#define FUTURA_BENCH_COUNT_ALIGNED_ALLOC 1
// glibc's own aligned allocation (what its aligned_alloc is an alias of).
extern "C" void* __libc_memalign(std::size_t alignment,
                                 std::size_t size) noexcept;  // NOLINT(bugprone-reserved-identifier)
#endif

namespace futura_bench::detail {

std::atomic<bool> counting_allocations{false};
std::atomic<std::uint64_t> allocation_count{0};
std::atomic<std::uint64_t> allocated_bytes{0};

}  // namespace futura_bench::detail

namespace futura_bench {
bool allocation_counting_available() noexcept {
#ifdef FUTURA_BENCH_SANITIZED
  return false;
#else
  return true;
#endif
}

bool hold_heap_at_peak() noexcept {
#ifdef FUTURA_BENCH_COUNT_ALIGNED_ALLOC  // glibc, no sanitizer
  // Setting either threshold also stops glibc from moving them as the program frees.
  constexpr int mmap_threshold = 32 << 20;  // glibc's upper limit for M_MMAP_THRESHOLD
  constexpr int trim_threshold = 1 << 30;
  return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
#else
  return false;
#endif
}
}  // namespace futura_bench

#ifndef FUTURA_BENCH_SANITIZED

namespace futura_bench::detail {
namespace {

void note_allocation(std::size_t size) noexcept {
  if (counting_allocations.load(std::memory_order_relaxed)) {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  }
}

void* allocate_or_null(std::size_t size) noexcept {
  note_allocation(size);
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned_or_null(std::size_t size, std::align_val_t alignment) noexcept {
  note_allocation(size);
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = size == 0 ? align : (size + align - 1) / align * align;
#ifdef FUTURA_BENCH_COUNT_ALIGNED_ALLOC
  return __libc_memalign(align, rounded);
#else
  return std::aligned_alloc(align, rounded);
#endif
}

void* allocate(std::size_t size) {
  for (;;) {
    if (void* p = allocate_or_null(size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  for (;;) {
    if (void* p = allocate_aligned_or_null(size, alignment)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

}  // namespace
}  // namespace futura_bench::detail

#ifdef FUTURA_BENCH_COUNT_ALIGNED_ALLOC
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  futura_bench::detail::note_allocation(size);
  return __libc_memalign(alignment, size);
}
#endif

using futura_bench::detail::allocate;
using futura_bench::detail::allocate_aligned;
using futura_bench::detail::allocate_aligned_or_null;
using futura_bench::detail::allocate_or_null;

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate_or_null(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate_or_null(size); }
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned_or_null(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return allocate_aligned_or_null(size, alignment);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#endif  // FUTURA_BENCH_SANITIZED
