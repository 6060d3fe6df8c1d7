// Heap allocation counting for suites that run Asio: allocation_counter.hpp plus Asio's own
// allocations. Same rule as allocation_counter.hpp: include it from ONE suite file per program.
//
// Not under sanitizers, which own the allocator: FUTURA_TEST_SANITIZED is 1 there and nothing is
// replaced. Asio's recycling allocator takes its blocks from std::aligned_alloc, everything else
// comes from operator new (counted by allocation_counter.hpp), so aligned_alloc is replaced too.
#pragma once

#include <futura/core/detail/config.hpp>

#if FUTURA_HAS_ASAN || FUTURA_HAS_TSAN
#define FUTURA_TEST_SANITIZED 1
#endif

#ifndef FUTURA_TEST_SANITIZED
#include <support/allocation_counter.hpp>

#include <cstddef>

#include <malloc.h>
extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
  futura_test::record_allocation();
  return memalign(align, size);
}
#endif
