// futura/log.hpp — futura's diagnostics: one spdlog logger, replaceable.
//
// The library logs through a spdlog logger named "futura": spawn, completion and abort of tasks
// at debug level, each poll of a task at trace level, and the exception of a detached task at
// error level (with the task's id). Every event first checks the level on the logger (one
// atomic load), so a disabled level costs no formatting. spdlog's own default level is info:
// out of the box only errors (and warnings) appear.
//
// This header does not include spdlog: include <spdlog/spdlog.h> (and link spdlog::spdlog)
// where you configure the logger.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace futura {

/// The logger futura writes to. Made at first use: the logger registered with spdlog under the
/// name "futura" if there is one (`spdlog::get("futura")`), otherwise a new logger named
/// "futura" writing to stderr (not registered, so your own `spdlog::stderr_color_mt("futura")`
/// never collides with it). Thread-safe.
/// @code
///   futura::logger()->set_level(spdlog::level::debug);   // see every spawn and completion
/// @endcode
std::shared_ptr<spdlog::logger> logger();

/// Makes futura write to `l` from now on; `nullptr` restores the default logger. Thread-safe.
/// A replaced logger is kept alive until the program ends, because a thread that was checking
/// its level at that moment may still log one message to it.
/// @code
///   auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
///   futura::set_logger(std::make_shared<spdlog::logger>("futura", sink));
/// @endcode
void set_logger(std::shared_ptr<spdlog::logger> l);

namespace detail {
/// The current logger, without reference counting (the hot path's door). Never null unless
/// the default logger could not be made.
spdlog::logger* log_target() noexcept;
}  // namespace detail

}  // namespace futura
