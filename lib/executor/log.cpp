// futura's logger: made on first use, replaceable at any time, readable without a lock.
//
// The hot path (a task event, lib/asio/detail/task_header.cpp) reads detail::log_floor and, if the level may be
// enabled, detail::log_current, both inline (futura/executor/log.hpp): no call into this file once a
// logger exists. This file writes both under its mutex. set_logger() swaps the pointer; the
// logger it replaces is retired, not destroyed, because a reader may hold the raw pointer at
// that moment. The store is never destroyed either: tasks may still log while static objects
// are being torn down.
//
// The floor is a copy of the logger's level only while nobody else can change that level: the
// default logger futura made itself (stderr, not registered with spdlog) that logger() has not
// handed out. Then a disabled event costs one relaxed load and a compare. A logger someone else
// holds (given to set_logger(), found in spdlog's registry, or returned by logger()) gets the
// floor trace: each event then asks the logger itself, so set_level() on it takes effect at once.
#include <futura/core/detail/exceptions.hpp>
#include <futura/executor/log.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace futura {
namespace {

struct logger_store {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> current;
  std::shared_ptr<spdlog::logger> default_logger;
  // Only futura can reach the default logger: futura made it (it is not spdlog's registered
  // "futura") and logger() has never returned it.
  bool default_is_private = false;
  std::vector<std::shared_ptr<spdlog::logger>> retired;
};

logger_store& store() noexcept {
  // Immortal (see the top of this file); made at the first use, where running out of memory
  // leaves the library no logger to report with: terminate, as any noexcept allocation does.
  static logger_store* const s = new logger_store();  // NOLINT(bugprone-unhandled-exception-at-new)
  return *s;
}

// Under the store's mutex.
const std::shared_ptr<spdlog::logger>& default_logger(logger_store& s) {
  if (!s.default_logger) {
    s.default_logger = spdlog::get("futura");
    if (!s.default_logger) {
      s.default_logger = std::make_shared<spdlog::logger>("futura", std::make_shared<spdlog::sinks::stderr_sink_mt>());
      s.default_is_private = true;
    }
  }
  return s.default_logger;
}

// Under the store's mutex. The floor never exceeds the level of a logger someone else can
// change: only the private default logger's level is copied (nothing can change it afterwards).
void update_floor(logger_store& s) noexcept {
  const bool private_logger = s.current && s.current == s.default_logger && s.default_is_private;
  detail::log_floor.store(private_logger ? static_cast<int>(s.current->level()) : 0, std::memory_order_relaxed);
}

// Under the store's mutex.
void install(logger_store& s, std::shared_ptr<spdlog::logger> l) {
  if (l == s.current) return;
  if (s.current && std::find(s.retired.begin(), s.retired.end(), s.current) == s.retired.end()) {
    s.retired.push_back(s.current);
  }
  s.current = std::move(l);
  // An event that races with this call may see either logger and either floor, as it may log
  // to the old logger; an event that happens after this call sees both new values.
  detail::log_current.store(s.current.get(), std::memory_order_release);
  update_floor(s);
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  logger_store& s = store();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.current) install(s, default_logger(s));
  if (s.current == s.default_logger && s.default_is_private) {
    // The caller may change its level from now on: events must ask the logger itself. The
    // floor drops before the pointer leaves this function.
    s.default_is_private = false;
    update_floor(s);
  }
  return s.current;
}

void set_logger(std::shared_ptr<spdlog::logger> l) {
  logger_store& s = store();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (l) {
    install(s, std::move(l));
  } else {
    install(s, default_logger(s));
  }
}

namespace detail {

spdlog::logger* log_target_slow() noexcept {
  FUTURA_TRY {
    logger_store& s = store();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.current) install(s, default_logger(s));  // not logger(): the default stays private
    return s.current.get();
  }
  FUTURA_CATCH_ALL {
    return nullptr;  // no logger could be made: logging is best effort
  }
}

}  // namespace detail
}  // namespace futura
