// bench/channel_bench.cpp — W10 channels: items from producers to one consumer task.
//
// W10 task to task: N = 10M uint64_t (20,000 in smoke mode) from a producer task to a consumer
// task on one io_context (concurrency hint 1):
//   futura  a producer task sends 0..N-1 through mpsc::channel(1024) with a loop_fn of
//           `tx.send(i)`; the consumer task folds the receiver into the sum
//   asio    the same hand-off as raw Asio callbacks: the producer posts one handler per item to
//           the consumer, at most 1024 at a time (it posts itself again after every 1024)
//   floor_thread_safe  no executor: a hand-written bounded channel doing only the atomic
//           operations design.md's channel contract needs (three per item), the producer and
//           the consumer alternating on this thread, 1024 items at a time
// W10 4 threads: the same N items from 4 producer threads (N/4 each) to one consumer task:
//   futura  each thread sends through its own copy of an mpsc::unbounded sender
//   asio    each thread posts one handler per item to the consumer's io_context
// Both are timed per item, from the first send to the consumer's last item; counters: allocs
// and bytes per item (sends and receives allocate nothing in a steady state; Asio's post
// recycles its handler memory per thread).
// The *_2_threads rows (the binary channel_bench_2_threads, built from this file:
// support/bench.hpp, binary_threads) do the same on an io_context with concurrency hint 2 run by
// this thread and one more (support/tasks.hpp, run_on_threads). futura's code is the same (a
// task is never polled by two threads at once). Raw Asio's handlers would then run
// concurrently, so its consumer becomes a strand, as Asio code serialises a consumer on several
// threads:
//   task to task  the producer, on a strand of its own, posts batches of 512 item handlers to
//                 the consumer's strand, each batch followed by a marker that hands a "consumed"
//                 notice back to the producer's strand; at most two batches (1024 items) are in
//                 flight, the channel's capacity
//   4 threads     the 4 threads post their item handlers to the consumer's strand
#include <support/bench.hpp>
#include <support/tasks.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/channel/mpsc.hpp>
#include <futura/core.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::output_of;
using futura_bench::report_allocations;
using futura_bench::run_on_threads;

const char* const task_to_task = "W10_channel_task_to_task";
const char* const four_threads = "W10_channel_4_threads";
const char* const task_to_task_2_threads = "W10_channel_task_to_task_2_threads";
const char* const four_threads_2_threads = "W10_channel_4_threads_2_threads";

/// The row of a run on `threads` threads.
const char* task_to_task_of(int threads) { return threads == 1 ? task_to_task : task_to_task_2_threads; }
const char* four_threads_of(int threads) { return threads == 1 ? four_threads : four_threads_2_threads; }

using io_strand = boost::asio::strand<boost::asio::io_context::executor_type>;

constexpr std::size_t capacity = 1024;
constexpr int producer_threads = 4;

// The sum of 0..n-1 that every consumer must reach.
std::uint64_t expected_sum(std::uint64_t n) { return n * (n - 1) / 2; }

/// The consumer of both futura rows: the receiver folded into the sum of its items.
template <class Receiver>
auto sum_of(Receiver rx) {
  return std::move(rx).fold(std::uint64_t{0}, [](std::uint64_t acc, std::uint64_t v) { return acc + v; });
}

template <int threads>
void futura_task_to_task(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  boost::asio::io_context ctx(threads);
  std::uint64_t sum = 0;
  auto run = [&] {
    auto [tx, rx] = futura::mpsc::channel<std::uint64_t>(capacity);
    auto producer = futura::spawn(
        ctx, futura::loop_fn(std::uint64_t{0}, [tx = std::move(tx), n](std::uint64_t i) {
          return tx.send(i).then(
              [i, n](futura::mpsc::send_result<std::uint64_t> sent) -> futura::loop_step<futura::unit, std::uint64_t> {
                if (!sent || i + 1 == n) return futura::loop_break();
                return futura::loop_continue(i + 1);
              });
        }));
    auto consumer = futura::spawn(ctx, sum_of(std::move(rx)));
    run_on_threads<threads>(ctx);
    sum = output_of(consumer, std::uint64_t{0});
  };
  const auto allocs = allocations_per_run(std::string(task_to_task_of(threads)) + "/futura/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(n), "W10 futura: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// The raw Asio hand-off: a producer handler posts up to `capacity` item handlers, then itself.
struct raw_hand_off {
  boost::asio::io_context* ctx;
  std::uint64_t n;
  std::uint64_t next = 0;
  std::uint64_t sum = 0;

  void produce() {
    const std::uint64_t end = std::min(n, next + capacity);
    for (; next < end; ++next) {
      boost::asio::post(*ctx, [this, v = next] { sum += v; });
    }
    if (next < n) boost::asio::post(*ctx, [this] { produce(); });
  }
};

/// The raw Asio hand-off on several threads: the consumer's handlers on a strand, the producer
/// on another; the producer posts a batch of capacity / 2 items and a marker, and starts a third
/// batch only when the marker of the first has come back (at most `capacity` items in flight).
struct raw_hand_off_on_strands {
  io_strand producer;
  io_strand consumer;
  std::uint64_t n;
  std::uint64_t next = 0;
  int batches_in_flight = 0;  // the producer strand's
  std::uint64_t sum = 0;      // the consumer strand's

  void produce() {
    while (batches_in_flight < 2 && next < n) {
      const std::uint64_t end = std::min(n, next + capacity / 2);
      for (; next < end; ++next) {
        boost::asio::post(consumer, [this, v = next] { sum += v; });
      }
      ++batches_in_flight;
      boost::asio::post(consumer, [this] {
        boost::asio::post(producer, [this] {
          --batches_in_flight;
          produce();
        });
      });
    }
  }
};

[[maybe_unused]] void asio_task_to_task_2_threads(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  boost::asio::io_context ctx(2);
  std::uint64_t sum = 0;
  auto run = [&] {
    raw_hand_off_on_strands h{boost::asio::make_strand(ctx), boost::asio::make_strand(ctx), n};
    boost::asio::post(h.producer, [&h] { h.produce(); });
    run_on_threads<2>(ctx);
    sum = h.sum;
  };
  const auto allocs = allocations_per_run(std::string(task_to_task_2_threads) + "/asio/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(n), "W10 asio on 2 threads: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

[[maybe_unused]] void asio_task_to_task(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  boost::asio::io_context ctx(1);
  std::uint64_t sum = 0;
  auto run = [&] {
    raw_hand_off h{&ctx, n};
    boost::asio::post(ctx, [&h] { h.produce(); });
    ctx.run();
    ctx.restart();
    sum = h.sum;
  };
  const auto allocs = allocations_per_run(std::string(task_to_task) + "/asio/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(n), "W10 asio: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// The least design.md's bounded channel costs per item, with no executor around it: the atomic
/// read-modify-writes its contract needs and nothing else. Per item: the send future's sender
/// count (it keeps the channel open without referring to its sender), the lock under which the
/// send takes a place and pushes (one lock for both: the least), and the receiver's giving the
/// place back as it hands the item out (exact capacity: the place is free once the item is
/// received, and a sender on another thread must see it). Per batch: the receiver's lock for the
/// swap, the senders' counts it subtracts, a sender folding the returned places in. The
/// producer and the consumer alternate on this thread, 1024 items at a time, as the two tasks do.
struct synced_channel {
  std::atomic<std::uint64_t> senders{1};
  std::atomic<std::uint64_t> returned{0};  // places given back, folded in by a sender under the lock
  std::atomic<bool> locked{false};
  std::uint64_t places = capacity;  // under the lock
  std::uint64_t left_senders = 0;   // under the lock: counts of completed sends, for the receiver
  std::vector<std::uint64_t> incoming;

  void lock() noexcept {
    while (locked.exchange(true, std::memory_order_acquire)) {
    }
  }
  void unlock() noexcept { locked.store(false, std::memory_order_release); }

  /// A send future's poll: takes a place and pushes `v`, leaving its count; false when full.
  bool try_push(std::uint64_t v) {
    lock();
    if (places == 0) places = returned.exchange(0, std::memory_order_acq_rel);
    const bool room = places != 0;
    if (room) {
      --places;
      incoming.push_back(v);
      ++left_senders;
    }
    unlock();
    return room;
  }
  /// The receiver's take: every item pushed so far, and the counts completed sends left.
  void take(std::vector<std::uint64_t>& batch) {
    lock();
    batch.swap(incoming);
    senders.fetch_sub(std::exchange(left_senders, 0), std::memory_order_acq_rel);
    unlock();
  }
};

void floor_thread_safe_task_to_task(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t sum = 0;
  auto run = [&] {
    synced_channel ch;
    ch.incoming.reserve(capacity);
    std::vector<std::uint64_t> batch;
    batch.reserve(capacity);
    std::uint64_t next = 0;
    bool counted = false;  // the pending send future's count is taken
    std::uint64_t total = 0;
    while (next < n) {
      // The producer: sends until the channel is full (its send future then stays pending).
      while (next < n) {
        if (!counted) ch.senders.fetch_add(1, std::memory_order_relaxed);
        counted = true;
        if (!ch.try_push(next)) break;
        counted = false;
        ++next;
      }
      // The consumer: takes the batch and hands each item out, giving its place back.
      ch.take(batch);
      for (const std::uint64_t v : batch) {
        total += v;
        ch.returned.fetch_add(1, std::memory_order_acq_rel);
      }
      batch.clear();
    }
    sum = total;
    futura_bench::keep(sum);
  };
  const auto allocs = allocations_per_run(std::string(task_to_task) + "/floor_thread_safe/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(n), "W10 thread-safe floor: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// Items v with v % producer_threads == t, in increasing order: thread t's share of 0..n-1.
template <class Send>
void produce_share(int t, std::uint64_t n, Send&& send) {
  for (std::uint64_t v = static_cast<std::uint64_t>(t); v < n; v += producer_threads) send(v);
}

template <int threads>
void futura_four_threads(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  boost::asio::io_context ctx(threads);
  std::uint64_t sum = 0;
  bool all_sent = true;
  auto run = [&] {
    auto [tx, rx] = futura::mpsc::unbounded<std::uint64_t>();
    auto consumer = futura::spawn(ctx, sum_of(std::move(rx)));
    std::vector<std::thread> producers;
    std::vector<char> sent_ok(producer_threads, 1);
    for (int t = 0; t < producer_threads; ++t) {
      producers.emplace_back([t, n, &sent_ok, my_tx = tx] {
        produce_share(t, n, [&](std::uint64_t v) {
          if (!my_tx.send(v)) sent_ok[static_cast<std::size_t>(t)] = 0;
        });
      });
    }
    tx = {};  // the consumer's stream ends when the threads' copies are gone
    run_on_threads<threads>(ctx);
    for (std::thread& p : producers) p.join();
    for (char ok : sent_ok) all_sent = all_sent && ok;
    sum = output_of(consumer, std::uint64_t{0});
  };
  const auto allocs = allocations_per_run(std::string(four_threads_of(threads)) + "/futura/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, all_sent && sum == expected_sum(n), "W10 futura 4 threads: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

/// On one thread the consumer's handlers are posted to the context itself; on two, to a strand
/// (they would run concurrently otherwise).
template <int threads>
void asio_four_threads(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  boost::asio::io_context ctx(threads);
  std::uint64_t sum = 0;
  auto run = [&] {
    std::uint64_t total = 0;
    {
      // The threads' posts keep the context busy; the guard keeps run() waiting for the rest.
      auto guard = boost::asio::make_work_guard(ctx);
      auto consumer = [&] {
        if constexpr (threads == 1) {
          return ctx.get_executor();
        } else {
          return boost::asio::make_strand(ctx);
        }
      }();
      std::vector<std::thread> producers;
      int finished = 0;
      for (int t = 0; t < producer_threads; ++t) {
        producers.emplace_back([&, t] {
          produce_share(t, n, [&](std::uint64_t v) { boost::asio::post(consumer, [&total, v] { total += v; }); });
          boost::asio::post(consumer, [&] {
            if (++finished == producer_threads) guard.reset();
          });
        });
      }
      run_on_threads<threads>(ctx);
      for (std::thread& p : producers) p.join();
    }
    sum = total;
  };
  const auto allocs = allocations_per_run(std::string(four_threads_of(threads)) + "/asio/" + std::to_string(n), run);
  for (auto _ : state) run();
  check(state, sum == expected_sum(n), "W10 asio 4 threads: every item arrived once");
  report_allocations(state, allocs, static_cast<double>(n));
}

void register_w10(const config& cfg) {
  const std::int64_t items = cfg.smoke ? 20'000 : 10'000'000;
  if constexpr (futura_bench::binary_threads == 1) {
    add(cfg, task_to_task, "futura", &futura_task_to_task<1>)->Arg(items)->ArgName("items");
    add(cfg, task_to_task, "asio", &asio_task_to_task)->Arg(items)->ArgName("items");
    add(cfg, task_to_task, "floor_thread_safe", &floor_thread_safe_task_to_task)->Arg(items)->ArgName("items");
    add(cfg, four_threads, "futura", &futura_four_threads<1>)->Arg(items)->ArgName("items");
    add(cfg, four_threads, "asio", &asio_four_threads<1>)->Arg(items)->ArgName("items");
  } else {
    add(cfg, task_to_task_2_threads, "futura", &futura_task_to_task<2>)->Arg(items)->ArgName("items");
    add(cfg, task_to_task_2_threads, "asio", &asio_task_to_task_2_threads)->Arg(items)->ArgName("items");
    add(cfg, four_threads_2_threads, "futura", &futura_four_threads<2>)->Arg(items)->ArgName("items");
    add(cfg, four_threads_2_threads, "asio", &asio_four_threads<2>)->Arg(items)->ArgName("items");
  }
}

const bool registered = futura_bench::add_registrar(&register_w10);

}  // namespace
