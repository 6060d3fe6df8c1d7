// join_handle: yields the task's output or rethrows its exception; abort() and dropping the
// handle destroy the task's future on its executor; detach() lets it run on, and a detached
// task's exception is logged with its id; futura's log events and their level gate.
#include <support/executor_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/executor/log.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace {

using futura_test::event;

/// Records when and on which thread the future that owns it is destroyed.
struct drop_record {
  std::atomic<int> drops{0};
  std::thread::id thread;
};

/// A future pending until `release` is set, then ready with `value`; flags its destruction.
class gated_future : public futura::future_ext<gated_future> {
 public:
  using output_type = int;
  gated_future(std::shared_ptr<drop_record> r, std::shared_ptr<futura::promise_future<int>> gate)
      : record_(std::move(r)), gate_(std::move(gate)) {}
  gated_future(gated_future&&) noexcept = default;
  gated_future& operator=(gated_future&&) = delete;
  ~gated_future() {
    if (record_) {
      record_->thread = std::this_thread::get_id();
      ++record_->drops;
    }
  }
  futura::poll_result<int> poll(futura::waker& w) { return gate_->poll(w); }

 private:
  std::shared_ptr<drop_record> record_;
  std::shared_ptr<futura::promise_future<int>> gate_;
};

gated_future gated(const std::shared_ptr<drop_record>& r, futura::promise<int>& p) {
  return gated_future(r, std::make_shared<futura::promise_future<int>>(p.get_future()));
}

bool is_aborted(const futura::future_error& e) { return e.code() == futura::error::aborted; }

/// Installs a logger writing "level|message" lines into a string for the test's duration.
class captured_log {
 public:
  explicit captured_log(spdlog::level::level_enum level = spdlog::level::info) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l|%v");
    logger_ = std::make_shared<spdlog::logger>("futura", sink);
    logger_->set_level(level);
    futura::set_logger(logger_);
  }
  ~captured_log() { futura::set_logger(nullptr); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  /// Read after the threads that log are done.
  std::string text() const { return out_.str(); }
  bool contains(const std::string& s) const { return text().find(s) != std::string::npos; }
  spdlog::logger& logger() { return *logger_; }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(join_handle)

BOOST_AUTO_TEST_CASE(the_handle_yields_the_tasks_output) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::ready(std::string("out")));
  BOOST_TEST(h.valid());
  BOOST_TEST(!h.is_finished());
  ctx.run();
  BOOST_TEST(h.is_finished());
  BOOST_TEST(futura::block_on(std::move(h)) == "out");
}

BOOST_AUTO_TEST_CASE(a_move_only_output_is_moved_out_and_destroyed_once) {
  futura_test::tracked::reset();
  {
    boost::asio::io_context ctx;
    auto h = futura::spawn(ctx, futura::lazy([] { return std::make_unique<futura_test::tracked>(5); }));
    ctx.run();
    std::unique_ptr<futura_test::tracked> v = futura::block_on(std::move(h));
    BOOST_TEST(v->value == 5);
    BOOST_TEST(futura_test::tracked::alive() == 1);
  }
  BOOST_TEST(futura_test::tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(a_joined_tasks_exception_is_rethrown_by_its_handle_and_not_logged) {
  captured_log log;
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::lazy([]() -> int { throw std::runtime_error("task failed"); }));
  ctx.run();
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "task failed"; });
  BOOST_TEST(log.text().empty());
}

BOOST_AUTO_TEST_CASE(the_handle_is_pending_until_the_task_completes_and_is_woken_once_when_it_does) {
  boost::asio::io_context ctx;
  futura::promise<int> p;
  auto h = futura::spawn(ctx, p.get_future());
  futura_test::counting_waker cw;
  {
    futura::waker w = cw.make();
    BOOST_TEST(h.poll(w).is_pending());
    ctx.poll();
    BOOST_TEST(h.poll(w).is_pending());
    BOOST_TEST(cw.wakes() == 0);
    p.set_value(11);
    BOOST_TEST(cw.wakes() == 0);  // the task completes on its executor, not in set_value
    ctx.run();
    BOOST_TEST(cw.wakes() == 1);
    auto r = h.poll(w);
    BOOST_TEST(r.is_ready());
    BOOST_TEST(r.value() == 11);
  }
  BOOST_TEST(cw.live_clones() == 0);  // the handle let go of the waker it registered
}

BOOST_AUTO_TEST_CASE(a_handle_waiting_before_the_first_poll_is_woken_once_when_that_poll_finishes_the_task) {
  // The task finishes in its first poll (the path that publishes the completion and lets go of
  // the runner in one step) while a joiner is already registered: the joiner is woken, once.
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::ready(7));
  futura_test::counting_waker cw;
  {
    futura::waker w = cw.make();
    BOOST_TEST(h.poll(w).is_pending());
    ctx.run();
    BOOST_TEST(cw.wakes() == 1);
    auto r = h.poll(w);
    BOOST_TEST(r.is_ready());
    BOOST_TEST(r.value() == 7);
  }
  BOOST_TEST(cw.live_clones() == 0);  // the handle let go of the waker it registered
}

BOOST_AUTO_TEST_CASE(a_task_on_a_work_tracking_executor_releases_that_work_when_it_finishes) {
  boost::asio::io_context ctx;
  const auto tracked = [&] {  // a temporary each time: the test itself keeps no work
    return boost::asio::prefer(ctx.get_executor(), boost::asio::execution::outstanding_work.tracked);
  };
  auto first_poll = futura::spawn(tracked(), futura::ready(1));
  futura::promise<int> p;
  auto later = futura::spawn(tracked(), p.get_future());
  ctx.poll();
  BOOST_TEST(first_poll.is_finished());
  BOOST_TEST(!later.is_finished());
  p.set_value(2);
  ctx.run();  // returns: neither task holds work any more
  BOOST_TEST(futura::block_on(std::move(first_poll)) == 1);
  BOOST_TEST(futura::block_on(std::move(later)) == 2);
}

BOOST_AUTO_TEST_CASE(polling_a_handle_again_after_it_returned_breaks_rule_4) {
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::ready(1));
  ctx.run();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(h.poll(w).is_ready());
  BOOST_TEST(!h.valid());
  BOOST_TEST(h.is_finished());
  BOOST_CHECK_EXCEPTION((void)h.poll(w), futura::future_error, [](const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  });
}

BOOST_AUTO_TEST_CASE(abort_destroys_the_future_on_its_executor_and_the_handle_then_throws_aborted) {
  boost::asio::io_context ctx;
  auto record = std::make_shared<drop_record>();
  futura::promise<int> p;
  auto h = futura::spawn(ctx, gated(record, p));
  ctx.poll();
  h.abort();
  BOOST_TEST(record->drops == 0);  // only requested: nothing destroyed on the aborting side
  BOOST_TEST(!h.is_finished());
  futura_test::counting_waker cw;
  {
    futura::waker w = cw.make();
    BOOST_TEST(h.poll(w).is_pending());  // waits for the future's destruction
    ctx.run();                           // returns: an aborted task is no longer work
    BOOST_TEST(record->drops == 1);
    BOOST_TEST(cw.wakes() == 1);
    BOOST_TEST(h.is_finished());
    BOOST_CHECK_EXCEPTION((void)h.poll(w), futura::future_error, is_aborted);
  }
  BOOST_TEST(cw.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(abort_from_another_thread_while_the_task_is_polled_destroys_it_after_that_poll) {
  boost::asio::io_context ctx;
  auto record = std::make_shared<drop_record>();
  event in_poll, aborted;
  std::atomic<int> polls{0};
  auto f = futura::poll_fn<int>([&, record](futura::waker&) -> futura::poll_result<int> {
    ++polls;
    in_poll.set();
    aborted.wait();
    return futura::pending;  // no waker kept: only the abort can get this task going again
  });
  auto h = futura::spawn(ctx, std::move(f).then([record](int v) { return v; }));
  std::thread::id executor_thread;
  std::thread runner([&] {
    executor_thread = std::this_thread::get_id();
    ctx.run();
  });
  in_poll.wait();
  h.abort();
  aborted.set();
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
  runner.join();  // run() returned: the task's work was released
  BOOST_TEST(polls == 1);
  BOOST_TEST(record.use_count() == 1);  // the continuation (and its capture) was destroyed
  BOOST_TEST(executor_thread != std::this_thread::get_id());
}

BOOST_AUTO_TEST_CASE(the_aborted_future_is_destroyed_on_the_executors_thread) {
  boost::asio::io_context ctx;
  auto work = boost::asio::make_work_guard(ctx);
  auto record = std::make_shared<drop_record>();
  futura::promise<int> p;
  std::thread::id executor_thread;
  std::thread runner([&] {
    executor_thread = std::this_thread::get_id();
    ctx.run();
  });
  auto h = futura::spawn(ctx, gated(record, p));
  h.abort();
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
  work.reset();
  runner.join();
  BOOST_TEST(record->drops == 1);
  BOOST_TEST((record->thread == executor_thread));
}

BOOST_AUTO_TEST_CASE(dropping_a_handle_that_was_not_detached_aborts_the_task_on_its_executor) {
  boost::asio::io_context ctx;
  auto record = std::make_shared<drop_record>();
  futura::promise<int> p;
  event first_poll_done;
  std::thread::id executor_thread;
  {
    auto h = futura::spawn(ctx, gated(record, p).then([&](int v) { return v; }));
    std::thread runner([&] {
      executor_thread = std::this_thread::get_id();
      ctx.run_one();  // the first poll (pending)
      first_poll_done.set();
      ctx.run();  // returns once the abort has run
    });
    first_poll_done.wait();
    BOOST_TEST(record->drops == 0);
    { auto dropped = std::move(h); }  // dropped here, on this thread
    runner.join();
  }
  BOOST_TEST(record->drops == 1);
  BOOST_TEST((record->thread == executor_thread));
  BOOST_TEST((record->thread != std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(abort_after_the_task_finished_still_completes_the_handle_with_aborted) {
  futura_test::tracked::reset();
  {
    boost::asio::io_context ctx;
    auto h = futura::spawn(ctx, futura::lazy([] { return futura_test::tracked(3); }));
    ctx.run();
    BOOST_TEST(h.is_finished());
    h.abort();
    BOOST_CHECK_EXCEPTION(futura::block_on(std::move(h)), futura::future_error, is_aborted);
  }
  BOOST_TEST(futura_test::tracked::alive() == 0);  // the unclaimed output was destroyed
}

BOOST_AUTO_TEST_CASE(move_assigning_over_a_live_handle_aborts_its_task) {
  boost::asio::io_context ctx;
  auto record = std::make_shared<drop_record>();
  futura::promise<int> p;
  auto h = futura::spawn(ctx, gated(record, p));
  h = futura::spawn(ctx, futura::ready(2));
  ctx.run();  // returns: the first task was aborted
  BOOST_TEST(record->drops == 1);
  BOOST_TEST(futura::block_on(std::move(h)) == 2);
}

BOOST_AUTO_TEST_CASE(a_detached_task_runs_to_completion_without_a_joiner) {
  boost::asio::io_context ctx;
  futura::promise<int> p;
  bool ran = false;
  auto h = futura::spawn(ctx, p.get_future().then([&](int v) { ran = v == 4; }));
  ctx.poll();
  h.detach();
  BOOST_TEST(!h.valid());
  BOOST_TEST(!h.is_finished());
  BOOST_TEST(h.id() == 0u);
  p.set_value(4);
  ctx.run();
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(spawn_detached_runs_the_task_to_completion) {
  boost::asio::io_context ctx;
  int runs = 0;
  futura::spawn_detached(ctx, futura::yield_now().then([&] { ++runs; }));
  BOOST_TEST(runs == 0);
  ctx.run();
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(a_detached_tasks_exception_is_logged_with_its_id_and_the_next_task_still_runs) {
  captured_log log;
  boost::asio::io_context ctx;
  auto failing = futura::spawn(ctx, futura::lazy([]() -> int { throw std::runtime_error("boom"); }));
  const auto id = failing.id();
  BOOST_TEST(id != 0u);
  failing.detach();
  futura::spawn_detached(ctx, futura::lazy([]() -> int { throw std::logic_error("bang"); }));
  auto next = futura::spawn(ctx, futura::yield_now().then([] { return 8; }));
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(next)) == 8);
  BOOST_TEST(log.contains("error|detached task " + std::to_string(id) + " failed: boom\n"));
  BOOST_TEST(log.contains("failed: bang\n"));
}

BOOST_AUTO_TEST_CASE(detaching_a_task_that_already_failed_logs_its_exception) {
  captured_log log;
  boost::asio::io_context ctx;
  auto h = futura::spawn(ctx, futura::lazy([]() -> int { throw std::runtime_error("late"); }));
  ctx.run();
  BOOST_TEST(log.text().empty());
  const auto id = h.id();
  h.detach();
  BOOST_TEST(log.contains("error|detached task " + std::to_string(id) + " failed: late\n"));
}

BOOST_AUTO_TEST_CASE(spawn_completion_and_abort_are_logged_at_debug_level_with_the_task_id) {
  captured_log log(spdlog::level::debug);
  boost::asio::io_context ctx;
  auto done = futura::spawn(ctx, futura::ready(1));
  futura::promise<int> p;
  auto aborted = futura::spawn(ctx, p.get_future());
  const std::string done_id = std::to_string(done.id()), aborted_id = std::to_string(aborted.id());
  ctx.poll();
  aborted.abort();
  ctx.run();
  BOOST_TEST(log.contains("debug|task " + done_id + " spawned\n"));
  BOOST_TEST(log.contains("debug|task " + done_id + " completed\n"));
  BOOST_TEST(log.contains("debug|task " + aborted_id + " abort requested\n"));
  BOOST_TEST(log.contains("debug|task " + aborted_id + " aborted\n"));
  BOOST_TEST(!log.contains("trace|"));
}

BOOST_AUTO_TEST_CASE(nothing_is_logged_for_a_task_at_the_default_info_level) {
  captured_log log(spdlog::level::info);
  boost::asio::io_context ctx;
  futura::promise<int> p;
  auto h = futura::spawn(ctx, p.get_future());
  ctx.poll();
  p.set_value(1);
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == 1);
  BOOST_TEST(log.text().empty());
}

BOOST_AUTO_TEST_CASE(the_level_is_read_from_the_logger_itself_so_changing_it_takes_effect_at_once) {
  captured_log log(spdlog::level::info);
  boost::asio::io_context ctx;
  auto quiet = futura::spawn(ctx, futura::ready(1));
  log.logger().set_level(spdlog::level::trace);
  auto loud = futura::spawn(ctx, futura::yield_now());
  ctx.run();
  BOOST_TEST(!log.contains("task " + std::to_string(quiet.id()) + " spawned"));
  BOOST_TEST(log.contains("debug|task " + std::to_string(loud.id()) + " spawned\n"));
  BOOST_TEST(log.contains("trace|task " + std::to_string(loud.id()) + " polled: pending\n"));
}

BOOST_AUTO_TEST_CASE(the_default_logger_is_named_futura_and_set_logger_replaces_it) {
  futura::set_logger(nullptr);
  auto original = futura::logger();
  BOOST_REQUIRE(original);
  BOOST_TEST(original->name() == "futura");
  {
    captured_log log;
    BOOST_TEST(futura::logger().get() == &log.logger());
  }
  BOOST_TEST(futura::logger() == original);  // nullptr restored the default
}

BOOST_AUTO_TEST_CASE(a_join_handle_is_a_future_another_task_can_await) {
  boost::asio::io_context ctx;
  futura::promise<int> p;
  auto inner = futura::spawn(ctx, p.get_future());
  auto outer = futura::spawn(ctx, std::move(inner).then([](int v) { return v * 2; }));
  ctx.poll();
  p.set_value(21);
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(outer)) == 42);
}

BOOST_AUTO_TEST_CASE(block_on_a_handle_from_another_thread_parks_until_the_task_finishes) {
  boost::asio::io_context ctx;
  futura::promise<int> p;
  auto h = futura::spawn(ctx, p.get_future().then([](int v) { return v + 1; }));
  std::thread runner([&] { ctx.run(); });
  std::thread setter([p = std::move(p)]() mutable { p.set_value(1); });
  BOOST_TEST(futura::block_on(std::move(h)) == 2);
  setter.join();
  runner.join();
}

BOOST_AUTO_TEST_SUITE_END()
