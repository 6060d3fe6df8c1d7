// bench/ping_pong_bench.cpp — W4 ping-pong: two tasks exchanging 1M messages (500k round
// trips; 2,000 messages in smoke mode) on an io_context run by one thread (W4_ping_pong) or by
// two (W4_ping_pong_2_threads).
//
// Implementations (columns):
//   futura  two spawned tasks (hand-written futures) passing an int back and forth through
//           two one-slot mailboxes: a send stores the message and wakes the receiving task
//           (one post); the task's next poll takes the message and sends the reply. On one
//           thread the mailbox is a plain slot and waker; on two threads the tasks may run on
//           different threads, so it is the thread-safe mailbox below
//   futura_shared_mailbox  (one thread) the same tasks over the thread-safe mailbox, for the
//           cost of its atomics without a second thread; registered in ping_pong_bench_extra
//           (support/bench.hpp, binary_extra), so that ping_pong_bench compiles as it did before
//   futura_channels  the same two tasks written with the library's vocabulary: two
//           mpsc::channel(1), one per direction; the pinger is a loop_fn of send-then-next, the
//           ponger a for_each over its receiver that sends each answer
//   asio    the same exchange as raw Asio callbacks: each message is one asio::post of a
//           handler that receives it and posts the reply (one message in flight at a time, so
//           the handlers need no strand on two threads either)
//   asio_thread_safe  (one thread) the raw Asio exchange plus the two read-modify-writes per
//           message that a task any thread may wake needs (the wake's, the end of the poll's):
//           the least design.md's contract allows; registered in ping_pong_bench_extra, as the
//           thread-safe mailbox is, so that ping_pong_bench's Asio column compiles as before
// W4_ping_pong runs on an io_context with concurrency hint 1; W4_ping_pong_2_threads on one with
// hint 2 run by this thread and one more (support/tasks.hpp, run_on_threads), in the binary
// ping_pong_bench_2_threads built from this file (support/bench.hpp, binary_threads); both re-run
// (restart()) for every iteration. Time is per round trip (two messages); counters: allocs and
// bytes per round trip.
//
// The plain mailbox is the least a channel between two tasks of one thread costs (no atomics,
// no allocation), so that column measures spawn's wake/post/poll path, which is what W4's
// target is about; futura_channels adds what a real channel costs on top.
#include <support/bench.hpp>
#include <support/tasks.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/channel/mpsc.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <futura/core/detail/atomic_waker.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::output_of;
using futura_bench::report_allocations;
using futura_bench::run_on_threads;

const char* const workload = "W4_ping_pong";
const char* const workload_2_threads = "W4_ping_pong_2_threads";

/// The row of a run on `threads` threads.
const char* workload_of(int threads) { return threads == 1 ? workload : workload_2_threads; }

/// A one-slot mailbox between two tasks polled on one thread.
class mailbox {
 public:
  /// Stores `message` and wakes the task waiting for it (if it waits: otherwise its next poll
  /// finds the message).
  void send(int message) {
    message_ = message;
    receiver_.wake();
  }

  /// The message, or nothing after registering `w` to be woken by the next send (rule 3).
  std::optional<int> receive(futura::waker& w) {
    if (message_) {
      std::optional<int> m = message_;
      message_.reset();
      return m;
    }
    if (!receiver_.will_wake(w)) receiver_ = w;
    return std::nullopt;
  }

 private:
  std::optional<int> message_;
  futura::waker receiver_;
};

/// A one-slot mailbox between two tasks that may run on different threads: the message is an
/// atomic slot, the receiver's waker an atomic_waker (the library's single-waker slot). A
/// receive that finds the slot empty registers, then looks again (a send between the two is
/// then seen, and its wake at worst polls the task once more).
class shared_mailbox {
 public:
  void send(int message) {
    message_.store(message, std::memory_order_release);
    receiver_.wake();
  }

  std::optional<int> receive(futura::waker& w) {
    if (std::optional<int> m = take()) return m;
    receiver_.register_waker(w);
    return take();
  }

 private:
  static constexpr int empty = -1;  // messages are never negative

  std::optional<int> take() {
    if (message_.load(std::memory_order_relaxed) == empty) return std::nullopt;
    return message_.exchange(empty, std::memory_order_acquire);
  }

  std::atomic<int> message_{empty};
  futura::detail::atomic_waker receiver_;
};

/// Sends 0, then answers every pong p with ping p + 1, `round_trips` times; outputs the last pong.
template <class Mailbox>
class pinger : public futura::future_ext<pinger<Mailbox>> {
 public:
  using output_type = int;
  pinger(Mailbox& out, Mailbox& in, int round_trips) : out_(&out), in_(&in), round_trips_(round_trips) {}

  futura::poll_result<int> poll(futura::waker& w) {
    if (!started_) {
      started_ = true;
      out_->send(0);
    }
    for (;;) {
      std::optional<int> pong = in_->receive(w);
      if (!pong) return futura::pending;
      if (++completed_ == round_trips_) return *pong;
      out_->send(*pong + 1);
    }
  }

 private:
  Mailbox* out_;
  Mailbox* in_;
  int round_trips_;
  int completed_ = 0;
  bool started_ = false;
};

/// Answers every ping p with pong p + 1, `round_trips` times; outputs the number of pongs sent.
template <class Mailbox>
class ponger : public futura::future_ext<ponger<Mailbox>> {
 public:
  using output_type = int;
  ponger(Mailbox& out, Mailbox& in, int round_trips) : out_(&out), in_(&in), round_trips_(round_trips) {}

  futura::poll_result<int> poll(futura::waker& w) {
    for (;;) {
      std::optional<int> ping = in_->receive(w);
      if (!ping) return futura::pending;
      out_->send(*ping + 1);
      if (++answered_ == round_trips_) return answered_;
    }
  }

 private:
  Mailbox* out_;
  Mailbox* in_;
  int round_trips_;
  int answered_ = 0;
};

int round_trips_of(const benchmark::State& state) { return static_cast<int>(state.range(0) / 2); }

template <class Mailbox, int threads>
void futura_tasks(benchmark::State& state, const char* implementation) {
  const int round_trips = round_trips_of(state);
  boost::asio::io_context ctx(threads);
  int last_pong = -1;
  int pongs_sent = -1;
  auto run = [&] {
    Mailbox to_ponger;
    Mailbox to_pinger;
    auto a = futura::spawn(ctx, pinger<Mailbox>(to_ponger, to_pinger, round_trips));
    auto b = futura::spawn(ctx, ponger<Mailbox>(to_pinger, to_ponger, round_trips));
    run_on_threads<threads>(ctx);
    last_pong = output_of(a, -1);
    pongs_sent = output_of(b, -1);
  };
  const auto allocs = allocations_per_run(
      std::string(workload_of(threads)) + "/" + implementation + "/" + std::to_string(state.range(0)), run);
  for (auto _ : state) run();
  check(state, last_pong == 2 * round_trips - 1 && pongs_sent == round_trips,
        "W4 futura: every message was answered, in order");
  report_allocations(state, allocs, round_trips);
}

/// W4 with the library's vocabulary: the pinger sends 0, then answers every pong p with p + 1;
/// the ponger answers every ping p with p + 1, until the pinger is done and drops its sender.
template <int threads>
void futura_channels(benchmark::State& state) {
  const int round_trips = round_trips_of(state);
  boost::asio::io_context ctx(threads);
  int last_pong = -1;
  auto run = [&] {
    auto [to_ponger, ponger_rx] = futura::mpsc::channel<int>(1);
    auto [to_pinger, pinger_rx] = futura::mpsc::channel<int>(1);
    // The step's captures (the channel ends) live as long as the loop, so `rx.next()` may refer
    // to them.
    auto pinger = futura::spawn(
        ctx, futura::loop_fn(0, [tx = std::move(to_ponger), rx = std::move(pinger_rx), round_trips](int ping) mutable {
          return tx.send(ping)
              .then([&rx](const futura::mpsc::send_result<int>&) { return rx.next(); })
              .then([round_trips](std::optional<int> pong) -> futura::loop_step<int, int> {
                if (!pong) return futura::loop_break(-1);
                if ((*pong + 1) / 2 == round_trips) return futura::loop_break(*pong);
                return futura::loop_continue(*pong + 1);
              });
        }));
    auto ponger = futura::spawn(ctx, std::move(ponger_rx).for_each([tx = std::move(to_pinger)](int ping) {
      return tx.send(ping + 1).then([](const futura::mpsc::send_result<int>&) {});
    }));
    run_on_threads<threads>(ctx);
    last_pong = output_of(pinger, -1);
  };
  const auto allocs = allocations_per_run(
      std::string(workload_of(threads)) + "/futura_channels/" + std::to_string(state.range(0)), run);
  for (auto _ : state) run();
  check(state, last_pong == 2 * round_trips - 1, "W4 futura_channels: every message was answered, in order");
  report_allocations(state, allocs, round_trips);
}

/// The raw Asio exchange: every message is a posted handler.
struct raw_exchange {
  boost::asio::io_context* ctx;
  int round_trips;
  int completed = 0;
  int last_pong = -1;

  void to_ponger(int ping) {
    boost::asio::post(*ctx, [this, ping] { to_pinger(ping + 1); });
  }
  void to_pinger(int pong) {
    boost::asio::post(*ctx, [this, pong] {
      if (++completed == round_trips) {
        last_pong = pong;
      } else {
        to_ponger(pong + 1);
      }
    });
  }
};

/// The raw Asio exchange with what a task that any thread may wake pays per message on top: a
/// read-modify-write on the receiver's state word by the wake (it may race another thread's
/// wake and the receiver's own end of poll), and one by the receiver as its handler ends (it
/// goes idle unless a wake came meanwhile). Nothing else changes: the bound for W4 under
/// design.md's contract (docs/performance.md, "What the contract costs").
struct synced_exchange {
  boost::asio::io_context* ctx;
  int round_trips;
  int completed = 0;
  int last_pong = -1;
  std::atomic<std::uint64_t> pinger_state{0};
  std::atomic<std::uint64_t> ponger_state{0};

  static void wake(std::atomic<std::uint64_t>& s) { s.fetch_or(1, std::memory_order_acq_rel); }
  static void go_idle(std::atomic<std::uint64_t>& s) { s.fetch_and(~std::uint64_t{1}, std::memory_order_acq_rel); }

  void to_ponger(int ping) {
    wake(ponger_state);
    boost::asio::post(*ctx, [this, ping] {
      to_pinger(ping + 1);
      go_idle(ponger_state);
    });
  }
  void to_pinger(int pong) {
    wake(pinger_state);
    boost::asio::post(*ctx, [this, pong] {
      if (++completed == round_trips) {
        last_pong = pong;
      } else {
        to_ponger(pong + 1);
      }
      go_idle(pinger_state);
    });
  }
};

template <int threads>
void asio_callbacks(benchmark::State& state) {
  const int round_trips = round_trips_of(state);
  boost::asio::io_context ctx(threads);
  int last_pong = -1;
  auto run = [&] {
    raw_exchange e{&ctx, round_trips};
    e.to_ponger(0);
    run_on_threads<threads>(ctx);
    last_pong = e.last_pong;
  };
  const auto allocs =
      allocations_per_run(std::string(workload_of(threads)) + "/asio/" + std::to_string(state.range(0)), run);
  for (auto _ : state) run();
  check(state, last_pong == 2 * round_trips - 1, "W4 asio: every message was answered, in order");
  report_allocations(state, allocs, round_trips);
}

[[maybe_unused]] void asio_thread_safe(benchmark::State& state) {
  const int round_trips = round_trips_of(state);
  boost::asio::io_context ctx(1);
  int last_pong = -1;
  auto run = [&] {
    synced_exchange e{&ctx, round_trips};
    e.to_ponger(0);
    run_on_threads<1>(ctx);
    last_pong = e.last_pong;
  };
  const auto allocs =
      allocations_per_run(std::string(workload) + "/asio_thread_safe/" + std::to_string(state.range(0)), run);
  for (auto _ : state) run();
  check(state, last_pong == 2 * round_trips - 1, "W4 asio_thread_safe: every message was answered, in order");
  report_allocations(state, allocs, round_trips);
}

void register_w4(const config& cfg) {
  const std::int64_t messages = cfg.smoke ? 2'000 : 1'000'000;
  if constexpr (futura_bench::binary_extra) {
    // One-thread columns in a binary of their own (support/bench.hpp, binary_extra): in
    // ping_pong_bench their task and handler types made GCC inline Asio's post differently into
    // the raw Asio column (629 instead of 583 instructions per round trip).
    add(cfg, workload, "futura_shared_mailbox",
        [](benchmark::State& s) { futura_tasks<shared_mailbox, 1>(s, "futura_shared_mailbox"); })
        ->Arg(messages)
        ->ArgName("messages");
    add(cfg, workload, "asio_thread_safe", &asio_thread_safe)->Arg(messages)->ArgName("messages");
  } else if constexpr (futura_bench::binary_threads == 1) {
    add(cfg, workload, "futura", [](benchmark::State& s) { futura_tasks<mailbox, 1>(s, "futura"); })
        ->Arg(messages)
        ->ArgName("messages");
    add(cfg, workload, "futura_channels", &futura_channels<1>)->Arg(messages)->ArgName("messages");
    add(cfg, workload, "asio", &asio_callbacks<1>)->Arg(messages)->ArgName("messages");
  } else {
    add(cfg, workload_2_threads, "futura", [](benchmark::State& s) { futura_tasks<shared_mailbox, 2>(s, "futura"); })
        ->Arg(messages)
        ->ArgName("messages");
    add(cfg, workload_2_threads, "futura_channels", &futura_channels<2>)->Arg(messages)->ArgName("messages");
    add(cfg, workload_2_threads, "asio", &asio_callbacks<2>)->Arg(messages)->ArgName("messages");
  }
}

const bool registered = futura_bench::add_registrar(&register_w4);

}  // namespace
