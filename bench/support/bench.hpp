// bench/support/bench.hpp — what every futura benchmark binary shares.
//
// Each bench/*_bench.cpp defines one family of workloads (design.md, "Performance targets")
// with futura, its floor (the same work written by hand) and its peers side by side, so that
// one run of one binary measures them all under the same conditions. The pieces here:
//
//  - registration: a bench file hands `add_registrar` a function that registers its benchmarks
//    once the command line is known (`--smoke` picks tiny sizes; `--iterations=N` fixes the
//    iteration count, for instruction counting under callgrind);
//  - naming: every benchmark is called "<workload>/<implementation>[/N:<size>]", which is what
//    bench/report.py groups into one table row per workload and one column per implementation;
//  - allocation counting: the binary replaces the global operator new (support/alloc_counter.cpp);
//    `count_allocations` switches counting on around untimed runs of a workload, so the timed
//    loop pays nothing for it;
//  - checks: every benchmark verifies the result of its workload; a failed check makes the
//    binary exit non-zero, which is what makes the bench_smoke test able to fail.
#pragma once

#include <futura/core/waker.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace futura_bench {

#ifndef FUTURA_BENCH_THREADS
#define FUTURA_BENCH_THREADS 1
#endif
/// The threads that run the io_context of a binary's rows: 1, or 2 in the `*_bench_2_threads`
/// binaries that bench/CMakeLists.txt builds from the same sources (W4, W7, W10). The rows on 2
/// threads run in a process of their own: their frees from a second thread rearranged glibc's
/// free lists, and 1-thread rows that ran after them in the same process (with interleaved
/// repetitions) took 1.6 to 2.1 times as long.
constexpr int binary_threads = FUTURA_BENCH_THREADS;

#ifndef FUTURA_BENCH_EXTRA
#define FUTURA_BENCH_EXTRA 0
#endif
/// True in the `*_bench_extra` binaries (W4, W7): one-thread columns that run in a process of
/// their own because, compiled into the main binary, their handler or task types changed how GCC
/// inlined Asio's `post` into the raw Asio column; and not in the 2-thread binary, for the reason
/// above.
constexpr bool binary_extra = FUTURA_BENCH_EXTRA != 0;

/// The command-line options the benchmark binaries add to Google Benchmark's own.
struct config {
  /// `--smoke`: tiny sizes and a few milliseconds per benchmark (the bench_smoke CTest test).
  bool smoke = false;
  /// `--iterations=N`: every benchmark runs exactly N iterations (0: Google Benchmark decides).
  std::int64_t iterations = 0;
};

using register_fn = void (*)(const config&);

/// Queues `fn` to register a file's benchmarks after the command line was parsed. Use it from
/// a namespace-scope initialiser: `const bool registered = futura_bench::add_registrar(&f);`.
bool add_registrar(register_fn fn);

/// Runs every queued registrar; support/main.cpp calls it once the options are parsed.
void register_all(const config& cfg);

/// How a benchmark's time is measured.
enum class timing {
  wall_clock,  ///< the wall-clock time of the loop (peers may work on threads of their own)
  manual,      ///< what the benchmark reports with state.SetIterationTime (W5: wall time minus 10 ms)
};

/// Registers `fn` as "<workload>/<implementation>", timed as `t` says, with the iteration
/// policy `cfg` asks for.
template <class Fn>
benchmark::internal::Benchmark* add(const config& cfg, const std::string& workload, const std::string& implementation,
                                    Fn&& fn, timing t = timing::wall_clock) {
  const std::string name = workload + "/" + implementation;
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), std::forward<Fn>(fn));
  if (t == timing::wall_clock) {
    b->UseRealTime();
  } else {
    b->UseManualTime();
  }
  if (cfg.iterations > 0) {
    b->Iterations(cfg.iterations);
  } else if (cfg.smoke) {
    b->MinTime(0.001);
  }
  return b;
}

// ---- hiding values from the optimiser --------------------------------------------------------
//
// Not benchmark::DoNotOptimize: in Google Benchmark 1.7.1 its non-const form is
// `asm volatile("" : "+m,r"(v) : : "memory")`, and GCC 12.2 drops the output of that
// two-alternative constraint when `v` lives in memory (a variable captured by reference in a
// lambda, for one): it then deleted whole benchmark loops as dead code. The result checks
// caught it. These helpers use one constraint alternative each.

/// The optimiser forgets what it knew about `value`: it may have changed. Makes a workload's
/// input opaque (W1's x), so the work that depends on it cannot be folded at compile time.
template <class T>
[[gnu::always_inline]] inline void opaque(T& value) noexcept {
  if constexpr (std::is_scalar_v<T>) {
    asm volatile("" : "+r"(value));
  } else {
    asm volatile("" : "+m"(value) : : "memory");
  }
}

/// `value` is observed, and every store made so far is visible to an unknown reader: the
/// computation of a workload's result cannot be dropped, nor the stores it made on the way.
template <class T>
[[gnu::always_inline]] inline void keep(const T& value) noexcept {
  if constexpr (std::is_scalar_v<T>) {
    asm volatile("" : : "r"(value) : "memory");
  } else {
    asm volatile("" : : "m"(value) : "memory");
  }
}

/// What `p` points to escapes to an unknown reader and writer (as a promise's state escapes to
/// the other thread): the allocation and the stores into it stay.
[[gnu::always_inline]] inline void escape(const void* p) noexcept { asm volatile("" : : "r"(p) : "memory"); }

/// Heap allocations made while counting was on, per run of the workload.
struct alloc_stats {
  double allocations = 0;
  double bytes = 0;
};

namespace detail {
// Defined in support/alloc_counter.cpp, with the replacements of operator new.
extern std::atomic<bool> counting_allocations;
extern std::atomic<std::uint64_t> allocation_count;
extern std::atomic<std::uint64_t> allocated_bytes;
}  // namespace detail

/// False in sanitizer builds, whose runtimes own the allocator: nothing is counted there.
bool allocation_counting_available() noexcept;

/// Runs `run` once to warm up (first-use allocations such as a thread's parker are not the
/// workload's), then `runs` times with allocation counting on; returns the count per run.
/// Allocations on every thread are counted (peers allocate on threads of their own).
template <class Run>
alloc_stats count_allocations(Run&& run, int runs = 1) {
  run();
  const std::uint64_t count_before = detail::allocation_count.load();
  const std::uint64_t bytes_before = detail::allocated_bytes.load();
  detail::counting_allocations.store(true);
  for (int i = 0; i < runs; ++i) run();
  detail::counting_allocations.store(false);
  return {static_cast<double>(detail::allocation_count.load() - count_before) / runs,
          static_cast<double>(detail::allocated_bytes.load() - bytes_before) / runs};
}

/// Makes glibc's malloc keep the memory a program frees instead of giving it back to the kernel
/// (no trimming of the heap's top, no mmap below 32 MiB, both thresholds fixed), for the rest of
/// the process. For a binary whose workloads hold a million blocks at once and free them all in
/// every iteration: glibc's default policy then gives a column's memory back and faults it in
/// again (some 20k page faults per iteration) or not, depending on the order its blocks were
/// freed in and on what ran before in the process, and the page faults, not the workload, decide
/// the ratio between columns (docs/performance.md, "W7: why it varied"). With the heap held, the
/// warm-up run grows it once and the timed runs reuse it, as a program in a steady state does.
/// False where it does nothing (not glibc; sanitizer builds, whose runtimes own the allocator).
bool hold_heap_at_peak() noexcept;

/// `count_allocations(run, runs)` for the first call with this `key` (a benchmark's name and
/// size); later calls return the stored result. Google Benchmark calls a benchmark function
/// several times (to size the iteration count, and once per repetition): counting once keeps
/// the untimed runs of the large workloads from dominating the run time of the binary.
alloc_stats allocations_per_run(const std::string& key, const std::function<void()>& run, int runs = 1);

/// Reports `stats` as the counters "allocs" (per run) and "bytes" (per run), plus "items" and
/// "bytes_per_item" when a run handles `items` elements (report.py divides time by "items").
void report_allocations(benchmark::State& state, const alloc_stats& stats, double items = 1);

/// Verifies a workload's result. A failed check marks the benchmark as failed and makes the
/// binary exit with status 1 (after the other benchmarks ran), so bench_smoke fails.
void check(benchmark::State& state, bool ok, const char* what);

/// The number of failed checks so far.
int failed_checks() noexcept;

/// A waker target that counts its wakes, for benchmarks that poll by hand. Its wakers borrow
/// it (clone and drop are free), so it must outlive every waker it made: keep it on the stack
/// of the benchmark, around the futures it wakes.
class wake_counter {
 public:
  wake_counter() = default;
  wake_counter(const wake_counter&) = delete;
  wake_counter& operator=(const wake_counter&) = delete;

  futura::waker make() noexcept { return futura::waker(futura::raw_waker{&vtable, this}); }
  int wakes() const noexcept { return wakes_.load(std::memory_order_relaxed); }

 private:
  static futura::raw_waker clone(void* p) noexcept { return {&vtable, p}; }
  static void wake(void* p) noexcept { static_cast<wake_counter*>(p)->wakes_.fetch_add(1, std::memory_order_relaxed); }
  static void drop(void*) noexcept {}
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake, &drop};

  std::atomic<int> wakes_{0};
};

/// The heap state a hand-written floor uses where futura has a promise's shared state: a
/// value and a ready flag, published with release and read with acquire, as a promise must.
struct hand_state {
  int value = 0;
  std::atomic<bool> ready{false};
};

/// What a promise state that may be set on another thread than the one polling its future adds
/// to hand_state, at the least: one word that each side changes with a read-modify-write (a
/// locked instruction on x86; a plain store and load cannot tell "registered first" from "set
/// first", rule 3's lost wakeup), and the waker the poller registered, which the completion
/// wakes. The thread-safe floors (W2, W3: `floor_thread_safe`) are their floors with this
/// synchronisation added: the cost any implementation of design.md's contract pays, so a target
/// under it is out of reach (docs/performance.md, "What the contract costs"). `Waker` is what
/// the poller leaves to be woken: anything with `wake() const`.
template <class Waker = futura::waker>
struct synced_state {
  static constexpr unsigned registered = 1;  // the poller's waker is in `poller`
  static constexpr unsigned complete = 2;    // `value` is set
  static constexpr unsigned left = 4;        // the future was dropped before the promise

  int value = 0;
  std::atomic<unsigned> word{0};
  Waker poller;

  /// The poller's side: registers `w` unless the state is complete; true when it is.
  bool register_or_complete(const Waker& w) {
    poller = w;
    return (word.fetch_or(registered, std::memory_order_acq_rel) & complete) != 0;
  }
  /// The promise's side: publishes `v`, then wakes the poller if one registered.
  void set(int v) {
    value = v;
    if (word.fetch_or(complete, std::memory_order_acq_rel) & registered) poller.wake();
  }
  bool is_complete() const noexcept { return (word.load(std::memory_order_acquire) & complete) != 0; }
  /// The future leaves first: the promise, when it goes, sees `left` and frees the state.
  void leave() noexcept { word.fetch_or(left, std::memory_order_acq_rel); }
};

}  // namespace futura_bench
