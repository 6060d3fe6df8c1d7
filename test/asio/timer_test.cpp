// sleep_for / sleep_until: laziness, firing, wakers, executors and contexts, cancellation on drop.
#include <support/asio_support.hpp>
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/timer.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace asio = boost::asio;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::never_in_this_test;
using std::chrono::milliseconds;

// A positive delay: the sleep is never due at its first poll, so it arms a timer (a due one
// would be ready at once), and the timer fires soon after.
constexpr std::chrono::microseconds a_microsecond{1};

BOOST_AUTO_TEST_SUITE(sleep_timers)

BOOST_AUTO_TEST_CASE(sleep_for_completes_with_unit) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(2));
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, futura::unit>);
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(sleep_for_arms_no_timer_before_its_first_poll) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, never_in_this_test);
  BOOST_TEST(drain(ctx));  // no work: nothing was started
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(!drain(ctx));  // now a timer is waiting
}

BOOST_AUTO_TEST_CASE(sleep_for_measures_from_the_first_poll) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(20));
  // 20 ms pass between creation and the first poll: a deadline taken at creation would have
  // passed by then and the sleep would complete at once.
  futura::block_on(ctx, futura::sleep_for(ctx, milliseconds(20)));
  const auto before_first_poll = std::chrono::steady_clock::now();
  futura::block_on(ctx, std::move(f));
  BOOST_TEST((std::chrono::steady_clock::now() - before_first_poll >= milliseconds(20)));
}

BOOST_AUTO_TEST_CASE(sleep_until_a_passed_time_point_completes_at_once) {
  asio::io_context ctx;
  auto f = futura::sleep_until(ctx, std::chrono::steady_clock::now() - milliseconds(5));
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(a_sleep_already_due_is_ready_at_its_first_poll_and_arms_no_timer) {
  asio::io_context ctx;
  const auto now = std::chrono::steady_clock::now();
  auto passed = futura::sleep_until(ctx, now - milliseconds(5));
  auto at_now = futura::sleep_until(ctx, now);
  auto zero = futura::sleep_for(ctx, milliseconds(0));
  auto negative = futura::sleep_for(ctx, milliseconds(-3));
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(passed.poll(w).is_ready());
  BOOST_TEST(at_now.poll(w).is_ready());
  BOOST_TEST(zero.poll(w).is_ready());
  BOOST_TEST(negative.poll(w).is_ready());
  BOOST_TEST(cw.wakes() == 0);
  BOOST_TEST(cw.live_clones() == 1);  // `w` only: no timer holds a clone
  BOOST_TEST(drain(ctx));             // and no work was started
  try {
    (void)zero.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_CASE(sleep_until_fires_at_its_time_point) {
  asio::io_context ctx;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5);
  futura::block_on(ctx, futura::sleep_until(ctx, deadline));
  BOOST_TEST((std::chrono::steady_clock::now() >= deadline));
}

BOOST_AUTO_TEST_CASE(sleeps_accept_executors_strands_and_contexts) {
  asio::io_context ctx;
  futura::block_on(ctx, futura::sleep_for(ctx.get_executor(), milliseconds(1)));
  auto strand = asio::make_strand(ctx);
  futura::block_on(ctx, futura::sleep_for(strand, milliseconds(1)));
  asio::any_io_executor any = ctx.get_executor();
  futura::block_on(ctx, futura::sleep_until(any, std::chrono::steady_clock::now() + milliseconds(1)));
  const asio::io_context::executor_type const_ex = ctx.get_executor();
  futura::block_on(ctx, futura::sleep_for(const_ex, std::chrono::microseconds(10)));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_sleep_and_its_entry_on_an_io_context_stay_small) {
  // Each waiting sleep's entry is read back when it fires: its size is what 100k waiting sleeps
  // cost in cache (docs/performance.md, W5): one cache line.
  BOOST_TEST(sizeof(futura::detail::sleep_entry) <= 64u);
  // And a join_all of sleeps keeps one future per child: an executor, a time and the stage.
  BOOST_TEST(sizeof(futura::sleep_future<asio::io_context::executor_type>) <= 24u);
}

BOOST_AUTO_TEST_CASE(sleep_for_on_a_thread_pool_completes_under_plain_block_on) {
  asio::thread_pool pool(1);
  BOOST_TEST((futura::block_on(futura::sleep_for(pool, milliseconds(1))) == futura::unit{}));
  pool.join();
}

BOOST_AUTO_TEST_CASE(the_timer_wakes_the_waker_of_the_last_poll_once) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(f.poll(w2).is_pending());
  ctx.run();  // the timer fires
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(f.poll(w2).is_ready());
}

BOOST_AUTO_TEST_CASE(the_first_poll_registers_one_clone_that_the_expiry_wakes_and_drops) {
  // The first poll queues the sleep with its waker: the entry holds one clone from then on, and
  // the expiry wakes and drops it.
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  futura_test::strict_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(target.live_clones() == 2);  // ours and the state's
  BOOST_TEST(target.wakes() == 0);
  ctx.run();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 1);
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(target.underflows() == 0);
}

#if FUTURA_CHAOS_ENABLED
// The firing pass marks each due entry fired and takes its waker under the queue's lock, then
// wakes outside it. Here the sleep is dropped in between, on another thread: the drop sees the
// entry fired and frees it at once, and the firing pass, which no longer touches the entry, wakes
// the waker it took (ASan and TSan check that nothing reads the freed entry).
BOOST_AUTO_TEST_CASE(a_sleep_dropped_between_its_firing_and_its_wake_is_freed_by_the_drop_alone) {
  asio::io_context ctx;
  futura_test::strict_waker target;
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& popped = gates.add("sleep_service.fire.popped");
  std::optional<futura::sleep_future<asio::io_context::executor_type>> f(futura::sleep_for(ctx, a_microsecond));
  {
    futura::waker w = target.make();
    BOOST_TEST(f->poll(w).is_pending());
  }
  futura_test::joining_thread io([&] {
    popped.bind_this_thread();
    ctx.run();
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(popped), "sleep_service.fire.popped never reached");
  BOOST_TEST(target.wakes() == 0);
  f.reset();                              // fired, not yet woken: the drop frees the entry
  BOOST_TEST(target.live_clones() == 1);  // the firing pass holds the clone it took
  popped.open();
  io.join();
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 0);
  BOOST_TEST(target.underflows() == 0);
}
#endif

BOOST_AUTO_TEST_CASE(a_sleep_may_move_between_polls) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, milliseconds(1));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  futura::block_on(ctx, std::move(moved));
}

BOOST_AUTO_TEST_CASE(dropping_a_waiting_sleep_cancels_its_timer_and_leaves_no_work) {
  asio::io_context ctx;
  {
    auto f = futura::sleep_for(ctx, never_in_this_test);
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(dropping_a_sleep_on_another_thread_cancels_it_at_once) {
  asio::io_context ctx;
  std::optional<futura::sleep_future<asio::io_context::executor_type>> f(futura::sleep_for(ctx, never_in_this_test));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f->poll(w).is_pending());
  std::thread dropper([&] { f.reset(); });
  dropper.join();
  ctx.run();  // returns once the aborted wait has completed
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(drops_racing_with_firing_timers_on_two_threads_are_safe) {
  // Each sleep is due a microsecond after its first poll: its handler (destroying the timer)
  // races with the drop here (cancelling it). Whichever wins, nothing is touched after free and no work is left.
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread io1([&] { ctx.run(); });
  std::thread io2([&] { ctx.run(); });
  for (int i = 0; i < 500; ++i) {
    auto f = futura::sleep_for(ctx, a_microsecond);
    futura::waker w = futura::noop_waker();
    (void)f.poll(w);
  }
  guard.reset();
  io1.join();
  io2.join();
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(an_earlier_sleep_queued_after_a_later_one_fires_first) {
  // The context's sleeps share one timer, armed for the earliest deadline: queueing an earlier
  // sleep re-arms it, and dropping the last sleep cancels its wait, leaving no work.
  asio::io_context ctx;
  auto late = futura::sleep_for(ctx, never_in_this_test);
  futura::waker noop = futura::noop_waker();
  BOOST_TEST(late.poll(noop).is_pending());
  auto early = futura::sleep_for(ctx, a_microsecond);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(early.poll(w).is_pending());
  // Bounded (run_one would block on the late sleep's wait if the timer were not re-armed): the
  // early sleep must fire within seconds.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (cw.wakes() == 0 && std::chrono::steady_clock::now() < give_up) ctx.run_one_for(milliseconds(100));
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(early.poll(w).is_ready());
  BOOST_TEST(!drain(ctx));  // the late one still waits
  { auto gone = std::move(late); }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(sleeps_queued_and_dropped_from_several_threads_all_fire_and_leave_no_work) {
  // Three threads queue sleeps of 0..300 us (so the earliest deadline keeps changing) and drop
  // long ones while two threads run the context and fire them. Every sleep waited for fires
  // (plain block_on would hang on a lost wake), and once the long ones are gone no work is left.
  asio::io_context ctx(2);
  auto guard = asio::make_work_guard(ctx);
  futura_test::joining_thread io1([&] { ctx.run(); });
  futura_test::joining_thread io2([&] { ctx.run(); });
  std::atomic<int> fired{0};
  {
    std::vector<std::thread> users;
    for (int t = 0; t < 3; ++t) {
      users.emplace_back([&, t] {
        for (int i = 0; i < 150; ++i) {
          auto dropped = futura::sleep_for(ctx, never_in_this_test);
          futura::waker w = futura::noop_waker();
          (void)dropped.poll(w);
          futura::block_on(futura::sleep_for(ctx, std::chrono::microseconds(((i + t) % 7) * 50)));
          fired.fetch_add(1);
        }
      });
    }
    for (std::thread& u : users) u.join();
  }
  guard.reset();
  // run() returns once no sleep is queued and the timer's wait is gone (bounded: a wait left
  // behind fails the test instead of hanging it).
  BOOST_TEST(futura_test::wait_until([&] { return ctx.stopped(); }));
  ctx.stop();
  BOOST_TEST(fired.load() == 450);
}

BOOST_AUTO_TEST_CASE(a_sleep_may_outlive_its_completed_wait_and_its_context) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto f = futura::sleep_for(*ctx, a_microsecond);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  ctx->run();   // the wait completes; the timer is destroyed with it
  ctx.reset();  // then the context goes, while the future still holds the result
  BOOST_TEST(f.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(many_sleeps_on_a_two_thread_context_all_fire) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread io([&] { ctx.run(); });
  for (int i = 0; i < 100; ++i) futura::block_on(ctx, futura::sleep_for(ctx, std::chrono::microseconds(i * 10)));
  guard.reset();
  io.join();
}

namespace {
// A waker that records, in one test thread, the order of the wakes: its data is an index.
std::vector<std::intptr_t> wake_order;
struct order_waker {
  static futura::raw_waker clone(void* p) noexcept { return {&vtable, p}; }
  static void wake(void* p) noexcept { wake_order.push_back(reinterpret_cast<std::intptr_t>(p)); }
  static void drop(void*) noexcept {}
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake, &drop};
  static futura::waker make(std::intptr_t i) {
    return futura::waker(futura::raw_waker{&vtable, reinterpret_cast<void*>(i)});
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(more_sleeps_due_at_once_than_one_firing_batch_all_fire_in_deadline_order) {
  // The firing pass takes 64 due sleeps per hold of the lock: 200 due within 200 us take several.
  asio::io_context ctx;
  constexpr int n = 200;
  // Far enough for the slowest build to queue all 200 before the first is due.
  const auto at = std::chrono::steady_clock::now() + milliseconds(100);
  std::vector<futura::sleep_future<asio::io_context::executor_type>> sleeps;
  wake_order.clear();
  for (int i = 0; i < n; ++i) {
    // Deadlines from `at`, the later ones queued first: the heap must give them back in order.
    sleeps.push_back(futura::sleep_until(ctx, at + std::chrono::microseconds(n - i)));
    futura::waker w = order_waker::make(i);
    BOOST_TEST(sleeps.back().poll(w).is_pending());
  }
  ctx.run();  // returns once every sleep fired and no wait is left
  BOOST_REQUIRE(wake_order.size() == static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) BOOST_TEST(wake_order[static_cast<std::size_t>(k)] == n - 1 - k);
  futura::waker noop = futura::noop_waker();
  for (auto& sleep : sleeps) BOOST_TEST(sleep.poll(noop).is_ready());
}

BOOST_AUTO_TEST_CASE(a_destroyed_context_abandons_every_queued_sleep_and_wakes_each_once) {
  // Shutdown takes the queued sleeps 64 at a time: 150 take three rounds.
  std::optional<asio::io_context> ctx(std::in_place);
  constexpr int n = 150;
  std::vector<futura::sleep_future<asio::io_context::executor_type>> sleeps;
  counting_waker cw;
  futura::waker w = cw.make();
  for (int i = 0; i < n; ++i) {
    sleeps.push_back(futura::sleep_for(*ctx, never_in_this_test));
    BOOST_TEST(sleeps.back().poll(w).is_pending());
  }
  BOOST_TEST(cw.live_clones() == n + 1);
  ctx.reset();
  BOOST_TEST(cw.wakes() == n);
  BOOST_TEST(cw.live_clones() == 1);
  int broken = 0;
  for (auto& s : sleeps) {
    try {
      (void)s.poll(w);
    } catch (const futura::future_error& e) {
      if (e.code() == futura::error::broken_promise) ++broken;
    }
  }
  BOOST_TEST(broken == n);
}

BOOST_AUTO_TEST_CASE(a_sleep_whose_context_is_destroyed_throws_broken_promise) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto f = futura::sleep_for(*ctx, never_in_this_test);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  ctx.reset();
  BOOST_TEST(cw.wakes() == 1);
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::broken_promise));
  }
}

BOOST_AUTO_TEST_CASE(polling_a_sleep_after_completion_throws_polled_after_completion) {
  asio::io_context ctx;
  auto f = futura::sleep_for(ctx, a_microsecond);
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  ctx.run();
  BOOST_TEST(f.poll(w).is_ready());
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_SUITE_END()
