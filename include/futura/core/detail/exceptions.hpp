// futura/core/detail/exceptions.hpp — the headers' exception sites, with or without exceptions.
//
// With exceptions (FUTURA_HAS_EXCEPTIONS, core/detail/config.hpp) everything here is what it
// names: FUTURA_TRY is `try`, FUTURA_CATCH_ALL is `catch (...)`, FUTURA_RETHROW is `throw`, and
// the functions throw. Under -fno-exceptions nothing can throw, so no catch block can run:
// FUTURA_TRY runs its block, the catch block is still compiled but dead, and what would be
// thrown goes to the error handler (futura::set_error_handler, core/error.hpp), which does not
// return. docs/design.md, section 5.
//
// Macros, not functions taking lambdas: a guarded block keeps its shape (a `return` inside it
// returns from the enclosing function) and, with exceptions, compiles to exactly the code
// written with try/catch.
//
// The functions whose bodies depend on the mode live in an inline namespace named after the
// mode, so translation units compiled in different modes each link with their own.
#pragma once

#include <futura/core/detail/config.hpp>
#include <futura/core/error.hpp>

#include <boost/system/errc.hpp>

#include <cstdlib>
#include <exception>
#include <utility>

#if FUTURA_HAS_EXCEPTIONS
#define FUTURA_TRY try
#define FUTURA_CATCH_ALL catch (...)
#define FUTURA_RETHROW throw
#define FUTURA_EXCEPTION_MODE with_exceptions
#else
#define FUTURA_TRY if (true)
#define FUTURA_CATCH_ALL if (false)
#define FUTURA_RETHROW std::abort()  // never reached: nothing was caught
#define FUTURA_EXCEPTION_MODE without_exceptions
#endif

namespace futura::detail {

/// Calls the error handler with `future_error(e, who)`'s code and message, then aborts if it
/// returned (lib/core/error.cpp). `who` may be null.
[[noreturn]] void report_future_error(error e, const char* who) noexcept;
/// Calls the error handler with `code` and `what`, then aborts if it returned.
[[noreturn]] void report_error(boost::system::error_code code, const char* what) noexcept;

inline namespace FUTURA_EXCEPTION_MODE {

/// Throws `future_error(e)` (`future_error(e, who)` when `who` is given).
[[noreturn]] FUTURA_ALWAYS_INLINE void throw_future_error(error e) {
#if FUTURA_HAS_EXCEPTIONS
  throw future_error(e);
#else
  report_future_error(e, nullptr);
#endif
}
[[noreturn]] FUTURA_ALWAYS_INLINE void throw_future_error(error e, const char* who) {
#if FUTURA_HAS_EXCEPTIONS
  throw future_error(e, who);
#else
  report_future_error(e, who);
#endif
}

/// Throws `E(what)`, a standard exception; without exceptions, reports `code` and `what`.
template <class E>
[[noreturn]] FUTURA_ALWAYS_INLINE void throw_standard(boost::system::errc::errc_t code, const char* what) {
#if FUTURA_HAS_EXCEPTIONS
  (void)code;
  throw E(what);
#else
  report_error(boost::system::errc::make_error_code(code), what);
#endif
}

/// Rethrows a stored exception. Without exceptions none is ever caught; one set with
/// promise::set_exception (from code compiled with exceptions) is reported as not supported.
[[noreturn]] FUTURA_ALWAYS_INLINE void rethrow(std::exception_ptr e) {
#if FUTURA_HAS_EXCEPTIONS
  std::rethrow_exception(std::move(e));
#else
  (void)e;
  report_error(boost::system::errc::make_error_code(boost::system::errc::not_supported),
               "a future completed with an exception, which cannot be rethrown without exceptions");
#endif
}

}  // namespace FUTURA_EXCEPTION_MODE
}  // namespace futura::detail
