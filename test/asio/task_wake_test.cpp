// The wake protocol of spawned tasks: wake() only schedules, any number of wakes before the
// task runs cost one post and one poll, a wake during a poll gives exactly one more poll, and
// wakers outlive the task, the executor and the context (rule 7).
#include <support/executor_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/spawn.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using futura_test::event;

/// Shared state of a future completed by hand, from any thread; records polls and its drop.
template <class T>
struct manual_state {
  std::mutex m;
  std::optional<T> value;
  futura::waker waker;
  std::atomic<int> polls{0};
  std::atomic<int> drops{0};
  std::atomic<bool> in_poll{false};
  std::atomic<int> overlapping_polls{0};
  std::function<void(futura::waker&)> during_poll;  // runs inside poll (set before spawning)
};

template <class T>
class manual_future : public futura::future_ext<manual_future<T>> {
 public:
  using output_type = T;
  explicit manual_future(std::shared_ptr<manual_state<T>> s) : s_(std::move(s)) {}
  manual_future(manual_future&&) noexcept = default;
  manual_future& operator=(manual_future&&) = delete;
  ~manual_future() {
    if (s_) ++s_->drops;
  }

  futura::poll_result<T> poll(futura::waker& w) {
    if (s_->in_poll.exchange(true)) ++s_->overlapping_polls;
    ++s_->polls;
    if (s_->during_poll) s_->during_poll(w);
    std::optional<T> v;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      if (s_->value) {
        v = std::move(s_->value);
      } else {
        s_->waker = w;
      }
    }
    s_->in_poll = false;
    if (v) return std::move(*v);
    return futura::pending;
  }

 private:
  std::shared_ptr<manual_state<T>> s_;
};

template <class T>
class manual {
 public:
  manual() : s_(std::make_shared<manual_state<T>>()) {}
  manual_future<T> future() const { return manual_future<T>(s_); }
  void complete(T v) {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(s_->m);
      s_->value.emplace(std::move(v));
      w = std::move(s_->waker);
    }
    w.wake();
  }
  /// A clone of the waker of the last poll.
  futura::waker waker() const {
    std::lock_guard<std::mutex> lock(s_->m);
    return s_->waker;
  }
  void during_poll(std::function<void(futura::waker&)> f) { s_->during_poll = std::move(f); }
  int polls() const { return s_->polls; }
  int drops() const { return s_->drops; }
  int overlapping_polls() const { return s_->overlapping_polls; }

 private:
  std::shared_ptr<manual_state<T>> s_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(task_wake)

BOOST_AUTO_TEST_CASE(wake_only_schedules_the_poll_runs_later_in_a_handler) {
  boost::asio::io_context ctx;
  manual<int> m;
  auto h = futura::spawn(ctx, m.future());
  BOOST_TEST(m.polls() == 0);  // nothing runs inside spawn
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(m.polls() == 1);

  futura::waker w = m.waker();
  w.wake();
  BOOST_TEST(m.polls() == 1);  // not polled inside wake()
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(m.polls() == 2);
  h.abort();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(a_hundred_wakes_before_the_task_runs_give_one_post_and_one_extra_poll) {
  boost::asio::io_context ctx;
  manual<int> m;
  auto h = futura::spawn(ctx, m.future());
  BOOST_TEST(ctx.poll() == 1u);

  futura::waker w = m.waker();
  for (int i = 0; i < 50; ++i) w.wake();
  for (int i = 0; i < 50; ++i) futura::waker(w).wake_and_drop();  // the consuming form too
  BOOST_TEST(m.polls() == 1);
  BOOST_TEST(ctx.poll() == 1u);  // exactly one handler was queued by the 100 wakes
  BOOST_TEST(m.polls() == 2);
  BOOST_TEST(ctx.poll() == 0u);
  BOOST_TEST(m.polls() == 2);

  m.complete(7);
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(m.polls() == 3);
  BOOST_TEST(futura::block_on(std::move(h)) == 7);
}

BOOST_AUTO_TEST_CASE(wakes_during_a_poll_give_exactly_one_more_poll_after_it_returns) {
  boost::asio::io_context ctx;
  manual<int> m;
  int polls_seen_inside_wake = -1;
  m.during_poll([&](futura::waker& w) {
    if (m.polls() != 1) return;
    for (int i = 0; i < 5; ++i) w.wake();
    futura::waker(w).wake_and_drop();
    polls_seen_inside_wake = m.polls();  // still 1: no poll ran inside wake()
  });
  auto h = futura::spawn(ctx, m.future());
  BOOST_TEST(ctx.poll_one() == 1u);
  BOOST_TEST(polls_seen_inside_wake == 1);
  BOOST_TEST(m.polls() == 1);
  BOOST_TEST(ctx.poll_one() == 1u);  // the re-post
  BOOST_TEST(m.polls() == 2);
  BOOST_TEST(ctx.poll_one() == 0u);  // and nothing more
  BOOST_TEST(m.overlapping_polls() == 0);
  h.abort();
  ctx.run();
}

BOOST_AUTO_TEST_CASE(a_wake_from_another_thread_during_a_poll_gives_exactly_one_more_poll) {
  boost::asio::io_context ctx;
  manual<int> m;
  event in_poll, woken;
  std::optional<futura::waker> handed_over;
  std::thread waker_thread([&] {
    in_poll.wait();
    handed_over->wake();
    woken.set();
  });
  m.during_poll([&](futura::waker& w) {
    if (m.polls() != 1) return;
    handed_over.emplace(w);
    in_poll.set();
    woken.wait();  // the wake lands while this poll is still running
  });
  auto h = futura::spawn(ctx, m.future());
  BOOST_TEST(ctx.poll_one() == 1u);
  waker_thread.join();
  BOOST_TEST(m.polls() == 1);
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(m.polls() == 2);
  handed_over.reset();
  m.complete(3);
  ctx.run();
  BOOST_TEST(m.polls() == 3);
  BOOST_TEST(futura::block_on(std::move(h)) == 3);
}

BOOST_AUTO_TEST_CASE(a_self_waking_task_lets_handlers_queued_behind_it_run_between_its_polls) {
  boost::asio::io_context ctx;
  std::vector<std::string> order;
  int round = 0;
  auto h = futura::spawn(ctx, futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
                           order.push_back("poll " + std::to_string(round));
                           if (round++ == 2) return 42;
                           w.wake();
                           return futura::pending;
                         }));
  boost::asio::post(ctx, [&] { order.push_back("handler"); });
  ctx.run();
  const std::vector<std::string> expected{"poll 0", "handler", "poll 1", "poll 2"};
  BOOST_TEST(order == expected, boost::test_tools::per_element());
  BOOST_TEST(futura::block_on(std::move(h)) == 42);
}

BOOST_AUTO_TEST_CASE(the_waker_of_every_poll_wakes_the_same_task) {
  boost::asio::io_context ctx;
  std::optional<futura::waker> first;
  bool same = false;
  auto h = futura::spawn(ctx, futura::poll_fn<int>([&](futura::waker& w) -> futura::poll_result<int> {
                           if (!first) {
                             first.emplace(w);
                             w.wake();
                             return futura::pending;
                           }
                           same = first->will_wake(w);
                           return 1;
                         }));
  ctx.run();
  BOOST_TEST(same);  // combinators can skip re-cloning the waker
  first.reset();
  BOOST_TEST(futura::block_on(std::move(h)) == 1);
}

BOOST_AUTO_TEST_CASE(waking_a_finished_task_does_nothing) {
  boost::asio::io_context ctx;
  manual<int> m;
  auto h = futura::spawn(ctx, m.future());
  ctx.poll();
  futura::waker w = m.waker();
  m.complete(5);
  ctx.run();
  BOOST_TEST(h.is_finished());
  w.wake();
  futura::waker(w).wake_and_drop();
  ctx.restart();
  BOOST_TEST(ctx.poll() == 0u);
  BOOST_TEST(m.polls() == 2);
  BOOST_TEST(futura::block_on(std::move(h)) == 5);
}

BOOST_AUTO_TEST_CASE(wakers_outlive_the_finished_task_the_executor_and_the_context) {
  std::vector<futura::waker> survivors;
  {
    boost::asio::io_context ctx;
    manual<int> m;
    auto h = futura::spawn(ctx, m.future());
    ctx.poll();
    survivors.push_back(m.waker());
    survivors.push_back(m.waker());
    m.complete(1);
    ctx.run();
    BOOST_TEST(futura::block_on(std::move(h)) == 1);
  }
  // The task block is still alive (the wakers hold it), the context is gone.
  for (auto& w : survivors) w.wake();
  futura::waker copy = survivors.front();
  std::move(copy).wake_and_drop();
  survivors.clear();  // the last reference frees the task block (checked by ASan's leak check)
}

BOOST_AUTO_TEST_CASE(wakers_of_an_unfinished_task_outlive_the_context_that_destroyed_its_future) {
  manual<int> m;
  std::optional<futura::waker> survivor;
  std::optional<futura::join_handle<int>> handle;
  {
    boost::asio::io_context ctx;
    handle.emplace(futura::spawn(ctx, m.future()));
    ctx.poll();
    survivor.emplace(m.waker());
    BOOST_TEST(m.drops() == 0);
  }
  BOOST_TEST(m.drops() == 1);  // the context's shutdown destroyed the future
  survivor->wake();            // and a later wake does nothing
  m.complete(9);               // nor does completing the (destroyed) future's source
  BOOST_TEST(m.polls() == 1);
  BOOST_TEST(handle->is_finished());
  BOOST_CHECK_EXCEPTION(futura::block_on(std::move(*handle)), futura::future_error,
                        [](const futura::future_error& e) { return e.code() == futura::error::aborted; });
  survivor.reset();
}

BOOST_AUTO_TEST_CASE(a_task_woken_through_a_promise_completes_with_its_value) {
  boost::asio::io_context ctx;
  futura::promise<std::string> p;
  auto h = futura::spawn(ctx, p.get_future().then([](std::string s) { return s + "!"; }));
  BOOST_TEST(ctx.poll() == 1u);
  BOOST_TEST(!h.is_finished());
  p.set_value("woken");
  ctx.run();
  BOOST_TEST(futura::block_on(std::move(h)) == "woken!");
}

BOOST_AUTO_TEST_SUITE_END()
