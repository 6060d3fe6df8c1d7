// futura/combinator/detail/select_rotation.hpp — which child a fair select polls first.
//
// Every fair poll (select, select_all, select_ok) draws its first child from one per-thread
// counter, so the start moves across polls of one select and across select objects: a child
// cannot starve even when every select is new (a per-object counter would start every new
// select at child 0).
//
// The counter is scrambled (splitmix64's finaliser) before it is reduced to [0, n). A bare
// `counter++ % n` locks in step with the caller's loop: a loop that polls two 2-way selects per
// iteration would give the first one every even count, so its child 0 would always be polled
// first and an always-ready child 1 would never win. The scrambled sequence has no such period.
// Cost: a thread-local increment, three multiply/xor-shift steps and a multiply; no allocation,
// no atomics (the counter belongs to the polling thread).
#pragma once

#include <cstddef>
#include <cstdint>

namespace futura::detail {

/// Advanced by every fair select poll on this thread.
inline thread_local std::uint64_t select_rotation_counter = 0;

/// The index of the child a fair select of `n` children (n > 0) polls first on this poll.
inline std::size_t select_first_child(std::size_t n) noexcept {
  std::uint64_t z = (select_rotation_counter += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  if (n <= 0xffffffffULL) {
    // Lemire's multiply-shift reduction: uniform enough, and no division.
    return static_cast<std::size_t>(((z >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }
  return static_cast<std::size_t>(z % n);
}

}  // namespace futura::detail
