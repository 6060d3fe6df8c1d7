// spawn / spawn_detached: every kind of Asio executor and context, laziness, outstanding work
// (run() returns only when every task finished), one allocation per task, one execute() per
// wake, and spawning from inside a task.
#include <support/asio_allocation_counter.hpp>  // one per program: see the header
#include <support/executor_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/spawn.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using futura_test::event;

/// A standard executor wrapping another one and counting its execute() calls: proves spawn
/// works with any executor type, and how many posts a task costs.
template <class Inner>
class counting_executor {
 public:
  counting_executor(Inner inner, std::shared_ptr<std::atomic<int>> count) noexcept
      : inner_(std::move(inner)), count_(std::move(count)) {}

  template <class F>
  void execute(F&& f) const {
    if (++*count_ <= 0) throw std::bad_alloc();  // a count set below zero makes execute() fail
    inner_.execute(std::forward<F>(f));
  }

  template <class P, class = decltype(boost::asio::query(std::declval<const Inner&>(), std::declval<const P&>()))>
  decltype(auto) query(const P& p) const {
    return boost::asio::query(inner_, p);
  }
  template <class P, class I = std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(),
                                                                          std::declval<const P&>()))>>
  counting_executor<I> require(const P& p) const {
    return {boost::asio::require(inner_, p), count_};
  }
  template <class P, class I = std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(),
                                                                         std::declval<const P&>()))>>
  counting_executor<I> prefer(const P& p) const {
    return {boost::asio::prefer(inner_, p), count_};
  }

  friend bool operator==(const counting_executor& a, const counting_executor& b) noexcept {
    return a.inner_ == b.inner_ && a.count_ == b.count_;
  }
  friend bool operator!=(const counting_executor& a, const counting_executor& b) noexcept { return !(a == b); }

 private:
  template <class>
  friend class counting_executor;
  Inner inner_;
  std::shared_ptr<std::atomic<int>> count_;
};

futura::lazy_future<int (*)()> answer() {
  return futura::lazy(+[] { return 42; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spawn)

BOOST_AUTO_TEST_CASE(spawn_on_an_io_context_runs_the_task_and_the_handle_yields_its_value) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::ready(20).then([](int x) { return x + 22; }));
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 42);
}

BOOST_AUTO_TEST_CASE(spawn_on_an_io_context_executor) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx.get_executor(), answer());
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 42);
}

BOOST_AUTO_TEST_CASE(spawn_on_a_strand) {
  boost::asio::io_context ctx;
  auto strand = boost::asio::make_strand(ctx);
  bool in_strand = false;
  auto h = futura::spawn(strand, futura::lazy([&] {
                           in_strand = strand.running_in_this_thread();
                           return 42;
                         }));
  ctx.run();
  BOOST_TEST(in_strand);
  BOOST_TEST(futura::block_on(std::move(h)) == 42);
}

BOOST_AUTO_TEST_CASE(spawn_on_an_any_io_executor) {
  boost::asio::io_context ctx;
  boost::asio::any_io_executor ex = ctx.get_executor();
  auto h = futura::spawn(ex, answer());
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 42);
}

BOOST_AUTO_TEST_CASE(spawn_on_a_thread_pool_its_executor_and_a_strand_of_it) {
  boost::asio::thread_pool pool(2);
  auto a = futura::spawn(pool, answer());
  auto b = futura::spawn(pool.get_executor(), answer());
  auto c = futura::spawn(boost::asio::make_strand(pool), answer());
  auto d = futura::spawn(boost::asio::any_io_executor(pool.get_executor()), answer());
  BOOST_TEST(futura::block_on(std::move(a)) == 42);
  BOOST_TEST(futura::block_on(std::move(b)) == 42);
  BOOST_TEST(futura::block_on(std::move(c)) == 42);
  BOOST_TEST(futura::block_on(std::move(d)) == 42);
  pool.join();
}

BOOST_AUTO_TEST_CASE(spawn_on_a_custom_executor_costs_one_execute_per_poll) {
  boost::asio::io_context ctx;
  auto executes = std::make_shared<std::atomic<int>>(0);
  counting_executor<boost::asio::io_context::executor_type> ex(ctx.get_executor(), executes);
  futura::promise<int> p;
  auto h = futura::spawn(ex, p.get_future());
  BOOST_TEST(*executes == 1);  // the first poll
  ctx.poll();
  p.set_value(3);
  BOOST_TEST(*executes == 2);  // the wake
  ctx.run();
  BOOST_TEST(*executes == 2);
  BOOST_TEST(futura::block_on(std::move(h)) == 3);
}

BOOST_AUTO_TEST_CASE(a_spawn_whose_first_post_fails_throws_and_leaves_nothing_behind) {
  futura_test::tracked::reset();
  boost::asio::io_context ctx;
  auto executes = std::make_shared<std::atomic<int>>(-1);  // the next execute() throws
  counting_executor<boost::asio::io_context::executor_type> failing(ctx.get_executor(), executes);
  BOOST_CHECK_THROW((void)futura::spawn(failing, futura::ready(futura_test::tracked(1))), std::bad_alloc);
  BOOST_TEST(futura_test::tracked::alive() == 0);  // the future was destroyed, once
  ctx.poll();
  BOOST_TEST(ctx.stopped());                          // and its work was released
  auto h = futura::spawn(failing, futura::ready(2));  // the executor works again
  ctx.restart();
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 2);
}

BOOST_AUTO_TEST_CASE(nothing_runs_inside_spawn_the_first_poll_is_posted) {
  boost::asio::io_context ctx;
  bool ran = false;
  auto h = futura::spawn(ctx, futura::lazy([&] { ran = true; }));
  BOOST_TEST(!ran);
  ctx.run();
  BOOST_TEST(ran);
  BOOST_TEST((futura::block_on(std::move(h)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(an_unfinished_task_counts_as_outstanding_work_so_run_returns_only_after_it) {
  boost::asio::io_context ctx;
  futura::promise<int> p;
  event first_poll;
  auto h = futura::spawn(ctx, futura::lazy([&] {
                                first_poll.set();
                                return 0;
                              }).then([f = p.get_future()](int) mutable { return std::move(f); }));
  ctx.poll();
  BOOST_TEST(!ctx.stopped());  // poll() stops a context that has no work left: this one has
  std::thread setter([&] {
    first_poll.wait();
    p.set_value(5);
  });
  ctx.run();  // returns only once the task has finished
  setter.join();
  BOOST_TEST(ctx.stopped());
  BOOST_TEST(h.is_finished());
  BOOST_TEST(futura::block_on(std::move(h)) == 5);
}

BOOST_AUTO_TEST_CASE(a_finished_task_releases_its_work) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::ready(1));
  ctx.poll();
  BOOST_TEST(h.is_finished());
  ctx.restart();
  ctx.poll();
  BOOST_TEST(ctx.stopped());  // nothing outstanding once the task has finished
}

BOOST_AUTO_TEST_CASE(run_on_several_threads_returns_when_every_task_has_finished) {
  boost::asio::io_context ctx;
  std::vector<futura::promise<int>> promises(64);
  std::vector<futura::join_handle<int>> handles;
  for (auto& p : promises) handles.push_back(futura::spawn(ctx, p.get_future().then([](int v) { return v * 2; })));
  std::vector<std::thread> runners;
  for (int i = 0; i < 3; ++i) runners.emplace_back([&] { ctx.run(); });
  for (std::size_t i = 0; i < promises.size(); ++i) promises[i].set_value(static_cast<int>(i));
  for (auto& t : runners) t.join();
  for (std::size_t i = 0; i < handles.size(); ++i) {
    BOOST_TEST(handles[i].is_finished());
    BOOST_TEST(futura::block_on(std::move(handles[i])) == static_cast<int>(2 * i));
  }
}

BOOST_AUTO_TEST_CASE(a_task_can_spawn_and_await_other_tasks) {
  boost::asio::io_context ctx;
  auto parent = futura::spawn(
      ctx, futura::lazy([&ctx] {
        auto child = futura::spawn(ctx, futura::yield_now().then([] { return 40; }));
        return std::move(child).then([&ctx](int v) { return futura::spawn(ctx.get_executor(), futura::ready(v + 2)); });
      }));
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(parent)) == 42);
}

BOOST_AUTO_TEST_CASE(a_move_only_future_is_moved_into_its_task) {
  boost::asio::io_context ctx;
  futura::promise<std::unique_ptr<int>> p;
  futura::promise_future<std::unique_ptr<int>> f = p.get_future();
  auto h = futura::spawn(ctx, std::move(f));
  p.set_value(std::make_unique<int>(6));
  ctx.run();
  BOOST_TEST(*futura::block_on(std::move(h)) == 6);
}

BOOST_AUTO_TEST_CASE(tasks_on_one_strand_of_a_thread_pool_never_run_concurrently) {
  boost::asio::thread_pool pool(4);
  auto strand = boost::asio::make_strand(pool);
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<futura::join_handle<futura::unit>> handles;
  for (int i = 0; i < 200; ++i) {
    handles.push_back(futura::spawn(
        strand,
        futura::poll_fn<futura::unit>([&, n = 0](futura::waker& w) mutable -> futura::poll_result<futura::unit> {
          if (inside.fetch_add(1) != 0) ++overlaps;
          bool done = ++n == 5;
          if (!done) w.wake();
          inside.fetch_sub(1);
          if (done) return futura::unit{};
          return futura::pending;
        })));
  }
  for (auto& h : handles) futura::block_on(std::move(h));
  pool.join();
  BOOST_TEST(overlaps == 0);
}

#ifndef FUTURA_TEST_SANITIZED
BOOST_AUTO_TEST_CASE(spawn_allocates_one_block_per_task_that_also_holds_asios_operation) {
  futura_test::allocation_count heap;  // every thread's allocations, read as differences
  boost::asio::io_context ctx;
  // Warm up: the context's task list service and futura's logger are made once.
  auto warm = futura::spawn(ctx, futura::ready(0));
  ctx.run();
  ctx.restart();
  BOOST_TEST(futura::block_on(std::move(warm)) == 0);

  auto f = futura::ready(std::string(64, 'x')).then([](std::string s) { return s.size(); });
  auto before = heap();
  auto h = futura::spawn(ctx, std::move(f));
  // Outside a run() call Asio's recycling caches are not reachable, so this is a real heap
  // allocation; the operation of the first post lives in the task block.
  BOOST_TEST(heap() - before == 1);
  before = heap();
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 64u);
  BOOST_TEST(heap() - before == 0);  // polling, completing and joining: nothing
}

BOOST_AUTO_TEST_CASE(spawning_and_joining_inside_a_running_task_reuses_memory_in_steady_state) {
  futura_test::allocation_count heap;  // every thread's allocations, read as differences
  boost::asio::io_context ctx;
  long during_last_rounds = -1;
  auto driver = futura::spawn(ctx, futura::poll_fn<int>([&, round = 0, child = futura::join_handle<int>(), mark = 0L](
                                                            futura::waker& w) mutable -> futura::poll_result<int> {
                                for (;;) {
                                  if (!child.valid()) {
                                    if (round == 100) mark = heap();
                                    if (round == 200) {
                                      during_last_rounds = heap() - mark;
                                      return round;
                                    }
                                    child = futura::spawn(ctx, futura::ready(round));
                                  }
                                  auto r = child.poll(w);
                                  if (r.is_pending()) return futura::pending;
                                  child = futura::join_handle<int>();
                                  ++round;
                                }
                              }));
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(driver)) == 200);
  BOOST_TEST(during_last_rounds == 0);  // task blocks and Asio operations come from the recycling cache
}
#endif

BOOST_AUTO_TEST_CASE(a_context_made_where_a_destroyed_one_lived_gets_a_task_list_of_its_own) {
  std::optional<boost::asio::io_context> ctx;
  for (int round = 0; round < 3; ++round) {
    ctx.emplace();  // the same address every round
    futura::promise<int> p;
    auto pending = futura::spawn(*ctx, p.get_future());
    auto h = futura::spawn(*ctx, futura::ready(round));
    ctx->poll();
    BOOST_TEST(futura::block_on(std::move(h)) == round);
    ctx.reset();  // destroys `pending`'s future: the handle reports aborted
    BOOST_CHECK_EXCEPTION(futura::block_on(std::move(pending)), futura::future_error,
                          [](const futura::future_error& e) { return e.code() == futura::error::aborted; });
  }
}

BOOST_AUTO_TEST_CASE(task_ids_are_unique_and_increasing_on_a_thread_across_its_blocks_of_ids) {
  // A thread takes ids from the global counter in blocks of 1024: 3000 spawns cross two
  // refills, and a second thread's ids never collide with the first's.
  boost::asio::io_context ctx;
  std::vector<futura::join_handle<int>> handles;
  for (int i = 0; i < 3000; ++i) handles.push_back(futura::spawn(ctx, futura::ready(i)));
  std::vector<std::uint64_t> other;
  std::thread([&] {
    for (int i = 0; i < 1500; ++i) other.push_back(futura::spawn(ctx, futura::ready(i)).id());
  }).join();
  for (std::size_t i = 1; i < handles.size(); ++i) BOOST_TEST(handles[i].id() > handles[i - 1].id());
  for (std::size_t i = 1; i < other.size(); ++i) BOOST_TEST(other[i] > other[i - 1]);
  std::vector<std::uint64_t> all(other);
  for (const auto& h : handles) all.push_back(h.id());
  std::sort(all.begin(), all.end());
  BOOST_TEST((std::adjacent_find(all.begin(), all.end()) == all.end()));  // no id given twice
  BOOST_TEST(all.front() > 0u);
  ctx.run();
  for (int i = 0; i < 3000; ++i) BOOST_TEST(futura::block_on(std::move(handles[static_cast<std::size_t>(i)])) == i);
}

BOOST_AUTO_TEST_CASE(spawn_detached_works_on_every_kind_of_executor) {
  boost::asio::io_context ctx;
  boost::asio::thread_pool pool(1);
  std::atomic<int> runs{0};
  auto count = [&] { return futura::lazy([&] { ++runs; }); };
  futura::spawn_detached(ctx, count());
  futura::spawn_detached(ctx.get_executor(), count());
  futura::spawn_detached(boost::asio::make_strand(ctx), count());
  futura::spawn_detached(boost::asio::any_io_executor(ctx.get_executor()), count());
  futura::spawn_detached(pool, count());
  ctx.run();
  pool.join();  // returns once the detached task has finished: it counted as work
  BOOST_TEST(runs == 5);
}

BOOST_AUTO_TEST_SUITE_END()
