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

}  // namespace futura

namespace boost::system {
template <>
struct is_error_code_enum<futura::error> : std::true_type {};
}  // namespace boost::system
