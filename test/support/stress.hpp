// Tools of the race tests (stress_test, and the stress halves of the protocol suites): seeds that
// are printed on failure, round counts sized for the build, a team of threads that run one job
// each per round and start together, failures recorded off the main thread (Boost.Test's macros
// are for the main thread only), bounded waits, and a watchdog that names the round that hangs.
//
// Seeds: FUTURA_STRESS_SEED=<n> replays a run (each test derives its own stream from it and its
// name; each round from that and the round number). Unset, a random seed is drawn and shown in
// the context of every failed check. FUTURA_STRESS_SCALE=<percent> scales every round count
// (default 100). Thread timing is not replayed by a seed, only the choices of each round.
#pragma once

#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/config.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace futura_test {

inline constexpr bool under_sanitizer = FUTURA_HAS_TSAN || FUTURA_HAS_ASAN;
inline constexpr bool chaos_build = FUTURA_CHAOS_ENABLED != 0;

/// splitmix64: turns (seed, salt) into independent streams.
inline std::uint64_t mix_seed(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// The run's seed: FUTURA_STRESS_SEED, or one drawn at random once per process.
inline std::uint64_t base_seed() {
  static const std::uint64_t seed = []() -> std::uint64_t {
    if (const char* s = std::getenv("FUTURA_STRESS_SEED"); s && *s) return std::strtoull(s, nullptr, 0);
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }();
  return seed;
}

/// The number of rounds a test runs: `normal` in optimised builds, `sanitized` under a
/// sanitizer (an order of magnitude slower), scaled by FUTURA_STRESS_SCALE (percent).
inline long rounds(long normal, long sanitized) {
  static const long scale = [] {
    const char* s = std::getenv("FUTURA_STRESS_SCALE");
    const long v = (s && *s) ? std::strtol(s, nullptr, 10) : 100;
    return v > 0 ? v : 100;
  }();
  const long n = under_sanitizer ? sanitized : normal;
  return std::max(1L, n * scale / 100);
}

/// A test's random stream: seeded from the run's seed and the test's name; `round(r)` gives
/// the generator of round r (so one round's choices do not depend on the others').
class stress_seed {
 public:
  explicit stress_seed(const std::string& test) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the name
    for (unsigned char c : test) h = (h ^ c) * 1099511628211ull;
    seed_ = mix_seed(base_seed() ^ h);
  }
  std::mt19937_64 round(long r) const { return std::mt19937_64(mix_seed(seed_ + static_cast<std::uint64_t>(r))); }
  /// What to print so the run can be replayed.
  std::string describe(long r) const {
    std::ostringstream s;
    s << "FUTURA_STRESS_SEED=" << base_seed() << " round " << r;
    return s.str();
  }

 private:
  std::uint64_t seed_;
};

/// A uniform pick in [lo, hi].
template <class G>
int pick(G& g, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(g);
}
/// True with probability `percent`/100.
template <class G>
bool chance(G& g, int percent) {
  return pick(g, 0, 99) < percent;
}
/// A short busy delay of up to `max_spins` iterations: shifts one thread against another so
/// rounds start their races at different offsets (also without chaos points).
inline void spin_for(int spins) {
  for (int i = 0; i < spins; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
}

/// Failures seen on threads other than the main one, reported by the main thread.
class failure_log {
 public:
  void add(std::string what) {
    std::lock_guard<std::mutex> lock(m_);
    if (what_.size() < 16) what_.push_back(std::move(what));
    ++count_;
  }
  /// Fails the current test once per recorded failure (up to 16 messages), then clears.
  void report() {
    std::lock_guard<std::mutex> lock(m_);
    for (const std::string& w : what_) BOOST_ERROR(w);
    if (count_ > static_cast<long>(what_.size()))
      BOOST_ERROR(count_ - static_cast<long>(what_.size()) << " more failures");
    what_.clear();
    count_ = 0;
  }
  bool empty() {
    std::lock_guard<std::mutex> lock(m_);
    return count_ == 0;
  }

 private:
  std::mutex m_;
  std::vector<std::string> what_;
  long count_ = 0;
};

/// Waits until `done()` is true, yielding; false after `seconds` (the caller reports what it
/// was waiting for). A guard against hangs, never a way to order two threads.
template <class Pred>
bool wait_until(Pred&& done, double seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::yield();
  }
  return true;
}

/// A std::thread that joins when destroyed (a failed BOOST_REQUIRE must not leave it joinable).
class joining_thread {
 public:
  template <class F>
  explicit joining_thread(F&& f) : t_(std::forward<F>(f)) {}
  joining_thread(const joining_thread&) = delete;
  joining_thread& operator=(const joining_thread&) = delete;
  ~joining_thread() { join(); }
  void join() {
    if (t_.joinable()) t_.join();
  }

 private:
  std::thread t_;
};

/// For chaos gates (support/chaos_gate.hpp): waits until the gate's thread stopped at its
/// point; false after `seconds` (the point was never reached: renamed, or the path changed).
template <class Gate>
bool reached_within(const Gate& gate, double seconds = 20) {
  return wait_until([&] { return gate.was_reached(); }, seconds);
}

/// While alive, in FUTURA_CHAOS builds: every thread reaching one of `points` (chaos point
/// names) spins there `spins` iterations and yields `yields` times, on top of the random
/// perturbation, to widen the window of one race a stress test aims at. One at a time; a no-op
/// in other builds.
class chaos_widen {
 public:
  chaos_widen(std::initializer_list<const char*> points, int yields, int spins = 0) {
#if FUTURA_CHAOS_ENABLED
    std::size_t n = 0;
    for (const char* p : points) {
      if (n < names().size()) names()[n++] = p;
    }
    count().store(n, std::memory_order_relaxed);
    excluded().store(std::thread::id(), std::memory_order_relaxed);
    yields_at_point().store(yields, std::memory_order_relaxed);
    spins_at_point().store(spins, std::memory_order_relaxed);
    previous_ = futura::detail::chaos::set_hook(&hook);
#else
    (void)points;
    (void)yields;
    (void)spins;
#endif
  }
  ~chaos_widen() {
#if FUTURA_CHAOS_ENABLED
    futura::detail::chaos::set_hook(previous_);
#endif
  }
  chaos_widen(const chaos_widen&) = delete;
  chaos_widen& operator=(const chaos_widen&) = delete;

  /// The calling thread passes the points without stopping (until another thread calls this).
  static void exclude_this_thread() {
#if FUTURA_CHAOS_ENABLED
    excluded().store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  }

  /// How many times a thread reached one of the points so far (0 in other builds). Relaxed:
  /// watching it orders nothing between threads.
  static unsigned long arrivals() {
#if FUTURA_CHAOS_ENABLED
    return arrived().load(std::memory_order_relaxed);
#else
    return 0;
#endif
  }

 private:
#if FUTURA_CHAOS_ENABLED
  static std::atomic<std::thread::id>& excluded() {
    static std::atomic<std::thread::id> t{};
    return t;
  }
  static std::atomic<unsigned long>& arrived() {
    static std::atomic<unsigned long> a{0};
    return a;
  }
  static std::array<const char*, 4>& names() {
    static std::array<const char*, 4> n{};
    return n;
  }
  static std::atomic<std::size_t>& count() {
    static std::atomic<std::size_t> c{0};
    return c;
  }
  static std::atomic<int>& spins_at_point() {
    static std::atomic<int> s{0};
    return s;
  }
  static std::atomic<int>& yields_at_point() {
    static std::atomic<int> y{0};
    return y;
  }
  static void hook(const char* name) noexcept {
    const std::size_t n = count().load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) {
      if (std::strcmp(name, names()[i]) == 0) {
        if (excluded().load(std::memory_order_relaxed) == std::this_thread::get_id()) return;
        arrived().fetch_add(1, std::memory_order_relaxed);
        spin_for(spins_at_point().load(std::memory_order_relaxed));
        for (int k = yields_at_point().load(std::memory_order_relaxed); k > 0; --k) std::this_thread::yield();
        return;
      }
    }
  }
  futura::detail::chaos::hook_fn previous_ = nullptr;
#endif
};

/// N threads that each run one job per round, released together, and wait for each other.
class thread_team {
 public:
  explicit thread_team(int n) : jobs_(static_cast<std::size_t>(n)) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { loop(static_cast<std::size_t>(i)); });
  }
  ~thread_team() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }
  thread_team(const thread_team&) = delete;
  thread_team& operator=(const thread_team&) = delete;

  int size() const { return static_cast<int>(threads_.size()); }

  /// Runs jobs[i] on thread i (missing or empty jobs: that thread idles this round) and
  /// returns when all are done. The threads start together (they wait for the last to arrive).
  void run(std::vector<std::function<void()>> jobs) {
    jobs.resize(jobs_.size());
    std::unique_lock<std::mutex> lock(m_);
    jobs_ = std::move(jobs);
    pending_ = static_cast<int>(jobs_.size());
    arrived_.store(0, std::memory_order_relaxed);
    ++generation_;
    start_.notify_all();
    finished_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  void loop(std::size_t i) {
    std::uint64_t seen = 0;
    for (;;) {
      std::function<void()> job;
      int n = 0;
      {
        std::unique_lock<std::mutex> lock(m_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = std::move(jobs_[i]);
        n = static_cast<int>(jobs_.size());
      }
      // Start together: the race begins when every member is here.
      arrived_.fetch_add(1, std::memory_order_acq_rel);
      while (arrived_.load(std::memory_order_acquire) < n) std::this_thread::yield();
      if (job) job();
      {
        std::lock_guard<std::mutex> lock(m_);
        if (--pending_ == 0) finished_.notify_all();
      }
    }
  }

  std::mutex m_;
  std::condition_variable start_;
  std::condition_variable finished_;
  std::vector<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::atomic<int> arrived_{0};
  std::uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

/// Aborts the program with the round's description when a round runs longer than `seconds`:
/// a lost wakeup or a deadlock then names its seed and round instead of timing out silently.
class watchdog {
 public:
  explicit watchdog(double seconds) : limit_(seconds), thread_([this] { watch(); }) {}
  ~watchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  /// A new round begins (its description is printed if it hangs).
  void round(std::string what) {
    std::lock_guard<std::mutex> lock(m_);
    what_ = std::move(what);
    started_ = std::chrono::steady_clock::now();
    ++rounds_;
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(m_);
    while (!stop_) {
      const std::uint64_t seen = rounds_;
      const auto started = started_;
      if (cv_.wait_until(lock,
                         started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(limit_)),
                         [&] { return stop_ || rounds_ != seen; })) {
        continue;
      }
      std::fprintf(stderr, "futura stress watchdog: no progress for %.0f s in %s (a lost wakeup or a deadlock)\n",
                   limit_, what_.c_str());
      std::fflush(stderr);
      std::abort();
    }
  }

  const double limit_;
  std::mutex m_;
  std::condition_variable cv_;
  std::string what_ = "setup";
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::uint64_t rounds_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace futura_test
