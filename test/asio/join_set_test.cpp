// join_set: tasks joined in completion order; a task's exception rethrown with the set still
// usable; aborts through a handle and abort_all (never yielded, gone from size() once their
// futures are destroyed); detach_all; destruction aborts; join_next on an empty set; wake
// counts; a dropped join_next loses no task; 10^5 tasks on a thread_pool, with and without aborts.
#include <support/probe.hpp>
#include <support/stress.hpp>

#include <futura/asio/join_set.hpp>
#include <futura/core.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

/// Counts the futures of the tasks destroyed, and the tasks that ran to their end.
struct task_counters {
  std::atomic<int> destroyed{0};
  std::atomic<int> completed{0};
};

/// A future that yields what its gate (a promise's future) yields, counting its destruction and
/// its completion.
class counted_future : public futura::future_ext<counted_future> {
 public:
  using output_type = int;
  counted_future(std::shared_ptr<task_counters> c, futura::promise_future<int> gate)
      : counters_(std::move(c)), gate_(std::move(gate)) {}
  counted_future(counted_future&& o) noexcept = default;
  counted_future& operator=(counted_future&&) = delete;
  counted_future(const counted_future&) = delete;
  counted_future& operator=(const counted_future&) = delete;
  ~counted_future() {
    if (counters_) counters_->destroyed.fetch_add(1, std::memory_order_relaxed);
  }
  futura::poll_result<int> poll(futura::waker& w) {
    futura::poll_result<int> r = gate_.poll(w);
    if (r.is_ready()) counters_->completed.fetch_add(1, std::memory_order_relaxed);
    return r;
  }

 private:
  std::shared_ptr<task_counters> counters_;
  futura::promise_future<int> gate_;
};

/// `n` gates and the futures that wait on them.
struct gated_tasks {
  explicit gated_tasks(int n) : gates(static_cast<std::size_t>(n)) {}
  counted_future future(int i) { return counted_future(counters, gates[static_cast<std::size_t>(i)].get_future()); }
  std::shared_ptr<task_counters> counters = std::make_shared<task_counters>();
  std::vector<futura::promise<int>> gates;
};

template <class T>
std::optional<T> poll_ready(futura::join_next_future<T>& f, futura::waker& w) {
  futura::poll_result<std::optional<T>> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  return r.take();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(join_set)

BOOST_AUTO_TEST_CASE(tasks_are_joined_in_the_order_they_finish) {
  boost::asio::io_context ctx;
  gated_tasks tasks(3);
  futura::join_set<int> set;
  for (int i = 0; i < 3; ++i) set.spawn(ctx, tasks.future(i));
  ctx.poll();  // every task polled once: pending
  BOOST_TEST(set.size() == 3U);
  for (int i : {2, 0, 1}) {
    tasks.gates[static_cast<std::size_t>(i)].set_value(10 * i);
    ctx.poll();
  }
  BOOST_TEST(set.size() == 3U);  // finished, not joined yet: still counted
  std::vector<int> order;
  while (std::optional<int> v = futura::block_on(set.join_next())) order.push_back(*v);
  BOOST_TEST(order == (std::vector<int>{20, 0, 10}), boost::test_tools::per_element());
  BOOST_TEST(set.empty());
  BOOST_TEST(tasks.counters->destroyed.load() == 3);
}

BOOST_AUTO_TEST_CASE(join_next_on_an_empty_set_is_nullopt_at_once) {
  futura::join_set<int> set;
  BOOST_TEST(set.empty());
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
  futura::join_set<futura::unit> nothing;
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  auto f = nothing.join_next();
  BOOST_TEST(!poll_ready(f, w).has_value());
  BOOST_TEST(cw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(a_tasks_exception_is_rethrown_and_the_set_stays_usable) {
  boost::asio::io_context ctx;
  futura::join_set<std::string> set;
  set.spawn(ctx, futura::lazy([]() -> std::string { throw std::runtime_error("task failed"); }));
  ctx.run();
  ctx.restart();
  set.spawn(ctx, futura::lazy([] { return std::string("after"); }));
  BOOST_TEST(set.size() == 2U);
  BOOST_CHECK_EXCEPTION(futura::block_on(set.join_next()), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "task failed"; });
  BOOST_TEST(set.size() == 1U);
  ctx.run();
  BOOST_TEST(*futura::block_on(set.join_next()) == "after");
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
}

BOOST_AUTO_TEST_CASE(a_join_next_that_rethrew_is_complete) {
  boost::asio::io_context ctx;
  futura::join_set<int> set;
  set.spawn(ctx, futura::lazy([]() -> int { throw std::runtime_error("x"); }));
  ctx.run();
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  auto f = set.join_next();
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
#if !FUTURA_ASSERT_ON_MISUSE
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, futura_test::is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(join_next_is_woken_once_per_batch_of_completions) {
  boost::asio::io_context ctx;
  gated_tasks tasks(3);
  futura_test::counting_waker cw;
  {
    futura::join_set<int> set;
    for (int i = 0; i < 3; ++i) set.spawn(ctx, tasks.future(i));
    ctx.poll();
    futura::waker w = cw.make();
    auto f = set.join_next();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(cw.wakes() == 0);
    tasks.gates[1].set_value(1);
    tasks.gates[0].set_value(0);
    BOOST_TEST(cw.wakes() == 0);  // the tasks complete on their executor
    ctx.poll();
    BOOST_TEST(cw.wakes() == 1);  // two completions, one wake
    BOOST_TEST(*poll_ready(f, w) == 1);
    auto g = set.join_next();
    BOOST_TEST(*poll_ready(g, w) == 0);  // already collected: ready without a wake
    auto h = set.join_next();
    BOOST_TEST(h.poll(w).is_pending());
    tasks.gates[2].set_value(2);
    ctx.poll();
    BOOST_TEST(cw.wakes() == 2);
    BOOST_TEST(*poll_ready(h, w) == 2);
    auto last = set.join_next();
    BOOST_TEST(!poll_ready(last, w).has_value());
  }
  BOOST_TEST(cw.live_clones() == 0);  // the set let go of the waker registered in it
}

BOOST_AUTO_TEST_CASE(a_task_finished_before_spawn_returns_is_joined) {
  // On a thread_pool the task may finish before the set registers its waker in the task.
  boost::asio::thread_pool pool(2);
  futura::join_set<int> set;
  const long rounds = futura_test::rounds(2000, 200);
  for (long r = 0; r < rounds; ++r) {
    set.spawn(pool, futura::ready(static_cast<int>(r)));
    BOOST_REQUIRE(*futura::block_on(set.join_next()) == static_cast<int>(r));
  }
  BOOST_TEST(set.empty());
  pool.join();
}

BOOST_AUTO_TEST_CASE(a_task_aborted_through_its_handle_is_not_yielded_and_leaves_once_destroyed) {
  boost::asio::io_context ctx;
  gated_tasks tasks(2);
  futura::join_set<int> set;
  futura::task_abort_handle first = set.spawn(ctx, tasks.future(0));
  futura::task_abort_handle second = set.spawn(ctx, tasks.future(1));
  ctx.poll();
  BOOST_TEST(!first.is_finished());
  first.abort();
  BOOST_TEST(set.size() == 2U);  // requested; the future is destroyed on the executor
  BOOST_TEST(tasks.counters->destroyed.load() == 0);
  ctx.poll();
  BOOST_TEST(first.is_finished());
  BOOST_TEST(tasks.counters->destroyed.load() == 1);
  BOOST_TEST(set.size() == 1U);
  tasks.gates[1].set_value(7);
  ctx.poll();
  BOOST_TEST(second.is_finished());
  BOOST_TEST(*futura::block_on(set.join_next()) == 7);
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
  first.abort();  // after the task is gone: nothing
  BOOST_TEST(first.id() != 0U);
}

BOOST_AUTO_TEST_CASE(an_abort_wakes_a_pending_join_next_which_then_ends) {
  boost::asio::io_context ctx;
  gated_tasks tasks(1);
  futura::join_set<int> set;
  futura::task_abort_handle h = set.spawn(ctx, tasks.future(0));
  ctx.poll();
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  auto f = set.join_next();
  BOOST_TEST(f.poll(w).is_pending());
  h.abort();
  ctx.poll();
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(!poll_ready(f, w).has_value());
}

BOOST_AUTO_TEST_CASE(dropping_a_handle_does_not_abort_its_task) {
  boost::asio::io_context ctx;
  futura::join_set<int> set;
  { futura::task_abort_handle h = set.spawn(ctx, futura::ready(3)); }
  ctx.run();
  BOOST_TEST(*futura::block_on(set.join_next()) == 3);
}

BOOST_AUTO_TEST_CASE(abort_all_drops_every_task_also_finished_ones) {
  boost::asio::io_context ctx;
  gated_tasks tasks(3);
  futura::join_set<int> set;
  for (int i = 0; i < 3; ++i) set.spawn(ctx, tasks.future(i));
  ctx.poll();
  tasks.gates[0].set_value(0);
  ctx.poll();                    // task 0 finished, not joined
  BOOST_TEST(set.size() == 3U);  // (and collected by size())
  set.abort_all();
  BOOST_TEST(set.size() == 2U);  // the finished one is dropped at once
  ctx.poll();
  BOOST_TEST(tasks.counters->destroyed.load() == 3);
  BOOST_TEST(tasks.counters->completed.load() == 1);
  BOOST_TEST(set.empty());
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
  // Still usable.
  ctx.restart();  // (the context ran out of work)
  set.spawn(ctx, futura::ready(5));
  ctx.run();
  BOOST_TEST(*futura::block_on(set.join_next()) == 5);
}

BOOST_AUTO_TEST_CASE(detach_all_empties_the_set_and_the_tasks_run_to_completion) {
  boost::asio::io_context ctx;
  gated_tasks tasks(3);
  futura::join_set<int> set;
  for (int i = 0; i < 3; ++i) set.spawn(ctx, tasks.future(i));
  ctx.poll();
  set.detach_all();
  BOOST_TEST(set.empty());
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
  for (futura::promise<int>& p : tasks.gates) p.set_value(1);
  ctx.run();
  BOOST_TEST(tasks.counters->completed.load() == 3);
  BOOST_TEST(tasks.counters->destroyed.load() == 3);
}

BOOST_AUTO_TEST_CASE(destroying_the_set_aborts_its_tasks) {
  boost::asio::io_context ctx;
  gated_tasks tasks(3);
  {
    futura::join_set<int> set;
    for (int i = 0; i < 3; ++i) set.spawn(ctx, tasks.future(i));
    ctx.poll();
    tasks.gates[0].set_value(0);
    ctx.poll();  // one finished, not joined
  }
  BOOST_TEST(tasks.counters->destroyed.load() == 1);  // the others go on their executor
  ctx.run();                                          // returns: no task is left as work
  BOOST_TEST(tasks.counters->destroyed.load() == 3);
  BOOST_TEST(tasks.counters->completed.load() == 1);
}

BOOST_AUTO_TEST_CASE(move_assignment_aborts_the_tasks_it_replaces) {
  boost::asio::io_context ctx;
  gated_tasks tasks(2);
  futura::join_set<int> a;
  futura::join_set<int> b;
  a.spawn(ctx, tasks.future(0));
  b.spawn(ctx, tasks.future(1));
  ctx.poll();
  a = std::move(b);
  ctx.poll();
  BOOST_TEST(tasks.counters->destroyed.load() == 1);
  BOOST_TEST(a.size() == 1U);
  futura::join_set<int> c(std::move(a));
  BOOST_TEST(c.size() == 1U);
  tasks.gates[1].set_value(9);
  ctx.poll();
  BOOST_TEST(*futura::block_on(c.join_next()) == 9);
}

BOOST_AUTO_TEST_CASE(a_dropped_pending_join_next_loses_no_task) {
  boost::asio::io_context ctx;
  gated_tasks tasks(2);
  futura::join_set<int> set;
  for (int i = 0; i < 2; ++i) set.spawn(ctx, tasks.future(i));
  ctx.poll();
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  {
    auto f = set.join_next();
    BOOST_TEST(f.poll(w).is_pending());
  }
  tasks.gates[1].set_value(1);
  ctx.poll();
  {
    auto f = set.join_next();
    BOOST_TEST(f.poll(w).is_pending() == false);
  }
  // The first one's value went nowhere: it was yielded by the second future. The other task:
  tasks.gates[0].set_value(0);
  ctx.poll();
  BOOST_TEST(*futura::block_on(set.join_next()) == 0);
  BOOST_TEST(set.empty());
}

BOOST_AUTO_TEST_CASE(a_dropped_join_next_after_collecting_loses_no_task) {
  boost::asio::io_context ctx;
  gated_tasks tasks(2);
  futura::join_set<int> set;
  for (int i = 0; i < 2; ++i) set.spawn(ctx, tasks.future(i));
  ctx.poll();
  tasks.gates[0].set_value(10);
  tasks.gates[1].set_value(11);
  ctx.poll();
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  {
    auto f = set.join_next();
    BOOST_TEST(*poll_ready(f, w) == 10);  // collected both, yielded one
  }
  (void)set.join_next();  // dropped unpolled: lazy, it took nothing
  BOOST_TEST(*futura::block_on(set.join_next()) == 11);
}

BOOST_AUTO_TEST_CASE(outputs_left_in_the_set_are_destroyed_with_it) {
  futura_test::tracked::reset();
  {
    boost::asio::io_context ctx;
    futura::join_set<futura_test::tracked> set;
    for (int i = 0; i < 3; ++i) set.spawn(ctx, futura::lazy([i] { return futura_test::tracked(i); }));
    ctx.run();
    BOOST_TEST(futura_test::tracked::alive() == 3);
    BOOST_TEST(futura::block_on(set.join_next())->value >= 0);
    BOOST_TEST(futura_test::tracked::alive() == 2);
  }
  BOOST_TEST(futura_test::tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_set_of_unit_joins_futures_of_nothing) {
  boost::asio::io_context ctx;
  int ran = 0;
  futura::join_set<futura::unit> set;
  for (int i = 0; i < 4; ++i) set.spawn(ctx, futura::lazy([&ran] { ++ran; }));
  ctx.run();
  int joined = 0;
  for (int k = 0; k < 5 && futura::block_on(set.join_next()).has_value(); ++k) ++joined;
  BOOST_TEST(ran == 4);
  BOOST_TEST(joined == 4);
}

BOOST_AUTO_TEST_CASE(a_copied_handle_aborts_the_same_task_and_may_outlive_the_set) {
  boost::asio::io_context ctx;
  gated_tasks tasks(1);
  futura::task_abort_handle copy;
  BOOST_TEST(!copy.is_finished());
  copy.abort();  // an empty handle: nothing
  {
    futura::join_set<int> set;
    futura::task_abort_handle h = set.spawn(ctx, tasks.future(0));
    copy = h;
    BOOST_TEST(copy.id() == h.id());
    ctx.poll();
    copy.abort();
    ctx.poll();
    BOOST_TEST(h.is_finished());
    BOOST_TEST(set.empty());
  }
  BOOST_TEST(copy.is_finished());
  BOOST_TEST(tasks.counters->destroyed.load() == 1);
}

BOOST_AUTO_TEST_CASE(tasks_of_a_destroyed_context_leave_the_set_unyielded) {
  futura::join_set<int> set;
  {
    boost::asio::io_context ctx;
    set.spawn(ctx, futura::pending_forever<int>());  // polled: in the context's live-task list
    ctx.poll();
    set.spawn(ctx, futura::ready(1));  // never polled: its queued first run is dropped
  }
  BOOST_TEST(set.empty());
  BOOST_TEST(!futura::block_on(set.join_next()).has_value());
}

// Also races a spawn's registration in a task's join slot with the task's completion taking that
// slot (the registration then wakes the entry itself): an entry queued twice would cut the ready
// queue, and the joins here would hang.
BOOST_AUTO_TEST_CASE(tasks_on_a_thread_pool_are_all_joined_from_another_thread) {
  const int n = static_cast<int>(futura_test::rounds(100000, 5000));
  boost::asio::thread_pool pool(2);
  futura::join_set<int> set;
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      set.spawn(pool, futura::ready(i));
    } else {
      set.spawn(pool, futura::yield_now().then([i] { return i; }));
    }
  }
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  long joined = 0;
  long sum = 0;
  for (long k = 0; k <= n; ++k) {  // bounded: n joins and the end
    std::optional<int> v = futura::block_on(set.join_next());
    if (!v) break;
    BOOST_REQUIRE(*v >= 0 && *v < n);
    BOOST_REQUIRE(seen[static_cast<std::size_t>(*v)] == 0);
    seen[static_cast<std::size_t>(*v)] = 1;
    ++joined;
    sum += *v;
  }
  BOOST_TEST(joined == n);
  BOOST_TEST(sum == static_cast<long>(n) * (n - 1) / 2);
  BOOST_TEST(set.empty());
  pool.join();
}

BOOST_AUTO_TEST_CASE(tasks_on_a_thread_pool_with_aborts_are_joined_or_gone) {
  const int n = static_cast<int>(futura_test::rounds(100000, 5000));
  auto counters = std::make_shared<task_counters>();
  boost::asio::thread_pool pool(2);
  futura::join_set<int> set;
  std::vector<futura::promise<int>> gates(static_cast<std::size_t>(n));
  std::vector<futura::task_abort_handle> to_abort;
  for (int i = 0; i < n; ++i) {
    futura::task_abort_handle h =
        set.spawn(pool, counted_future(counters, gates[static_cast<std::size_t>(i)].get_future()));
    if (i % 3 == 0) to_abort.push_back(std::move(h));
  }
  // Aborts and completions race on the pool's threads while this thread joins.
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  long joined = 0;
  {
    futura_test::joining_thread completer([&] {
      for (int i = 0; i < n; ++i) gates[static_cast<std::size_t>(i)].set_value(i);
    });
    for (futura::task_abort_handle& h : to_abort) h.abort();
    for (long k = 0; k <= n; ++k) {
      std::optional<int> v = futura::block_on(set.join_next());
      if (!v) break;
      BOOST_REQUIRE(*v >= 0 && *v < n);
      BOOST_REQUIRE(seen[static_cast<std::size_t>(*v)] == 0);
      seen[static_cast<std::size_t>(*v)] = 1;
      ++joined;
    }
  }
  // Every task not aborted was yielded; an aborted one only if it finished before its abort.
  long missing = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 3 != 0 && seen[static_cast<std::size_t>(i)] == 0) ++missing;
  }
  BOOST_TEST(missing == 0);
  BOOST_TEST(joined == counters->completed.load());
  BOOST_TEST(set.empty());
  pool.join();
  BOOST_TEST(counters->destroyed.load() == n);
}

BOOST_AUTO_TEST_CASE(destroying_a_set_while_tasks_finish_on_a_thread_pool) {
  const long rounds = futura_test::rounds(200, 40);
  auto counters = std::make_shared<task_counters>();
  boost::asio::thread_pool pool(2);
  long spawned = 0;
  for (long r = 0; r < rounds; ++r) {
    std::vector<futura::promise<int>> gates(64);
    {
      futura::join_set<int> set;
      for (futura::promise<int>& p : gates) {
        set.spawn(pool, counted_future(counters, p.get_future()));
        ++spawned;
      }
      for (std::size_t i = 0; i < gates.size(); i += 2) gates[i].set_value(1);
      if (r % 2 == 0) (void)futura::block_on(set.join_next());
      if (r % 4 == 1) set.detach_all();
    }
    for (std::size_t i = 1; i < gates.size(); i += 2) gates[i].set_value(2);
  }
  pool.join();
  BOOST_TEST(counters->destroyed.load() == spawned);
}

BOOST_AUTO_TEST_SUITE_END()
