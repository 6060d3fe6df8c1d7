// futura/core/detail/config.hpp — compiler-specific switches used by futura's headers.
#pragma once

// FUTURA_ALWAYS_INLINE: forces inlining of a small function (it includes `inline`).
//
// Why: a chain of thin combinators (`ready(x).then(f).then(g)...`) is one object whose poll
// calls the poll of the link inside it, sixteen levels deep for sixteen links. Each poll is a
// few instructions once the caller's knowledge is available (every link was just built in its
// first state, so all the variant checks fold away), but in a translation unit of realistic
// size neither GCC 12 nor Clang 14 inlines the nested polls on their own: their inlining budget
// runs out, the chain's poll stays a function of its own that re-checks every link's state,
// and the chain costs an order of magnitude more than the same arithmetic written inline
// (docs/performance.md, W1). Forced, the chain folds to the arithmetic.
//
// Only for functions that are small once inlined and cannot recurse: the thin combinators
// (then, the adapters built on it, fuse, lazy, poll_fn, ready) and their constructors. Not for
// join/join_all/select/boxed/shared/task code, whose polls are large: forcing those would bloat
// every caller. A forced function that cannot be inlined is a compile error on GCC, not a
// silent fallback.
#if defined(__GNUC__) || defined(__clang__)
#define FUTURA_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define FUTURA_ALWAYS_INLINE inline
#endif

// FUTURA_HAS_ASAN / FUTURA_HAS_TSAN: 1 when the translation unit is built with AddressSanitizer /
// ThreadSanitizer (GCC spells it __SANITIZE_*__, Clang __has_feature), else 0. The one place that
// detects them: the library lets ASan see every block (no recycling), and tests scale their loops.
#if defined(__SANITIZE_ADDRESS__)
#define FUTURA_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUTURA_HAS_ASAN 1
#endif
#endif
#ifndef FUTURA_HAS_ASAN
#define FUTURA_HAS_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define FUTURA_HAS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FUTURA_HAS_TSAN 1
#endif
#endif
#ifndef FUTURA_HAS_TSAN
#define FUTURA_HAS_TSAN 0
#endif

// FUTURA_HAS_EXCEPTIONS: 1 when the translation unit is compiled with exceptions, 0 under
// -fno-exceptions. The one place that detects it; core/detail/exceptions.hpp builds on it what
// the headers use (docs/design.md, section 5).
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define FUTURA_HAS_EXCEPTIONS 1
#else
#define FUTURA_HAS_EXCEPTIONS 0
#endif
