// Allocation contract of the Asio layer (as_future.hpp, timer.hpp): an operation's state and
// Asio's operation come from a per-thread recycling cache, so a steady stream of operations
// allocates nothing, and a sleep is one block (plus the timer's wait when it is the earliest).
// Its own program: it replaces the global allocation functions (support/allocation_counter.hpp).
#include <support/asio_allocation_counter.hpp>  // one per program: see the header
#include <support/asio_support.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/core.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using futura_test::loopback_pair;

constexpr std::size_t message_size = 64;
using message = std::array<char, message_size>;

auto write_all(tcp::socket& s, const message& m) { return asio::async_write(s, asio::buffer(m), futura::as_future); }
auto read_all(tcp::socket& s, message& m) { return asio::async_read(s, asio::buffer(m), futura::as_future); }
using write_op = decltype(write_all(std::declval<tcp::socket&>(), std::declval<const message&>()));
using read_op = decltype(read_all(std::declval<tcp::socket&>(), std::declval<message&>()));

/// One end of an echo: the client writes then reads, the server reads then writes back, `rounds`
/// times; a fresh as_future operation each time, as a task written by hand does. Calls
/// `at_round(n)` at the start of each of the client's rounds. Outputs the rounds done, or -1.
template <class AtRound>
class echo_end : public futura::future_ext<echo_end<AtRound>> {
 public:
  using output_type = int;
  echo_end(tcp::socket& s, bool client, int rounds, AtRound at_round)
      : sock_(&s), buf_(std::make_unique<message>()), client_(client), rounds_(rounds), at_round_(std::move(at_round)) {
    start_round();
  }

  futura::poll_result<int> poll(futura::waker& w) {
    for (;;) {
      if (auto* wr = std::get_if<write_op>(&op_)) {
        auto r = wr->poll(w);
        if (r.is_pending()) return futura::pending;
        if (!r.value()) return -1;
        if (client_) {
          op_.template emplace<read_op>(read_all(*sock_, *buf_));
        } else if (finish_round()) {
          return done_;
        }
      }
      if (auto* rd = std::get_if<read_op>(&op_)) {
        auto r = rd->poll(w);
        if (r.is_pending()) return futura::pending;
        if (!r.value()) return -1;
        if (!client_) {
          op_.template emplace<write_op>(write_all(*sock_, *buf_));
        } else if (finish_round()) {
          return done_;
        }
      }
    }
  }

 private:
  void start_round() {
    if (client_) {
      at_round_(done_);
      op_.template emplace<write_op>(write_all(*sock_, *buf_));
    } else {
      op_.template emplace<read_op>(read_all(*sock_, *buf_));
    }
  }
  /// True when the last round is done.
  bool finish_round() {
    if (++done_ == rounds_) return true;
    start_round();
    return false;
  }

  tcp::socket* sock_;
  std::unique_ptr<message> buf_;  // Asio writes into it while the future moves (rule 2)
  bool client_;
  int rounds_;
  AtRound at_round_;
  int done_ = 0;
  std::variant<std::monostate, write_op, read_op> op_;
};

template <class AtRound>
echo_end<AtRound> make_echo_end(tcp::socket& s, bool client, int rounds, AtRound at_round) {
  return {s, client, rounds, std::move(at_round)};
}

}  // namespace

// In every build (sanitizers included): the recycling cache is per thread, and blocks cross
// threads all the time.
BOOST_AUTO_TEST_SUITE(asio_layer_recycling_across_threads)

BOOST_AUTO_TEST_CASE(states_and_operations_made_on_one_thread_and_freed_on_another_are_recycled_safely) {
  asio::io_context ctx(1);
  auto guard = asio::make_work_guard(ctx);
  std::thread io([&] { ctx.run(); });  // runs (and frees) every Asio operation and handler
  int completed = 0;
  int slept = 0;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;  // outlive their dropped waits
  std::thread user([&] {                                    // makes every state and operation, and drops the futures
    for (int i = 0; i < 300; ++i) {
      // A post completes on `io`: the operation is freed there, the state here or there.
      futura::block_on(asio::post(ctx, futura::as_future));
      ++completed;
      futura::block_on(futura::sleep_for(ctx, std::chrono::microseconds(1)));  // arms a timer
      ++slept;
      // Dropped while (probably) pending: the cancellation and the state's end run on `io`.
      auto dropped = futura::sleep_for(ctx, std::chrono::hours(1));
      futura::waker w = futura::noop_waker();
      (void)dropped.poll(w);
      // Dropped while pending, on a thread that does not run `ctx`: the cancellation is posted.
      timers.push_back(std::make_unique<asio::steady_timer>(ctx, futura_test::never_in_this_test));
      auto wait = timers.back()->async_wait(futura::as_future);
      (void)wait.poll(w);
    }
  });  // this thread's cache is emptied when it exits
  user.join();
  guard.reset();
  io.join();  // the dropped sleeps' aborted waits have completed: no work left
  BOOST_TEST(completed == 300);
  BOOST_TEST(slept == 300);
}

BOOST_AUTO_TEST_SUITE_END()

#ifndef FUTURA_TEST_SANITIZED

BOOST_AUTO_TEST_SUITE(asio_layer_allocations)

// W6's pattern: many operations complete in one turn of the context before the woken tasks start
// the next ones, which overflows Asio's own two-block cache; the futura cache holds them all.
BOOST_AUTO_TEST_CASE(many_tasks_doing_as_future_reads_and_writes_allocate_nothing_in_steady_state) {
  constexpr int pairs = 16;
  constexpr int rounds = 200;
  constexpr int warm_up_rounds = 100;
  futura_test::allocation_count heap;  // every thread's allocations, read as differences
  asio::io_context ctx(1);
  std::vector<std::unique_ptr<loopback_pair>> sockets;
  for (int i = 0; i < pairs; ++i) {
    sockets.push_back(std::make_unique<loopback_pair>(ctx));
    sockets.back()->client.set_option(tcp::no_delay(true));
    sockets.back()->server.set_option(tcp::no_delay(true));
  }
  // Every client passes its warm-up rounds before the counting starts, and counting stops when
  // the first client finishes (a finishing task frees its block: not steady state).
  int warmed_up = 0;
  long at_start = -1;
  long at_end = -1;
  std::vector<futura::join_handle<int>> tasks;
  for (auto& p : sockets) {
    tasks.push_back(futura::spawn(ctx, make_echo_end(p->server, false, rounds, [](int) {})));
    tasks.push_back(futura::spawn(ctx, make_echo_end(p->client, true, rounds, [&](int round) {
                                    if (round == warm_up_rounds && ++warmed_up == pairs) at_start = heap();
                                    if (round == rounds - 1 && at_end < 0) at_end = heap();
                                  })));
  }
  ctx.run();
  for (auto& t : tasks) BOOST_TEST(futura::block_on(std::move(t)) == rounds);
  BOOST_TEST_REQUIRE(at_start >= 0);
  BOOST_TEST_REQUIRE(at_end >= at_start);
  BOOST_TEST(at_end - at_start == 0);
}

BOOST_AUTO_TEST_CASE(a_sleep_is_one_block_and_it_is_recycled_with_the_timers_wait) {
  asio::io_context ctx(1);
  // Warm up the context: its timer service and timer queue are made (and grown) once.
  futura::block_on(ctx, futura::sleep_for(ctx, std::chrono::microseconds(1)));

  // On a new thread, whose recycling cache is empty.
  long first = -1;
  long second = -1;
  bool both_fired = false;  // Boost.Test is not used on the thread
  ctx.restart();            // block_on may leave it stopped
  std::thread t([&] {
    futura::waker w = futura::noop_waker();
    auto s1 = futura::sleep_for(ctx, std::chrono::microseconds(1));
    {
      futura_test::allocation_count heap;
      (void)s1.poll(w);  // arms the timer
      first = heap.this_thread();
    }
    ctx.run();
    ctx.restart();
    const bool fired1 = s1.poll(w).is_ready();  // frees the state into this thread's cache
    auto s2 = futura::sleep_for(ctx, std::chrono::microseconds(1));
    {
      futura_test::allocation_count heap;
      (void)s2.poll(w);
      second = heap.this_thread();
    }
    ctx.run();
    ctx.restart();
    both_fired = fired1 && s2.poll(w).is_ready();
  });
  t.join();
  BOOST_TEST(both_fired);
  // The sleep's entry, and the wait operation of the context's timer, armed because this sleep
  // is the earliest (and only) one.
  BOOST_TEST(first == 2);
  BOOST_TEST(second == 0);  // both blocks again, from this thread's cache
}

BOOST_AUTO_TEST_SUITE_END()

#else

BOOST_AUTO_TEST_SUITE(asio_layer_allocations)
// Under a sanitizer the allocations cannot be counted; the workload still runs (and is checked
// for leaks and races).
BOOST_AUTO_TEST_CASE(many_tasks_doing_as_future_reads_and_writes_complete) {
  constexpr int pairs = 8;
  constexpr int rounds = 50;
  asio::io_context ctx(1);
  std::vector<std::unique_ptr<loopback_pair>> sockets;
  for (int i = 0; i < pairs; ++i) sockets.push_back(std::make_unique<loopback_pair>(ctx));
  std::vector<futura::join_handle<int>> tasks;
  for (auto& p : sockets) {
    tasks.push_back(futura::spawn(ctx, make_echo_end(p->server, false, rounds, [](int) {})));
    tasks.push_back(futura::spawn(ctx, make_echo_end(p->client, true, rounds, [](int) {})));
  }
  ctx.run();
  for (auto& t : tasks) BOOST_TEST(futura::block_on(std::move(t)) == rounds);
}
BOOST_AUTO_TEST_SUITE_END()

#endif
