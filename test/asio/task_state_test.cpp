// The state word of a spawned task as lib/asio/detail/task_header.cpp drives it (task_header.hpp's diagram), one
// transition per test case, observed step by step through a real task: the posts its wakes make,
// the runners it queues, the polls and the destruction of its future, its outstanding work.
// (task_state_word_test checks the word's transitions on their own, without a task.)
//
// A task can only be spawned on an Asio standard executor (spawn queries its execution context
// and requires blocking.never), so the task runs here on support/manual_executor.hpp: a queue
// driven by hand, no io_context. Each test checks, between two steps, how many posts the task
// made, how many runners are queued, how often the future was polled and whether it was
// destroyed, and whether the task counts as outstanding work:
//
//   idle --wake--> scheduled (one post) --wakes--> scheduled+notified (no post)
//   scheduled --runner: pending--> idle, or --runner: pending, notified--> scheduled (one post)
//   scheduled --runner: ready / threw / cancelled--> complete (future destroyed on the executor)
//   idle / scheduled --context shut down--> closed --> complete (aborted)
//
// References (join handle, runner, live-task list, waker clones) are checked by their effect:
// the block is freed by whoever lets go last, which ASan checks (a leak or a use after free).
#include <support/executor_support.hpp>
#include <support/manual_executor.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/asio/spawn.hpp>
#include <futura/executor/block_on.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace {

using futura_test::manual_context;
using futura_test::strict_waker;

/// The state a test shares with the future of its task.
template <class T>
struct step_state {
  std::mutex m;
  std::optional<T> value;
  std::exception_ptr error;
  futura::waker last;  // the waker of the last poll (a reference on the task)
  std::atomic<int> polls{0};
  std::atomic<int> drops{0};
  std::function<void(futura::waker&)> during_poll;  // runs inside poll, outside the lock
};

/// A task's future, completed by hand; counts its polls and its destruction, and lets go of
/// the waker it kept when it is destroyed.
template <class T>
class step_future : public futura::future_ext<step_future<T>> {
 public:
  using output_type = T;
  explicit step_future(std::shared_ptr<step_state<T>> s) : s_(std::move(s)) {}
  step_future(step_future&& o) noexcept = default;
  step_future& operator=(step_future&&) = delete;
  ~step_future() {
    if (!s_) return;
    futura::waker released;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      released = std::move(s_->last);
    }
    ++s_->drops;
  }

  futura::poll_result<T> poll(futura::waker& w) {
    ++s_->polls;
    if (s_->during_poll) s_->during_poll(w);
    std::lock_guard<std::mutex> lock(s_->m);
    if (s_->error) std::rethrow_exception(s_->error);
    if (s_->value) {
      futura::poll_result<T> r(std::in_place, std::move(*s_->value));
      s_->value.reset();
      return r;
    }
    if (!s_->last.will_wake(w)) s_->last = w;
    return futura::pending;
  }

 private:
  std::shared_ptr<step_state<T>> s_;
};

template <class T>
class step {
 public:
  step() : s_(std::make_shared<step_state<T>>()) {}
  step_future<T> future() const { return step_future<T>(s_); }
  /// Makes the next poll ready (without waking: the test wakes when it wants to).
  void set(T v) {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->value.emplace(std::move(v));
  }
  void set_error(const char* what) {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->error = std::make_exception_ptr(std::runtime_error(what));
  }
  /// A clone of the waker of the last poll (a task waker).
  futura::waker waker() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->last;
  }
  void during_poll(std::function<void(futura::waker&)> f) { s_->during_poll = std::move(f); }
  int polls() const { return s_->polls; }
  int drops() const { return s_->drops; }

 private:
  std::shared_ptr<step_state<T>> s_;
};

bool is_aborted(const futura::future_error& e) { return e.code() == futura::error::aborted; }

template <class T>
futura::poll_result<T> poll_handle(futura::join_handle<T>& h, const futura::waker& w) {
  futura::waker copy = w;
  return h.poll(copy);
}

/// Spawns a task whose first poll returns pending and runs that poll: the task is idle, listed,
/// and counted as outstanding work. Returns its handle.
template <class T>
futura::join_handle<T> spawn_idle(manual_context& ctx, step<T>& s) {
  auto h = futura::spawn(ctx, s.future());
  BOOST_REQUIRE(ctx.run_one());
  BOOST_REQUIRE_EQUAL(s.polls(), 1);
  BOOST_REQUIRE_EQUAL(ctx.queued(), 0u);
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_state)

// ---- spawn and the first poll ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(spawn_posts_the_first_run_once_and_polls_nothing_inline) {
  manual_context ctx;
  step<int> s;
  auto h = futura::spawn(ctx, s.future());
  BOOST_TEST(ctx.posts() == 1);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(s.polls() == 0);
  BOOST_TEST(!h.is_finished());
  BOOST_TEST(ctx.outstanding_work() == 0);  // the queued runner is the work until the first poll
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 1);
  BOOST_TEST(ctx.posts() == 1);  // pending, nobody woke it: idle, no post
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(a_first_poll_that_is_ready_completes_without_taking_work) {
  manual_context ctx;
  step<int> s;
  s.set(42);
  auto h = futura::spawn(ctx, s.future());
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 1);
  BOOST_TEST(s.drops() == 1);  // the finished future goes before the output is published
  BOOST_TEST(h.is_finished());
  BOOST_TEST(ctx.outstanding_work() == 0);
  BOOST_TEST(ctx.posts() == 1);
  strict_waker joiner;
  auto r = poll_handle(h, joiner.make());
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.take() == 42);
  BOOST_TEST(!h.valid());  // the handle let go: the block is freed (ASan)
  BOOST_TEST(joiner.wakes() == 0);
  BOOST_TEST(joiner.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(a_first_poll_ready_with_a_joiner_waiting_wakes_the_joiner_once) {
  manual_context ctx;
  step<int> s;
  s.set(7);
  auto h = futura::spawn(ctx, s.future());
  strict_waker joiner;
  BOOST_TEST(poll_handle(h, joiner.make()).is_pending());  // join_waiting before the first run
  BOOST_TEST(joiner.live_clones() == 1);                   // registered in the join slot
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(joiner.wakes() == 1);
  auto r = poll_handle(h, joiner.make());
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.take() == 7);
  BOOST_TEST(joiner.live_clones() == 0);
  BOOST_TEST(joiner.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(the_first_pending_poll_makes_the_task_outstanding_work_until_it_completes) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  BOOST_TEST(ctx.outstanding_work() == 1);  // listed, with a tracked executor
  s.set(1);
  s.waker().wake();
  BOOST_TEST(ctx.outstanding_work() == 1);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(h.is_finished());
  BOOST_TEST(ctx.outstanding_work() == 0);  // released after the output was published
  BOOST_TEST(futura::block_on(std::move(h)) == 1);
}

// ---- wakes -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_wake_while_idle_posts_exactly_once) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  futura::waker w = s.waker();
  w.wake();  // idle -> scheduled
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(s.polls() == 1);  // wake never polls inline
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 0u);  // pending again, not woken meanwhile: idle
  BOOST_TEST(ctx.posts() == posts + 1);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(wake_and_drop_while_idle_posts_exactly_once_and_hands_its_reference_on) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  s.waker().wake_and_drop();  // a waker's `wake`: idle -> scheduled with the waker's reference
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 0u);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(any_number_of_wakes_while_queued_cost_one_post_and_one_poll) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  futura::waker w = s.waker();
  w.wake();                              // idle -> scheduled: the one post
  for (int i = 0; i < 5; ++i) w.wake();  // scheduled -> scheduled+notified, then no-ops
  for (int i = 0; i < 3; ++i) s.waker().wake_and_drop();
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(ctx.run_one());  // the runner clears `notified` as it starts: this poll serves them
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.posts() == posts + 1);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(a_wake_during_the_poll_gives_exactly_one_more_poll) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  int wakes_left = 3;
  s.during_poll([&](futura::waker& w) {
    for (; wakes_left > 0; --wakes_left) w.wake();  // three wakes during the second poll
  });
  const long posts = ctx.posts();
  s.waker().wake();
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 1u);  // notified during the poll: posted again, not polled inline
  BOOST_TEST(ctx.posts() == posts + 2);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 3);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.posts() == posts + 2);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(a_wake_during_the_first_poll_gives_exactly_one_more_poll) {
  manual_context ctx;
  step<int> s;
  bool woke = false;
  s.during_poll([&](futura::waker& w) {
    if (!std::exchange(woke, true)) w.wake();
  });
  auto h = futura::spawn(ctx, s.future());
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 1);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(ctx.posts() == 2);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 0u);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(wakes_while_queued_are_served_by_the_next_poll_and_one_during_it_by_one_more) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  futura::waker w = s.waker();
  w.wake();
  w.wake();  // notified while queued: absorbed when the runner starts
  bool woke = false;
  s.during_poll([&](futura::waker& pw) {
    if (!std::exchange(woke, true)) pw.wake();  // notified again, during the poll
  });
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 3);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.posts() == posts + 2);
  h.abort();
  ctx.run_all();
}

BOOST_AUTO_TEST_CASE(a_wake_from_another_thread_while_idle_posts_once) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  std::thread t([w = s.waker()] { w.wake(); });  // outside the context: counted while posting
  t.join();
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  h.abort();
  ctx.run_all();
}

// ---- completion -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_later_poll_that_is_ready_completes_publishes_and_wakes_the_joiner_once) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  strict_waker joiner;
  BOOST_TEST(poll_handle(h, joiner.make()).is_pending());
  BOOST_TEST(joiner.live_clones() == 1);
  s.set(5);
  s.waker().wake();
  BOOST_TEST(!h.is_finished());
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(h.is_finished());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(joiner.wakes() == 1);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.outstanding_work() == 0);
  auto r = poll_handle(h, joiner.make());
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.take() == 5);
  BOOST_TEST(joiner.live_clones() == 0);
  BOOST_TEST(joiner.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(the_join_slot_keeps_only_the_waker_of_the_latest_handle_poll) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  strict_waker a, b;
  BOOST_TEST(poll_handle(h, a.make()).is_pending());
  BOOST_TEST(poll_handle(h, a.make()).is_pending());  // same waker again: nothing cloned
  BOOST_TEST(a.live_clones() == 1);
  BOOST_TEST(poll_handle(h, b.make()).is_pending());
  BOOST_TEST(a.live_clones() == 0);
  BOOST_TEST(b.live_clones() == 1);
  s.set(1);
  s.waker().wake();
  ctx.run_one();
  BOOST_TEST(a.wakes() == 0);
  BOOST_TEST(b.wakes() == 1);
  BOOST_TEST(futura::block_on(std::move(h)) == 1);
  BOOST_TEST(b.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(a_poll_that_throws_completes_the_task_and_the_handle_rethrows) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  s.set_error("task failure");
  s.waker().wake();
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(h.is_finished());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(ctx.outstanding_work() == 0);
  BOOST_CHECK_THROW(futura::block_on(std::move(h)), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_wake_after_completion_posts_nothing) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  futura::waker kept = s.waker();  // outlives the future
  s.set(3);
  kept.wake();
  ctx.run_one();
  BOOST_REQUIRE(h.is_finished());
  const long posts = ctx.posts();
  kept.wake();
  futura::waker(kept).wake_and_drop();
  BOOST_TEST(ctx.posts() == posts);  // complete (and closed): wakes do nothing
  BOOST_TEST(futura::block_on(std::move(h)) == 3);
  // `kept` is now the last reference: its destruction frees the block (ASan: no leak).
}

// ---- abort ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(abort_while_idle_posts_once_and_destroys_the_future_on_the_executor) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  const long posts = ctx.posts();
  h.abort();
  BOOST_TEST(s.drops() == 0);  // not on the aborting thread
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(!h.is_finished());
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(s.polls() == 1);  // destroyed, not polled again
  BOOST_TEST(h.is_finished());
  BOOST_TEST(ctx.outstanding_work() == 0);
  BOOST_TEST(ctx.queued() == 0u);
  strict_waker joiner;
  try {
    (void)poll_handle(h, joiner.make());
    BOOST_ERROR("an aborted handle must throw");
  } catch (const futura::future_error& e) {
    BOOST_TEST(is_aborted(e));
  }
  BOOST_TEST(joiner.live_clones() == 0);
}

BOOST_AUTO_TEST_CASE(abort_while_queued_costs_no_post) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  s.waker().wake();
  const long posts = ctx.posts();
  h.abort();
  h.abort();  // twice: the second does nothing
  BOOST_TEST(ctx.posts() == posts);
  BOOST_TEST(ctx.queued() == 1u);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(s.polls() == 1);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(h.is_finished());
}

BOOST_AUTO_TEST_CASE(abort_before_the_first_run_destroys_the_future_unpolled) {
  manual_context ctx;
  step<int> s;
  auto h = futura::spawn(ctx, s.future());
  h.abort();
  BOOST_TEST(ctx.posts() == 1);  // the first runner is queued: nothing more to post
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 0);
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(h.is_finished());
  BOOST_TEST(ctx.outstanding_work() == 0);
  BOOST_CHECK_THROW(futura::block_on(std::move(h)), futura::future_error);
}

BOOST_AUTO_TEST_CASE(abort_during_the_poll_destroys_the_future_right_after_it_in_the_same_run) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  s.during_poll([&](futura::waker&) { h.abort(); });  // the poll in progress sees no change
  s.waker().wake();
  const long posts = ctx.posts();
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(s.drops() == 1);  // the runner saw `cancelled` after the poll
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.posts() == posts);  // abort's wake found the runner polling: no post
  BOOST_TEST(h.is_finished());
}

BOOST_AUTO_TEST_CASE(abort_from_another_thread_during_the_poll_destroys_the_future_after_it) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  futura_test::event in_poll, aborted;
  s.during_poll([&](futura::waker&) {
    in_poll.set();
    aborted.wait();
  });
  s.waker().wake();
  const long posts = ctx.posts();
  std::thread aborter([&] {
    in_poll.wait();
    h.abort();  // the handle's owner for this moment: the main thread is inside run_one
    aborted.set();
  });
  BOOST_TEST(ctx.run_one());
  aborter.join();
  BOOST_TEST(s.polls() == 2);
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(ctx.queued() == 0u);
  BOOST_TEST(ctx.posts() == posts);
  BOOST_TEST(h.is_finished());
}

BOOST_AUTO_TEST_CASE(abort_after_completion_leaves_the_task_alone_but_the_handle_reports_aborted) {
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  s.set(9);
  s.waker().wake();
  ctx.run_one();
  BOOST_REQUIRE(h.is_finished());
  const long posts = ctx.posts();
  h.abort();
  BOOST_TEST(ctx.posts() == posts);
  BOOST_TEST(s.drops() == 1);
  try {
    (void)futura::block_on(std::move(h));
    BOOST_ERROR("a handle aborted after completion still reports aborted");
  } catch (const futura::future_error& e) {
    BOOST_TEST(is_aborted(e));
  }
}

// ---- the join handle lets go ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dropping_the_handle_of_an_idle_task_aborts_it_with_one_post) {
  manual_context ctx;
  step<int> s;
  std::optional<futura::join_handle<int>> h(spawn_idle(ctx, s));
  const long posts = ctx.posts();
  h.reset();
  BOOST_TEST(ctx.posts() == posts + 1);
  BOOST_TEST(s.drops() == 0);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(ctx.outstanding_work() == 0);
  BOOST_TEST(ctx.queued() == 0u);  // the runner held the last reference: freed (ASan)
}

BOOST_AUTO_TEST_CASE(dropping_the_handle_of_a_queued_task_costs_no_post) {
  manual_context ctx;
  step<int> s;
  std::optional<futura::join_handle<int>> h(spawn_idle(ctx, s));
  s.waker().wake();
  const long posts = ctx.posts();
  h.reset();
  BOOST_TEST(ctx.posts() == posts);
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(s.polls() == 1);
}

BOOST_AUTO_TEST_CASE(dropping_a_handle_that_registered_a_waker_releases_that_waker) {
  manual_context ctx;
  step<int> s;
  strict_waker joiner;
  {
    auto h = spawn_idle(ctx, s);
    BOOST_TEST(poll_handle(h, joiner.make()).is_pending());
    BOOST_TEST(joiner.live_clones() == 1);
  }
  BOOST_TEST(joiner.live_clones() == 0);
  ctx.run_all();
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(joiner.wakes() == 0);  // no joiner any more: the abort wakes nobody
  BOOST_TEST(joiner.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(dropping_the_handle_of_a_completed_task_frees_it) {
  manual_context ctx;
  step<int> s;
  {
    auto h = spawn_idle(ctx, s);
    s.set(1);
    s.waker().wake();
    ctx.run_one();
    BOOST_REQUIRE(h.is_finished());
  }  // the handle was the last reference (ASan: no leak)
  BOOST_TEST(ctx.posts() == 2);
  BOOST_TEST(ctx.queued() == 0u);
}

BOOST_AUTO_TEST_CASE(a_detached_task_runs_to_completion_and_frees_itself) {
  manual_context ctx;
  step<int> s;
  {
    auto h = spawn_idle(ctx, s);
    h.detach();
    BOOST_TEST(!h.valid());
  }
  BOOST_TEST(ctx.queued() == 0u);  // detaching is not aborting
  s.set(1);
  s.waker().wake();
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(ctx.outstanding_work() == 0);
}

BOOST_AUTO_TEST_CASE(a_detached_task_that_throws_completes_and_frees_itself) {
  manual_context ctx;
  step<int> s;
  futura::spawn(ctx, s.future()).detach();
  ctx.run_one();
  s.set_error("logged, not stored");
  s.waker().wake();
  BOOST_TEST(ctx.run_one());
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(ctx.outstanding_work() == 0);
}

BOOST_AUTO_TEST_CASE(a_waker_outliving_task_and_handle_is_the_last_reference) {
  manual_context ctx;
  step<int> s;
  futura::waker kept;
  {
    auto h = spawn_idle(ctx, s);
    kept = s.waker();
  }  // handle dropped: abort posted
  ctx.run_all();
  BOOST_TEST(s.drops() == 1);
  const long posts = ctx.posts();
  kept.wake();  // complete: nothing posted
  BOOST_TEST(ctx.posts() == posts);
  kept = futura::waker();  // the last reference: frees the block (ASan)
}

// ---- the context goes away ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(destroying_the_context_closes_an_idle_task_and_later_wakes_do_nothing) {
  step<int> s;
  futura::waker kept;
  std::optional<futura::join_handle<int>> h;
  {
    manual_context ctx;
    h.emplace(spawn_idle(ctx, s));
    kept = s.waker();
    BOOST_TEST(ctx.outstanding_work() == 1);
  }  // shutdown: closed, future destroyed, work released
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(h->is_finished());
  kept.wake();  // closed: must not touch the dead context
  BOOST_CHECK_THROW(futura::block_on(std::move(*h)), futura::future_error);
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_a_runner_queued_completes_the_task_once) {
  step<int> s;
  std::optional<futura::join_handle<int>> h;
  {
    manual_context ctx;
    h.emplace(spawn_idle(ctx, s));
    s.waker().wake();  // a runner queued for a listed task
    BOOST_TEST(ctx.queued() == 1u);
  }  // the list closes it, then the queued runner is destroyed unrun
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(h->is_finished());
  BOOST_CHECK_THROW(futura::block_on(std::move(*h)), futura::future_error);
}

BOOST_AUTO_TEST_CASE(an_executor_dropping_the_first_runner_completes_the_task_as_aborted) {
  manual_context ctx;
  step<int> s;
  auto h = futura::spawn(ctx, s.future());
  BOOST_TEST(ctx.drop_one());  // never listed: the dropped runner completes it
  BOOST_TEST(s.polls() == 0);
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(h.is_finished());
  BOOST_CHECK_THROW(futura::block_on(std::move(h)), futura::future_error);
}

BOOST_AUTO_TEST_CASE(destroying_the_context_before_the_first_run_completes_the_task_as_aborted) {
  step<int> s;
  std::optional<futura::join_handle<int>> h;
  {
    manual_context ctx;
    h.emplace(futura::spawn(ctx, s.future()));
  }
  BOOST_TEST(s.polls() == 0);
  BOOST_TEST(s.drops() == 1);
  BOOST_TEST(h->is_finished());
  BOOST_CHECK_THROW(futura::block_on(std::move(*h)), futura::future_error);
}

// ---- two threads ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(wakes_from_another_thread_racing_the_runner_are_never_lost_and_never_doubled) {
  // The runner (this thread) and a waking thread alternate: every wake that lands before or
  // during a poll gives one more poll, and the task is never queued twice.
  manual_context ctx;
  step<int> s;
  auto h = spawn_idle(ctx, s);
  constexpr int wakes = 2000;
  std::atomic<int> polls_seen{1};
  std::atomic<bool> give_up{false};
  std::thread waking([&, w = s.waker()] {
    for (int i = 0; i < wakes && !give_up.load(); ++i) {
      // Wait until the previous wake was served by a poll (or one is under way).
      while (polls_seen.load() <= i && !give_up.load()) std::this_thread::yield();
      w.wake();
    }
  });
  bool queued_twice = false;
  const bool served = futura_test::wait_until(
      [&] {
        if (ctx.queued() > 1) queued_twice = true;
        if (ctx.run_one()) polls_seen.store(s.polls());
        return queued_twice || polls_seen.load() > wakes;
      },
      120);
  give_up.store(true);
  waking.join();
  BOOST_TEST(!queued_twice);
  BOOST_TEST(served, "a wake from the other thread was lost after " << s.polls() << " polls");
  ctx.run_all();
  BOOST_TEST(s.polls() >= wakes + 1);
  BOOST_TEST(s.polls() <= 2 * wakes + 1);  // at most one extra poll per wake
  h.abort();
  ctx.run_all();
  BOOST_TEST(s.drops() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
