// The task log events (lib/asio/detail/task_log.hpp): the part of an event that runs only when
// the level is enabled.
#include "task_log.hpp"

#include <spdlog/logger.h>

#include <exception>
#include <string>

namespace futura::detail {

static_assert(task_log_debug == spdlog::level::debug, "task_header.hpp's copy of spdlog's debug level");

namespace {

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// Every event checks the level before it formats anything, inline: first futura's floor (one
// relaxed load: a disabled level of the untouched default logger stops here), then the level
// on the logger itself (futura/executor/log.hpp). A disabled level costs no formatting and no call.
inline spdlog::logger* enabled_logger(spdlog::level::level_enum level) noexcept {
  if (!log_floor_admits(level)) return nullptr;
  spdlog::logger* l = log_target();
  return l && l->should_log(level) ? l : nullptr;
}

}  // namespace

// Out of line: the part of an event that runs only when the floor admits its level.
void log_event_checked(spdlog::level::level_enum level, std::uint64_t id, const char* what) noexcept {
  spdlog::logger* l = log_target();
  if (l && l->should_log(level)) l->log(level, "task {} {}", id, what);
}

void log_detached_failure(std::uint64_t id, const std::exception_ptr& e) noexcept {
  if (spdlog::logger* l = enabled_logger(spdlog::level::err)) {
    try {
      l->error("detached task {} failed: {}", id, describe(e));
    } catch (...) {
      // Logging is best effort: nothing to do when even the message cannot be built.
    }
  }
}

}  // namespace futura::detail
