// The events a task logs (spawned, completed, aborted, a detached task's failure), for the task
// runners of task_header.cpp. Each event checks futura's level floor inline, before any call:
// a disabled level costs one relaxed load and a compare (futura/executor/log.hpp).
#pragma once

#include <futura/asio/detail/task_header.hpp>
#include <futura/executor/log.hpp>

#include <spdlog/common.h>

#include <cstdint>
#include <exception>

namespace futura::detail {

/// Logs "task <id> <what>" when the logger admits `level`; called only once the floor has.
void log_event_checked(spdlog::level::level_enum level, std::uint64_t id, const char* what) noexcept;

/// Logs a detached task's exception at error level (best effort: never throws).
void log_detached_failure(std::uint64_t id, const std::exception_ptr& e) noexcept;

inline void log_event(spdlog::level::level_enum level, std::uint64_t id, const char* what) noexcept {
  if (log_floor_admits(level)) log_event_checked(level, id, what);
}

inline void log_completion(std::uint64_t id, task_output_status status) noexcept {
  if (status == task_output_status::aborted) {
    log_event(spdlog::level::debug, id, "aborted");
  } else if (status == task_output_status::exception) {
    log_event(spdlog::level::debug, id, "completed with an exception");
  } else {
    log_event(spdlog::level::debug, id, "completed");
  }
}

}  // namespace futura::detail
