// bench/support/bench.cpp — registration, checks and allocation reports (see bench.hpp).
#include <support/bench.hpp>

#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

namespace futura_bench {
namespace {

std::vector<register_fn>& registrars() {
  static std::vector<register_fn> fns;
  return fns;
}

std::atomic<int> failures{0};

}  // namespace

bool add_registrar(register_fn fn) {
  registrars().push_back(fn);
  return true;
}

void register_all(const config& cfg) {
  for (register_fn fn : registrars()) fn(cfg);
}

alloc_stats allocations_per_run(const std::string& key, const std::function<void()>& run, int runs) {
  static std::mutex mutex;
  static std::map<std::string, alloc_stats> counted;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = counted.find(key);
  if (it == counted.end()) it = counted.emplace(key, count_allocations(run, runs)).first;
  return it->second;
}

void report_allocations(benchmark::State& state, const alloc_stats& stats, double items) {
  state.counters["allocs"] = stats.allocations;
  state.counters["bytes"] = stats.bytes;
  if (items != 1) {
    state.counters["items"] = items;
    state.counters["bytes_per_item"] = stats.bytes / items;
  }
}

void check(benchmark::State& state, bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "futura bench: check failed: %s\n", what);
  failures.fetch_add(1);
  if (!state.error_occurred()) state.SkipWithError(what);
}

int failed_checks() noexcept { return failures.load(); }

}  // namespace futura_bench
