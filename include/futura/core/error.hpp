// futura/core/error.hpp — futura's error codes, registered with Boost.System.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <type_traits>

namespace futura {

/// Errors futura itself reports. `futura::future_error::code()` compares equal to these:
/// @code
///   catch (const futura::future_error& e) {
///     if (e.code() == futura::error::broken_promise) { ... }
///   }
/// @endcode
enum class error {
  broken_promise = 1,         ///< the promise was destroyed without a value
  promise_already_satisfied,  ///< a promise (or callback) was set twice
  polled_after_completion,    ///< contract rule 4: a future was polled again after `ready`
  aborted,                    ///< the task or future was aborted
  timed_out,                  ///< `timeout` fired before the future completed
  future_already_retrieved,   ///< `promise::get_future()` was called twice
  closed,                     ///< the channel or semaphore was closed (or its receiver dropped)
  full,                       ///< `try_send`: the channel has no room, or senders wait for it
  empty,                      ///< `try_recv`: nothing is buffered, but senders remain
};

/// The Boost.System category of `futura::error` (name "futura").
const boost::system::error_category& future_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), future_category()}; }

/// Thrown by futura for the conditions of `futura::error`.
class future_error : public boost::system::system_error {
 public:
  explicit future_error(error e) : system_error(make_error_code(e)) {}
  future_error(error e, const char* what_arg) : system_error(make_error_code(e), what_arg) {}
};

/// What futura calls, in code compiled without exceptions (`-fno-exceptions`), where it would
/// throw. `code` is what the exception would carry: a `futura::error` for `future_error`
/// (`code == futura::error::broken_promise`), `boost::system::errc::invalid_argument` for
/// `std::invalid_argument`, `errc::value_too_large` for `std::length_error`, and
/// `errc::not_supported` for a future completed with an exception (`promise::set_exception`),
/// which cannot be rethrown there. `what` says what happened, in words.
///
/// The handler must not return (log, then abort, exit or longjmp out): the program cannot
/// continue where the error was found, so futura aborts if it returns. Code compiled with
/// exceptions throws as documented and never calls it.
using error_handler = void (*)(boost::system::error_code code, const char* what) noexcept;

/// Installs `h` as the error handler and returns the previous one; nullptr installs the
/// default, which prints "futura: <what>" to stderr and aborts. Safe to call from any thread.
/// @code
///   futura::set_error_handler([](boost::system::error_code ec, const char* what) noexcept {
///     my_log_fatal("futura", ec.value(), what);
///     std::abort();
///   });
/// @endcode
error_handler set_error_handler(error_handler h) noexcept;

/// The error handler now installed (the default one if none was set).
error_handler get_error_handler() noexcept;

}  // namespace futura

namespace boost::system {
template <>
struct is_error_code_enum<futura::error> : std::true_type {};
}  // namespace boost::system
