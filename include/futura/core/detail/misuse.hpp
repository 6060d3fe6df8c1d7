// futura/core/detail/misuse.hpp — how contract violations are reported (rule 4).
#pragma once

#include <futura/core/detail/exceptions.hpp>
#include <futura/core/error.hpp>

// Debug builds stop at the violation with a message naming the future type; release builds
// throw future_error(polled_after_completion) (without exceptions: call the error handler).
// Define FUTURA_ASSERT_ON_MISUSE to 0 or 1 to choose.
#ifndef FUTURA_ASSERT_ON_MISUSE
#ifdef NDEBUG
#define FUTURA_ASSERT_ON_MISUSE 0
#else
#define FUTURA_ASSERT_ON_MISUSE 1
#endif
#endif

namespace futura::detail {

/// Prints "futura: <who> polled after completion" and aborts.
[[noreturn]] void misuse_abort(const char* who) noexcept;

inline namespace FUTURA_EXCEPTION_MODE {

/// Reports a poll after `ready` by the future named `who` (rule 4).
[[noreturn]] inline void polled_after_completion(const char* who) {
#if FUTURA_ASSERT_ON_MISUSE
  misuse_abort(who);
#else
  throw_future_error(error::polled_after_completion, who);
#endif
}

}  // namespace FUTURA_EXCEPTION_MODE

}  // namespace futura::detail
