// futura's logger: made on first use, replaceable at any time, readable without a lock.
//
// The hot path (a task event) reads a raw pointer with one atomic load and asks the logger its
// level. set_logger() swaps that pointer under a mutex; the logger it replaces is retired, not
// destroyed, because a reader may hold the raw pointer at that moment. The store is never
// destroyed either: tasks may still log while static objects are being torn down.
#include <futura/log.hpp>

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
  std::vector<std::shared_ptr<spdlog::logger>> retired;
  std::atomic<spdlog::logger*> fast{nullptr};
};

logger_store& store() noexcept {
  static logger_store* const s = new logger_store();  // immortal: see the top of this file
  return *s;
}

// Under the store's mutex.
const std::shared_ptr<spdlog::logger>& default_logger(logger_store& s) {
  if (!s.default_logger) {
    s.default_logger = spdlog::get("futura");
    if (!s.default_logger) {
      s.default_logger =
          std::make_shared<spdlog::logger>("futura", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
  }
  return s.default_logger;
}

// Under the store's mutex.
void install(logger_store& s, std::shared_ptr<spdlog::logger> l) {
  if (l == s.current) return;
  if (s.current && std::find(s.retired.begin(), s.retired.end(), s.current) == s.retired.end()) {
    s.retired.push_back(s.current);
  }
  s.current = std::move(l);
  s.fast.store(s.current.get(), std::memory_order_release);
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  logger_store& s = store();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.current) install(s, default_logger(s));
  return s.current;
}

void set_logger(std::shared_ptr<spdlog::logger> l) {
  logger_store& s = store();
  std::lock_guard<std::mutex> lock(s.mutex);
  install(s, l ? std::move(l) : default_logger(s));
}

namespace detail {

spdlog::logger* log_target() noexcept {
  if (spdlog::logger* l = store().fast.load(std::memory_order_acquire)) return l;
  try {
    return logger().get();
  } catch (...) {
    return nullptr;  // no logger could be made: logging is best effort
  }
}

}  // namespace detail
}  // namespace futura
