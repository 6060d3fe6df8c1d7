// futura/core/detail/chaos.hpp — perturbation points in the lock-free protocols, for test builds.
//
// Every step of a protocol where another thread may act in between (a load before its CAS,
// the window between a CAS and the wake it enables, a hand-off between two threads) carries a
// FUTURA_CHAOS_POINT("protocol.step"). In normal builds the macro is nothing at all: no code,
// no data, no call. A build configured with FUTURA_CHAOS=ON (the TSan suite runs that way)
// compiles each point to a call into lib/core/detail/chaos.cpp, which:
//   - first calls the hook a test installed, if any: a test makes a chosen thread stop at a
//     chosen point until another thread got somewhere, so a race becomes a fixed schedule;
//   - then, unless perturbation is off, yields, spins or sleeps at random (a per-thread
//     generator), which widens every race window by orders of magnitude.
// Perturbation is on by default in chaos builds; the environment variable FUTURA_CHAOS=0 turns
// it off, FUTURA_CHAOS=<n> sets its density (1 = rare .. 8 = dense; default 3). Points are named
// "<protocol>.<step>", with string literals: a hook may compare them by content.
#pragma once

#if defined(FUTURA_CHAOS) && FUTURA_CHAOS

namespace futura::detail::chaos {

/// A test's hook: called at every point reached on any thread, before the perturbation.
using hook_fn = void (*)(const char* point) noexcept;

/// Called by FUTURA_CHAOS_POINT: the hook, then a random yield, spin or sleep.
void point(const char* name) noexcept;
/// Installs `hook` (nullptr: none); returns the previous one. Any thread; takes effect at once.
hook_fn set_hook(hook_fn hook) noexcept;
/// Random perturbation on or off (the hook is called either way); returns the previous setting.
bool set_perturbation(bool on) noexcept;
/// Number of points reached since the program started (all threads): tests check it grows.
unsigned long long points_reached() noexcept;

}  // namespace futura::detail::chaos

#define FUTURA_CHAOS_ENABLED 1
#define FUTURA_CHAOS_POINT(name) ::futura::detail::chaos::point(name)

#else

#define FUTURA_CHAOS_ENABLED 0
#define FUTURA_CHAOS_POINT(name) static_cast<void>(0)

#endif
