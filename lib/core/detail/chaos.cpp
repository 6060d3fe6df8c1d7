// The chaos points of FUTURA_CHAOS builds (futura/core/detail/chaos.hpp): a test hook, then a random
// perturbation of the calling thread's timing. Empty in normal builds.
#include <futura/core/detail/chaos.hpp>

#if FUTURA_CHAOS_ENABLED

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <thread>

namespace futura::detail::chaos {
namespace {

std::atomic<hook_fn> installed_hook{nullptr};
std::atomic<unsigned long long> reached{0};

// Density from the environment, read once: 0 = off, 1 (rare) .. 8 (dense).
int density_from_environment() noexcept {
  const char* v = std::getenv("FUTURA_CHAOS");
  if (v == nullptr || *v == '\0') return 3;
  const long n = std::strtol(v, nullptr, 10);
  return n < 0 ? 0 : (n > 8 ? 8 : static_cast<int>(n));
}

const int configured_density = density_from_environment();
std::atomic<int> density{configured_density};

// A per-thread xorshift generator, seeded from the thread's identity so threads differ.
std::uint64_t next_random() noexcept {
  thread_local std::uint64_t x =
      0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

}  // namespace

void point(const char* name) noexcept {
  reached.fetch_add(1, std::memory_order_relaxed);
  if (hook_fn h = installed_hook.load(std::memory_order_acquire)) h(name);
  const int d = density.load(std::memory_order_relaxed);
  if (d == 0) return;
  const std::uint64_t r = next_random();
  // Out of 1024 draws at density d: about 8d yields, 2d spins, d/4 sleeps; the rest run on.
  const std::uint64_t pick = r & 1023;
  if (pick < 8u * static_cast<unsigned>(d)) {
    std::this_thread::yield();
  } else if (pick < 10u * static_cast<unsigned>(d)) {
    const std::uint64_t spins = (r >> 10) & 4095;
    for (std::uint64_t i = 0; i < spins; ++i) {
      std::atomic_signal_fence(std::memory_order_seq_cst);  // keeps the loop
    }
  } else if (pick < 10u * static_cast<unsigned>(d) + (static_cast<unsigned>(d) + 3) / 4) {
    std::this_thread::sleep_for(std::chrono::microseconds(10 + ((r >> 22) & 127)));
  }
}

hook_fn set_hook(hook_fn hook) noexcept { return installed_hook.exchange(hook, std::memory_order_acq_rel); }

bool set_perturbation(bool on) noexcept {
  return density.exchange(on ? (configured_density == 0 ? 3 : configured_density) : 0, std::memory_order_acq_rel) != 0;
}

unsigned long long points_reached() noexcept { return reached.load(std::memory_order_relaxed); }

}  // namespace futura::detail::chaos

#endif
