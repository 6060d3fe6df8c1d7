// futura/asio/detail/cached_service.hpp — Asio's use_service with this thread's last lookup
// cached: Asio's own lookup takes the service registry's mutex, and the task and sleep services
// are looked up on hot paths (a task's first pending poll, a sleep's first poll).
#pragma once

#include <boost/asio/execution_context.hpp>

#include <atomic>
#include <cstdint>

namespace futura::detail {

/// The `Service` of `ctx` (made on first use). The cached answer holds while `epoch` has not
/// moved: `Service` bumps it when destroyed, so a new context at a freed context's address never
/// finds the old service.
template <class Service>
Service& cached_use_service(boost::asio::execution_context& ctx, const std::atomic<std::uint64_t>& epoch) {
  thread_local boost::asio::execution_context* cached_context = nullptr;
  thread_local Service* cached_service = nullptr;
  thread_local std::uint64_t cached_epoch = 0;
  const std::uint64_t now = epoch.load(std::memory_order_acquire);
  if (cached_context == &ctx && cached_epoch == now) return *cached_service;
  Service& s = boost::asio::use_service<Service>(ctx);
  cached_context = &ctx;
  cached_service = &s;
  cached_epoch = now;
  return s;
}

}  // namespace futura::detail
