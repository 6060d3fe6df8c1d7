// futura/executor/log.hpp — futura's diagnostics: one spdlog logger, replaceable.
//
// The library logs through a spdlog logger named "futura": spawn, completion and abort of tasks
// at debug level, each poll of a task at trace level, and the exception of a detached task at
// error level (with the task's id). Every event first checks the level, inline and without a
// lock, so a disabled level costs no formatting and no call. spdlog's own default level is info:
// out of the box only errors (and warnings) appear.
//
// This header does not include spdlog: include <spdlog/spdlog.h> (and link spdlog::spdlog)
// where you configure the logger.
#pragma once

#include <atomic>
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

// The hot path of a log event, for the library's own use (lib/asio/detail/task_header.cpp):
//   if (log_floor_admits(level)) if (auto* l = log_target(); l && l->should_log(level)) ...
// Both variables are written only by lib/executor/log.cpp, under its mutex.

/// The level (a spdlog::level::level_enum: trace 0 ... off 6) below which futura logs nothing.
/// It holds the current logger's own level only while no one but futura can reach that logger:
/// the default logger futura made itself (not the one found in spdlog's registry) before
/// logger() has handed it out. Otherwise it is trace, which means "ask the logger", because
/// whoever holds the logger may call set_level() on it at any moment. So it is never above the
/// level of a logger someone can change, and never suppresses a message the logger would take.
/// Zero (trace) until the first event makes the default logger.
inline std::atomic<int> log_floor{0};

/// The current logger (null until set_logger() or the first logger() or event). A logger
/// published here stays alive until the program ends (see set_logger()).
inline std::atomic<spdlog::logger*> log_current{nullptr};

/// Whether an event at `level` may be logged at all: false means the logger would drop it
/// (one relaxed load and a compare); true means ask the logger (`should_log`).
inline bool log_floor_admits(int level) noexcept { return level >= log_floor.load(std::memory_order_relaxed); }

/// Makes the default logger if there is no current logger yet; returns the current logger, or
/// null if the default logger could not be made. Out of line, called once per program.
spdlog::logger* log_target_slow() noexcept;

/// The current logger, without reference counting (the hot path's door). Never null unless
/// the default logger could not be made.
inline spdlog::logger* log_target() noexcept {
  if (spdlog::logger* l = log_current.load(std::memory_order_acquire)) return l;
  return log_target_slow();
}

}  // namespace detail

}  // namespace futura
