// Tasks on multi-threaded executors, and the end of execution contexts: a ring of thousands of
// tasks on a 4-thread pool passing tokens (no lost hand-off, no concurrent poll), concurrent
// spawns, abort racing completion, and destroying a context with pending tasks (every future
// destroyed exactly once, wakers racing the destruction never touch the dead context).
#include <support/executor_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/core/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

// ThreadSanitizer slows the hand-offs down about tenfold: the ring passes fewer tokens there.

namespace {

#if FUTURA_HAS_TSAN
constexpr long ring_hand_offs = 100'000;
#else
constexpr long ring_hand_offs = 1'000'000;
#endif

using futura_test::event;

/// A waker slot shared between one task and the threads that wake it.
class waker_slot {
 public:
  void store(const futura::waker& w) {
    std::lock_guard<std::mutex> lock(m_);
    if (!w_.will_wake(w)) w_ = w;
  }
  void wake() {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(m_);
      w = w_;
    }
    w.wake();
  }
  void clear() {
    futura::waker w;
    std::lock_guard<std::mutex> lock(m_);
    std::swap(w, w_);
  }

 private:
  std::mutex m_;
  futura::waker w_;
};

// ---- the ring ----------------------------------------------------------------------------

struct ring_node {
  std::atomic<long> inbox{0};
  waker_slot waker;
  std::atomic<bool> in_poll{false};
};

struct ring {
  ring(std::size_t size, long hand_offs, int tokens) : nodes(size), total(hand_offs), token_count(tokens) {}
  std::vector<ring_node> nodes;
  const long total;
  const int token_count;
  std::atomic<long> hops{0};     // hand-offs attempted (total + token_count when done)
  std::atomic<int> absorbed{0};  // tokens retired after the last hand-off
  std::atomic<bool> done{false};
  std::atomic<int> overlapping_polls{0};
};

/// One member of the ring: passes every token it receives to the next member, one per poll,
/// until `total` hand-offs have been made; then the ring winds down. Output: tokens received.
class ring_member : public futura::future_ext<ring_member> {
 public:
  using output_type = long;
  ring_member(ring* r, std::size_t index) : ring_(r), index_(index) {}

  futura::poll_result<long> poll(futura::waker& w) {
    ring_node& self = ring_->nodes[index_];
    if (self.in_poll.exchange(true, std::memory_order_acq_rel)) ++ring_->overlapping_polls;
    self.waker.store(w);  // before reading the inbox: a token sent after the read wakes us
    // One token per poll; more waiting means a wake during this poll (exactly one more poll).
    if (self.inbox.load(std::memory_order_acquire) > 0) {
      long left = self.inbox.fetch_sub(1, std::memory_order_acq_rel) - 1;
      ++received_;
      pass_on();
      if (left > 0) w.wake();
    }
    bool finished = ring_->done.load(std::memory_order_acquire);
    self.in_poll.store(false, std::memory_order_release);
    if (finished) return received_;
    return futura::pending;
  }

 private:
  void pass_on() {
    if (ring_->hops.fetch_add(1, std::memory_order_relaxed) < ring_->total) {
      ring_node& next = ring_->nodes[(index_ + 1) % ring_->nodes.size()];
      next.inbox.fetch_add(1, std::memory_order_acq_rel);
      next.waker.wake();
    } else if (ring_->absorbed.fetch_add(1) + 1 == ring_->token_count) {
      ring_->done.store(true, std::memory_order_release);
      for (auto& n : ring_->nodes) n.waker.wake();
    }
  }

  ring* ring_;
  std::size_t index_;
  long received_ = 0;
};

// ---- futures that count their own destruction ---------------------------------------------

/// Counts destructions of the live (not moved-from) futures it is attached to.
struct drop_counter {
  std::atomic<int> drops{0};
};

/// Pending until its promise is set (or forever), counting its destruction.
template <class F>
class counted : public futura::future_ext<counted<F>> {
 public:
  using output_type = futura::output_t<F>;
  counted(F f, std::shared_ptr<drop_counter> c) : f_(std::move(f)), counter_(std::move(c)) {}
  counted(counted&&) noexcept = default;
  counted& operator=(counted&&) = delete;
  ~counted() {
    if (counter_) ++counter_->drops;
  }
  futura::poll_result<output_type> poll(futura::waker& w) { return f_.poll(w); }

 private:
  F f_;
  std::shared_ptr<drop_counter> counter_;
};

template <class F>
counted<F> count_drops(F f, const std::shared_ptr<drop_counter>& c) {
  return counted<F>(std::move(f), c);
}

bool is_aborted(const futura::future_error& e) { return e.code() == futura::error::aborted; }

}  // namespace

BOOST_AUTO_TEST_SUITE(executor_threads)

BOOST_AUTO_TEST_CASE(a_ring_of_thousands_of_tasks_on_four_threads_delivers_every_hand_off_with_no_concurrent_poll) {
  constexpr std::size_t members = 2000;
  constexpr int tokens = 16;
  ring r(members, ring_hand_offs, tokens);
  for (int t = 0; t < tokens; ++t) r.nodes[static_cast<std::size_t>(t) * (members / tokens)].inbox = 1;

  boost::asio::thread_pool pool(4);
  std::vector<futura::join_handle<long>> handles;
  handles.reserve(members);
  for (std::size_t i = 0; i < members; ++i) handles.push_back(futura::spawn(pool, ring_member(&r, i)));
  pool.join();  // returns once every task has finished (they are outstanding work until then)

  long received = 0;
  for (auto& h : handles) received += futura::block_on(std::move(h));
  BOOST_TEST(received == ring_hand_offs + tokens);  // every hand-off arrived, plus the initial tokens
  BOOST_TEST(r.hops.load() == ring_hand_offs + tokens);
  BOOST_TEST(r.overlapping_polls.load() == 0);
  for (auto& n : r.nodes) n.waker.clear();
}

BOOST_AUTO_TEST_CASE(external_wakes_racing_polls_on_a_multithreaded_io_context_are_never_lost) {
  constexpr int wakers = 4;
  constexpr int increments = 2000;
  boost::asio::io_context ctx;
  std::atomic<int> counter{0};
  waker_slot slot;
  std::atomic<bool> in_poll{false};
  std::atomic<int> overlapping{0};
  std::atomic<int> polls{0};
  event first_poll;
  auto h = futura::spawn(ctx, futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
                           if (in_poll.exchange(true)) ++overlapping;
                           ++polls;
                           slot.store(w);
                           first_poll.set();
                           int seen = counter.load();
                           in_poll = false;
                           if (seen == wakers * increments) return seen;
                           return futura::pending;
                         }));
  std::vector<std::thread> runners;
  for (int i = 0; i < 3; ++i) runners.emplace_back([&] { ctx.run(); });
  first_poll.wait();
  std::vector<std::thread> threads;
  for (int i = 0; i < wakers; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < increments; ++k) {
        counter.fetch_add(1);
        slot.wake();
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(futura::block_on(std::move(h)) == wakers * increments);
  for (auto& t : runners) t.join();
  BOOST_TEST(overlapping == 0);
  BOOST_TEST(polls <= 1 + wakers * increments);  // never more polls than wakes
  slot.clear();
}

BOOST_AUTO_TEST_CASE(many_threads_spawn_and_join_on_one_thread_pool) {
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  boost::asio::thread_pool pool(4);
  std::atomic<long> sum{0};
  std::vector<std::thread> spawners;
  for (int t = 0; t < threads; ++t) {
    spawners.emplace_back([&, t] {
      std::vector<futura::join_handle<int>> hs;
      for (int i = 0; i < per_thread; ++i) {
        hs.push_back(futura::spawn(pool, futura::yield_now().then([v = t * per_thread + i] { return v; })));
      }
      for (auto& h : hs) sum += futura::block_on(std::move(h));
    });
  }
  for (auto& t : spawners) t.join();
  pool.join();
  const long n = threads * per_thread;
  BOOST_TEST(sum == n * (n - 1) / 2);
}

BOOST_AUTO_TEST_CASE(abort_racing_completion_destroys_the_future_exactly_once_and_the_handle_reports_aborted) {
  constexpr int rounds = 300;
  boost::asio::thread_pool pool(3);
  for (int i = 0; i < rounds; ++i) {
    auto counter = std::make_shared<drop_counter>();
    futura::promise<int> p;
    auto h = futura::spawn(pool, count_drops(p.get_future(), counter));
    std::thread setter([p = std::move(p)]() mutable { p.set_value(1); });
    h.abort();
    BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
    setter.join();
    BOOST_TEST(counter->drops == 1);
  }
  pool.join();
}

BOOST_AUTO_TEST_CASE(destroying_an_io_context_destroys_every_pending_tasks_future_exactly_once) {
  auto counter = std::make_shared<drop_counter>();
  std::vector<futura::promise<int>> promises(40);
  std::vector<futura::join_handle<int>> kept;
  std::vector<futura::waker> outliving_wakers;
  int spawned = 0;
  {
    boost::asio::io_context ctx;
    // Tasks that will be idle, waiting on promises: joinable, detached, and with a handle
    // dropped later (abort requested, never run).
    std::vector<futura::join_handle<int>> to_drop;
    for (int i = 0; i < 10; ++i, ++spawned)
      kept.push_back(futura::spawn(ctx, count_drops(promises[i].get_future(), counter)));
    for (int i = 10; i < 20; ++i, ++spawned)
      futura::spawn_detached(ctx, count_drops(promises[i].get_future(), counter));
    for (int i = 20; i < 25; ++i, ++spawned)
      to_drop.push_back(futura::spawn(ctx, count_drops(promises[i].get_future(), counter)));
    // A task awaiting another task's handle.
    auto inner = futura::spawn(ctx, count_drops(promises[35].get_future(), counter));
    ++spawned;
    kept.push_back(futura::spawn(ctx, count_drops(std::move(inner), counter)));
    ++spawned;
    // A task whose waker outlives everything.
    std::optional<futura::waker> grabbed;
    kept.push_back(
        futura::spawn(ctx, count_drops(futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
                                         grabbed.emplace(w);
                                         return futura::pending;
                                       }),
                                       counter)));
    ++spawned;
    ctx.poll();  // first polls: all idle now
    BOOST_REQUIRE(grabbed);
    outliving_wakers.push_back(*grabbed);
    grabbed.reset();

    // From here on nothing runs: what follows stays queued until the context is destroyed.
    to_drop.clear();  // abort requested: a runner is queued for each
    for (int i = 25; i < 35; ++i, ++spawned)
      kept.push_back(futura::spawn(ctx, count_drops(promises[i].get_future(), counter)));
    promises[0].set_value(0);  // woken: a runner is queued
    promises[10].set_value(0);
    BOOST_TEST(counter->drops == 0);
  }
  BOOST_TEST(counter->drops == spawned);  // every future destroyed, each exactly once
  // After the context: every handle reports aborted, wakes and sets do nothing.
  for (auto& w : outliving_wakers) w.wake();
  std::thread late_setter([&] {
    for (std::size_t i = 1; i < promises.size(); ++i) {
      if (i != 10) promises[i].set_value(1);
    }
  });
  late_setter.join();
  for (auto& h : kept) {
    BOOST_TEST(h.is_finished());
    BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
  }
  BOOST_TEST(counter->drops == spawned);
}

BOOST_AUTO_TEST_CASE(destroying_a_thread_pool_destroys_every_pending_tasks_future_exactly_once) {
  auto counter = std::make_shared<drop_counter>();
  std::vector<futura::promise<int>> promises(50);
  std::vector<futura::join_handle<int>> kept;
  {
    boost::asio::thread_pool pool(2);
    for (std::size_t i = 0; i < promises.size(); ++i) {
      auto h = futura::spawn(i % 2 ? boost::asio::any_io_executor(boost::asio::make_strand(pool))
                                   : boost::asio::any_io_executor(pool.get_executor()),
                             count_drops(promises[i].get_future(), counter));
      if (i % 3 == 0) {
        h.detach();
      } else {
        kept.push_back(std::move(h));
      }
    }
    pool.stop();
  }
  BOOST_TEST(counter->drops == static_cast<int>(promises.size()));
  for (auto& h : kept) BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
}

BOOST_AUTO_TEST_CASE(wakes_racing_the_destruction_of_the_context_never_touch_it) {
  constexpr int rounds = 50;
  for (int round = 0; round < rounds; ++round) {
    auto counter = std::make_shared<drop_counter>();
    waker_slot slot;
    std::atomic<bool> stop{false};
    event armed;
    std::thread waker_thread;
    {
      auto ctx = std::make_unique<boost::asio::io_context>();
      auto h = futura::spawn(*ctx, count_drops(futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
                                                 slot.store(w);
                                                 return futura::pending;
                                               }),
                                               counter));
      h.detach();
      ctx->poll();
      waker_thread = std::thread([&] {
        armed.set();
        while (!stop.load()) slot.wake();  // posts while the context may be shutting down
      });
      armed.wait();
      ctx.reset();  // shutdown waits for a wake that is inside execute(), later wakes do nothing
      BOOST_TEST(counter->drops == 1);
    }
    stop = true;
    waker_thread.join();
    slot.clear();
  }
}

/// Spawns a task on `ctx` when destroyed: what a future's destructor may do during shutdown.
class spawns_when_dropped : public futura::future_ext<spawns_when_dropped> {
 public:
  using output_type = int;
  spawns_when_dropped(boost::asio::io_context& ctx, std::shared_ptr<drop_counter> c,
                      std::optional<futura::join_handle<int>>& late)
      : ctx_(&ctx), counter_(std::move(c)), late_(&late) {}
  spawns_when_dropped(spawns_when_dropped&& o) noexcept
      : ctx_(std::exchange(o.ctx_, nullptr)), counter_(std::move(o.counter_)), late_(o.late_) {}
  spawns_when_dropped& operator=(spawns_when_dropped&&) = delete;
  ~spawns_when_dropped() {
    if (ctx_) late_->emplace(futura::spawn(*ctx_, count_drops(futura::pending_forever<int>(), counter_)));
  }
  futura::poll_result<int> poll(futura::waker&) { return futura::pending; }

 private:
  boost::asio::io_context* ctx_;
  std::shared_ptr<drop_counter> counter_;
  std::optional<futura::join_handle<int>>* late_;
};

BOOST_AUTO_TEST_CASE(a_task_spawned_while_its_context_shuts_down_is_aborted_at_once) {
  auto counter = std::make_shared<drop_counter>();
  std::optional<futura::join_handle<int>> late;
  {
    boost::asio::io_context ctx;
    futura::spawn_detached(ctx, spawns_when_dropped(ctx, counter, late));
    ctx.poll();
  }
  BOOST_REQUIRE(late);
  BOOST_TEST(counter->drops == 1);  // the late task's future was destroyed right away
  BOOST_TEST(late->is_finished());
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(*late)), futura::future_error, is_aborted);
}

BOOST_AUTO_TEST_CASE(abort_from_many_threads_at_once_destroys_each_future_once) {
  boost::asio::io_context ctx;
  auto counter = std::make_shared<drop_counter>();
  constexpr int tasks = 200;
  std::vector<futura::promise<int>> promises(tasks);
  std::vector<futura::join_handle<int>> handles;
  for (auto& p : promises) handles.push_back(futura::spawn(ctx, count_drops(p.get_future(), counter)));
  std::thread runner([&] { ctx.run(); });
  std::vector<std::thread> aborters;
  for (int t = 0; t < 4; ++t) {
    aborters.emplace_back([&, t] {
      for (int i = t; i < tasks; i += 4) handles[static_cast<std::size_t>(i)].abort();
    });
  }
  for (auto& t : aborters) t.join();
  runner.join();  // every task was aborted: no work left
  BOOST_TEST(counter->drops == tasks);
  for (auto& h : handles) BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
}

BOOST_AUTO_TEST_SUITE_END()
