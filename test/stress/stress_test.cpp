// Races between 2-4 threads doing wake / drop / poll / abort / set in random orders, over every
// lock-free protocol of the library: promise and from_callback (oneshot state), join_all (wake
// tree and parent waker), join, select, spawned tasks on a thread_pool (task state word and
// join slot), and block_on(io_context&) with another thread running the same context.
//
// Every round draws its schedule from a seed (printed with every failure: FUTURA_STRESS_SEED
// replays the choices; see support/stress.hpp), runs it on a team of threads that start
// together, then checks exactly: every value received at most once and by whoever must get it,
// every leaf future destroyed exactly once and never polled by two threads at once, no wakeup
// lost (a poll that would make progress now was preceded by a wake of the waker of the last
// pending poll), every waker clone released exactly once (strict_waker: live clones back to 0,
// none dropped twice), every task completed or aborted. Threads synchronise on events, never on
// sleeps; each loop is bounded, and a watchdog names the round that hangs.
//
// These suites run in every build. In FUTURA_CHAOS builds (the TSan suite) every protocol step
// also yields, spins or sleeps at random, which widens the race windows.
#include <support/probe.hpp>
#include <support/remote_leaf.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/channel/from_callback.hpp>
#include <futura/channel/promise.hpp>
#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/combinator/select.hpp>
#include <futura/executor/block_on.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using futura_test::remote_leaf;
using futura_test::remote_leaf_future;
using futura_test::strict_waker;
using futura_test::tracked;

/// Seconds without progress after which the watchdog stops the program (naming the round).
constexpr double watchdog_seconds = 120;

struct counted_error : std::runtime_error {
  static inline std::atomic<int> alive{0};
  explicit counted_error(const char* what) : std::runtime_error(what) { ++alive; }
  counted_error(const counted_error& o) : std::runtime_error(o) { ++alive; }
  ~counted_error() override { --alive; }
};

/// The owner of a future under test: polls it (never after it completed), remembers the
/// waker of the last poll and its wakes at that moment, and the outcome.
template <class F>
class owner {
 public:
  using output_type = futura::output_t<F>;
  explicit owner(F f) { f_.emplace(std::move(f)); }

  /// True while the future exists and has not completed.
  bool live() const { return f_.has_value() && !done_; }
  bool dropped() const { return !f_.has_value(); }
  bool done() const { return done_; }
  bool threw() const { return error_ != nullptr; }
  const std::exception_ptr& error() const { return error_; }
  std::optional<output_type>& output() { return out_; }
  bool last_poll_pending() const { return last_pending_; }

  void poll(const strict_waker& x) {
    if (!live()) return;
    last_ = &x;
    last_wakes_ = x.wakes();
    futura::waker w = x.make();
    try {
      auto r = f_->poll(w);
      last_pending_ = r.is_pending();
      if (r.is_ready()) {
        out_.emplace(r.take());
        done_ = true;
      }
    } catch (...) {
      error_ = std::current_exception();
      done_ = true;
      last_pending_ = false;
    }
  }
  void drop() { f_.reset(); }

  /// Rule 3 after the fact: if the last poll was pending and a poll now makes progress
  /// (`progress()` changes, or the future completes), the waker of that last poll must have
  /// been woken since. Polls once (with `x`) unless the last poll was not pending.
  template <class Progress>
  bool no_lost_wakeup(const strict_waker& x, Progress&& progress) {
    if (!live() || !last_pending_) return true;
    const bool woken = last_->wakes() > last_wakes_;
    const auto before = progress();
    poll(x);
    return woken || !(done_ || progress() != before);
  }
  bool no_lost_wakeup(const strict_waker& x) {
    return no_lost_wakeup(x, [] { return 0; });
  }

  /// Lets go of the outcome (values and exception) and the future.
  void clear() {
    f_.reset();
    out_.reset();
    error_ = nullptr;
  }

 private:
  std::optional<F> f_;
  std::optional<output_type> out_;
  std::exception_ptr error_;
  const strict_waker* last_ = nullptr;
  int last_wakes_ = 0;
  bool last_pending_ = false;
  bool done_ = false;
};

template <class E, class Pred>
bool error_is(const std::exception_ptr& e, Pred&& pred) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const E& x) {
    return pred(x);
  } catch (...) {
    return false;
  }
}
template <class E>
bool error_is(const std::exception_ptr& e) {
  return error_is<E>(e, [](const E&) { return true; });
}
bool is_code(const std::exception_ptr& e, futura::error code) {
  return error_is<futura::future_error>(e, [&](const futura::future_error& x) { return x.code() == code; });
}

/// The checks of one round: collects what failed, reports it with the seed and the round.
class round_checks {
 public:
  void expect(bool ok, const std::string& what) {
    if (!ok) failed_.push_back(what);
  }
  /// Reports every failed check (with the round's description); false if any failed.
  bool report(const futura_test::stress_seed& seed, long r, const std::string& scenario) {
    for (const std::string& f : failed_) BOOST_ERROR(seed.describe(r) << " [" << scenario << "]: " << f);
    return failed_.empty();
  }

 private:
  std::vector<std::string> failed_;
};

/// The leaves of one round, with the checks that hold once their futures are gone.
struct leaf_set {
  explicit leaf_set(int n) : leaves(static_cast<std::size_t>(n)) {}
  std::vector<remote_leaf> leaves;

  remote_leaf& operator[](std::size_t i) { return leaves[i]; }
  std::size_t size() const { return leaves.size(); }
  std::vector<remote_leaf_future> futures() const {
    std::vector<remote_leaf_future> fs;
    for (const auto& l : leaves) fs.push_back(l.future());
    return fs;
  }
  int delivered() const {
    int n = 0;
    for (const auto& l : leaves) n += l.delivered();
    return n;
  }
  bool any_failed() const {
    return std::any_of(leaves.begin(), leaves.end(), [](const remote_leaf& l) { return l.failed(); });
  }
  void check_gone(round_checks& c) const {
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      const std::string leaf = "leaf " + std::to_string(i) + ": ";
      c.expect(leaves[i].drops() == 1, leaf + "destroyed " + std::to_string(leaves[i].drops()) + " times, not once");
      c.expect(leaves[i].overlapping_polls() == 0, leaf + "polled by two threads at once");
      c.expect(leaves[i].delivered() <= 1, leaf + "delivered its value more than once");
    }
  }
};

void check_wakers(round_checks& c, const strict_waker& a, const strict_waker& b) {
  c.expect(a.live_clones() == 0, "waker A: " + std::to_string(a.live_clones()) + " clones left");
  c.expect(b.live_clones() == 0, "waker B: " + std::to_string(b.live_clones()) + " clones left");
  c.expect(a.underflows() + b.underflows() == 0, "a waker clone was dropped twice");
}

void check_values_gone(round_checks& c) {
  c.expect(tracked::alive() == 0, std::to_string(tracked::alive()) + " values never destroyed");
  c.expect(counted_error::alive == 0, "an exception was never destroyed");
}

template <class G>
std::vector<std::size_t> shuffled(G& g, std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), g);
  return order;
}

struct reset_counts {
  reset_counts() {
    tracked::reset();
    counted_error::alive = 0;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stress, reset_counts)

// ---- promise / from_callback: the oneshot state ---------------------------------------------

BOOST_AUTO_TEST_CASE(promise_set_or_drop_racing_polls_waker_switches_and_the_futures_drop) {
  const futura_test::stress_seed seed("stress.promise");
  const long n = futura_test::rounds(30000, 30000);
  futura_test::thread_team team(2);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int action = futura_test::pick(g, 0, 2);  // set_value, set_exception, drop the promise
    const bool first_poll_before = futura_test::chance(g, 50);
    const int polls = futura_test::pick(g, 1, 4);
    const int drop_after = futura_test::chance(g, 20) ? futura_test::pick(g, 0, polls) : -1;
    const int skew_tx = futura_test::pick(g, 0, 400), skew_rx = futura_test::pick(g, 0, 400);
    std::ostringstream scenario;
    scenario << "promise: "
             << (action == 0   ? "set_value"
                 : action == 1 ? "set_exception"
                               : "dropped")
             << ", " << polls << " polls" << (first_poll_before ? " after one" : "") << ", future dropped after "
             << drop_after;

    std::optional<futura::promise<tracked>> p(std::in_place);
    owner<futura::promise_future<tracked>> o(p->get_future());
    if (first_poll_before) o.poll(a);
    team.run({[&] {
                futura_test::spin_for(skew_tx);
                if (action == 0) {
                  p->set_value(tracked(static_cast<int>(r)));
                } else if (action == 1) {
                  p->set_exception(std::make_exception_ptr(counted_error("stress")));
                } else {
                  p.reset();
                }
              },
              [&] {
                futura_test::spin_for(skew_rx);
                for (int i = 0; i < polls && o.live(); ++i) {
                  if (i == drop_after) break;
                  o.poll((i % 2) == 0 ? b : a);
                }
                if (drop_after >= 0) o.drop();
              }});
    round_checks c;
    c.expect(o.no_lost_wakeup(a),
             "lost wakeup: the promise completed after a pending poll whose waker was never woken");
    o.poll(a);
    if (!o.dropped()) {
      c.expect(o.done(), "still pending after the promise was set or dropped");
      if (action == 0) {
        c.expect(o.output() && o.output()->value == r, "the value was not received");
      } else if (action == 1) {
        c.expect(error_is<counted_error>(o.error()), "the exception was not rethrown");
      } else {
        c.expect(is_code(o.error(), futura::error::broken_promise), "a dropped promise did not break the future");
      }
    }
    o.clear();
    p.reset();
    check_values_gone(c);
    check_wakers(c, a, b);
    if (!c.report(seed, r, scenario.str())) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

BOOST_AUTO_TEST_CASE(from_callback_calls_copies_and_drops_racing_polls_and_the_futures_drop) {
  // Two threads each hold a callback handle: call it, drop it, copy it and call the copy, or
  // move it away and copy and call the moved-from husk (which must be inert) before calling
  // the moved-to handle. The owner polls with switching wakers or drops the future.
  const futura_test::stress_seed seed("stress.from_callback");
  const long n = futura_test::rounds(30000, 30000);
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    std::array<int, 2> action{futura_test::pick(g, 0, 3), futura_test::pick(g, 0, 3)};
    const int polls = futura_test::pick(g, 1, 4);
    const bool drop = futura_test::chance(g, 20);
    std::array<int, 3> skew{futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400)};
    std::ostringstream scenario;
    scenario << "from_callback: handle actions " << action[0] << action[1] << " (0 call, 1 drop, 2 copy+call, "
             << "3 move+call husk+call), " << polls << " polls" << (drop ? ", future dropped" : "");

    std::array<std::optional<futura::callback_handle<tracked>>, 2> handle;
    auto init = [&handle](futura::callback_handle<tracked> cb) {
      handle[1].emplace(cb);
      handle[0].emplace(std::move(cb));
    };
    owner<decltype(futura::from_callback<tracked>(init))> o(futura::from_callback<tracked>(init));
    o.poll(a);  // the first poll runs init
    const auto value_of_caller = [&](std::size_t i) { return static_cast<int>(r * 4 + static_cast<long>(i) + 1); };
    auto caller = [&](std::size_t i) {
      return [&, i] {
        futura_test::spin_for(skew[i]);
        auto& h = handle[i];
        const tracked v(value_of_caller(i));
        switch (action[i]) {
          case 0:
            (*h)(v);
            h.reset();
            break;
          case 1:
            h.reset();
            break;
          case 2: {
            futura::callback_handle<tracked> copy(*h);
            h.reset();
            copy(v);
            break;
          }
          default: {
            futura::callback_handle<tracked> moved(std::move(*h));
            futura::callback_handle<tracked> husk_copy(*h);  // a copy of a moved-from handle: empty
            husk_copy(tracked(-1));                          // does nothing
            (*h)(tracked(-2));                               // nor does calling the husk
            h.reset();
            moved(v);
            break;
          }
        }
      };
    };
    team.run({caller(0), caller(1), [&] {
                futura_test::spin_for(skew[2]);
                for (int i = 0; i < polls && o.live(); ++i) o.poll((i % 2) == 0 ? b : a);
                if (drop) o.drop();
              }});
    round_checks c;
    c.expect(o.no_lost_wakeup(a),
             "lost wakeup: a handle completed the future after a pending poll whose waker was never woken");
    o.poll(a);
    if (!o.dropped()) {
      c.expect(o.done(), "still pending after every handle was called or dropped");
      const bool called0 = action[0] != 1, called1 = action[1] != 1;
      if (called0 || called1) {
        const int got = o.output() ? o.output()->value : -100;
        c.expect((called0 && got == value_of_caller(0)) || (called1 && got == value_of_caller(1)),
                 "received " + std::to_string(got) + ", not the value of a handle that was called");
      } else {
        c.expect(is_code(o.error(), futura::error::broken_promise),
                 "no handle was called, yet the future did not break");
      }
    }
    o.clear();
    check_values_gone(c);
    check_wakers(c, a, b);
    if (!c.report(seed, r, scenario.str())) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

// ---- join_all: wake tree and parent waker -----------------------------------------------------

BOOST_AUTO_TEST_CASE(join_all_child_completions_spurious_wakes_failures_and_drop_racing_its_polls) {
  const futura_test::stress_seed seed("stress.join_all");
  const long n = futura_test::rounds(20000, 20000);
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int children = futura_test::pick(g, 2, 5);
    std::vector<bool> complete(static_cast<std::size_t>(children));
    for (std::size_t i = 0; i < complete.size(); ++i) complete[i] = futura_test::chance(g, 60);
    const auto order = shuffled(g, complete.size());
    const int failing = futura_test::chance(g, 35) ? futura_test::pick(g, 0, children - 1) : -1;
    const int spurious = futura_test::pick(g, 0, 30);
    const int polls = futura_test::pick(g, 1, 6);
    const bool drop_after_throw = futura_test::chance(g, 70);
    const int drop_after = futura_test::chance(g, 15) ? futura_test::pick(g, 0, polls) : -1;
    std::array<int, 3> skew{futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400)};
    std::ostringstream scenario;
    scenario << "join_all of " << children << ", failing " << failing << ", " << spurious << " spurious wakes, "
             << polls << " polls, dropped after " << drop_after;

    {
      leaf_set leaves(children);
      owner<futura::join_all_future<remote_leaf_future>> o(futura::join_all(leaves.futures()));
      o.poll(a);  // every child polled once: each holds its child waker
      const auto value_of_child = [&](std::size_t i) { return static_cast<int>(r * 8 + static_cast<long>(i)); };
      team.run({[&] {  // the poller
                  futura_test::spin_for(skew[0]);
                  for (int i = 0; i < polls && o.live(); ++i) {
                    if (i == drop_after) break;
                    o.poll((i % 2) == 0 ? b : a);
                    if (o.threw() && drop_after_throw) o.drop();  // the second close right after the first
                  }
                  if (drop_after >= 0) o.drop();
                },
                [&] {  // completions, in random order
                  futura_test::spin_for(skew[1]);
                  for (std::size_t i : order) {
                    if (complete[i]) leaves[i].complete(value_of_child(i));
                  }
                },
                [&] {  // spurious wakes from another thread, and maybe a failure among them
                  futura_test::spin_for(skew[2]);
                  for (int i = 0; i < spurious; ++i) {
                    if (i == spurious / 2 && failing >= 0) leaves[static_cast<std::size_t>(failing)].fail();
                    leaves[static_cast<std::size_t>(i) % leaves.size()].wake();
                  }
                  if (spurious == 0 && failing >= 0) leaves[static_cast<std::size_t>(failing)].fail();
                }});
      round_checks c;
      c.expect(o.no_lost_wakeup(a, [&] { return leaves.delivered(); }),
               "lost wakeup: a child completed after a pending poll whose waker was never woken");
      if (o.live()) {
        for (std::size_t i = 0; i < leaves.size(); ++i) leaves[i].complete(value_of_child(i));
        o.poll(a);
        o.poll(b);
        c.expect(o.done(), "still pending one poll after every child completed");
      }
      if (o.done()) {
        if (leaves.any_failed()) {
          c.expect(error_is<futura_test::leaf_failure>(o.error()), "a child failed, yet the join did not throw");
        } else {
          c.expect(o.output().has_value(), "no output");
          if (o.output()) {
            for (std::size_t i = 0; i < leaves.size(); ++i) {
              c.expect((*o.output())[i].value == value_of_child(i),
                       "child " + std::to_string(i) + "'s value misplaced");
            }
          }
        }
      }
      o.clear();  // the join goes: the second close after a throw
      leaves.check_gone(c);
      check_wakers(c, a, b);
      if (!c.report(seed, r, scenario.str())) break;
    }
    round_checks after;
    check_values_gone(after);
    if (!after.report(seed, r, "after the round")) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

BOOST_AUTO_TEST_CASE(join_all_child_throwing_while_another_childs_wake_is_in_flight_then_dropped_closes_once) {
  // Issue 10, defect 3: a child throws in poll (the join closes its parent waker) while another
  // thread is inside a wake of another child (forwarding to the parent waker, which that wake
  // then releases on its way out); then the join is dropped (closing again). The parent waker
  // must be released exactly once: its live clones end at 0 and never go below, and (TSan) the
  // second close must not touch the slot the in-flight wake released.
  //
  // The parent wakers are slow (a wake spins), so the wake is in flight when the poll throws.
  // The waking thread wakes child 1 once, through a clone of its waker, and does nothing else;
  // the drop comes after a random delay with no synchronisation in between: the second close
  // lands before, during or after the in-flight wake's release, as in a real program.
  const futura_test::stress_seed seed("stress.join_all_double_close");
  const long n = futura_test::rounds(10000, 10000);
  constexpr int slow_wake = 20000;
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  a.set_slow_wakes(slow_wake, 3);
  b.set_slow_wakes(slow_wake, 3);
  // Chaos builds: in half the rounds the poller drops the join just as the in-flight wake claims
  // the release (which then lingers a little before moving the waker out), so that a second
  // release, if closing again re-armed one, overlaps the first: TSan reports the two moves of
  // the parent waker as a race (a clone dropped twice needs both reads before either write,
  // too narrow to count on; the underflow checks still stand guard).
  const futura_test::chaos_widen widen({"atomic_waker.take.taken"}, 1, slow_wake);
  long threw_with_wake_in_flight = 0;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int wake_delay = futura_test::pick(g, 0, slow_wake);
    const int fail_delay = futura_test::pick(g, 0, slow_wake / 2);
    const int drop_delay = futura_test::pick(g, 0, 2 * slow_wake);
    const bool chase_release = futura_test::chaos_build && futura_test::chance(g, 50);  // drop as the wake releases
    std::ostringstream scenario;
    scenario << "join_all: child 0 throws during a wake of child 1 (" << fail_delay << " spins into it); dropped "
             << (chase_release ? std::string("as the in-flight wake releases")
                               : std::to_string(drop_delay) + " spins after the throw");
    {
      leaf_set leaves(3);
      owner<futura::join_all_future<remote_leaf_future>> o(futura::join_all(leaves.futures()));
      o.poll(a);
      const futura::waker child1 = leaves[1].waker();  // woken from the waking thread
      // Relaxed on purpose: these flags add no happens-before edge between the waking thread
      // and the poller (TSan must see the protocol's own ordering, or its absence).
      std::atomic<bool> begun{false}, ended{false};
      std::atomic<bool> failed{false};
      bool threw_while_waking = false;
      bool missed_failure = false;
      team.run({[&] {  // polls until the failure surfaces, then drops the join
                  futura_test::chaos_widen::exclude_this_thread();
                  futura_test::wait_until([&] {
                    const bool failed_before = failed.load(std::memory_order_acquire);
                    o.poll(b);
                    if (o.threw()) {
                      threw_while_waking =
                          begun.load(std::memory_order_relaxed) && !ended.load(std::memory_order_relaxed);
                      if (chase_release && threw_while_waking) {
                        const unsigned long seen = futura_test::chaos_widen::arrivals();
                        while (futura_test::chaos_widen::arrivals() == seen && !ended.load(std::memory_order_relaxed)) {
                          std::this_thread::yield();
                        }
                      } else {
                        futura_test::spin_for(drop_delay);
                      }
                      o.drop();
                      return true;
                    }
                    // fail() woke child 0 before `failed` was set: this poll had to throw.
                    missed_failure = failed_before;
                    return !o.live() || failed_before;
                  });
                },
                [&] {  // one wake of child 1, forwarded to the (slow) parent waker
                  futura_test::spin_for(wake_delay);
                  begun.store(true, std::memory_order_relaxed);
                  child1.wake();
                  ended.store(true, std::memory_order_relaxed);
                },
                [&] {  // the failure, during that wake
                  while (!begun.load(std::memory_order_relaxed)) std::this_thread::yield();
                  futura_test::spin_for(fail_delay);
                  leaves[0].fail();
                  failed.store(true, std::memory_order_release);
                }});
      if (threw_while_waking) ++threw_with_wake_in_flight;
      round_checks c;
      c.expect(!missed_failure, "lost wakeup: the child's failure woke nothing, a later poll did not see it");
      c.expect(o.dropped(), "the failure never surfaced");
      o.clear();
      leaves.check_gone(c);
      check_wakers(c, a, b);
      if (!c.report(seed, r, scenario.str())) break;
    }
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
  BOOST_TEST(strict_waker::underflows_anywhere() == 0);
  BOOST_TEST_MESSAGE(threw_with_wake_in_flight << " rounds threw while the wake was in flight");
}

// ---- join ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(join_child_completions_spurious_wakes_failures_and_drop_racing_its_polls) {
  const futura_test::stress_seed seed("stress.join");
  const long n = futura_test::rounds(20000, 20000);
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    std::array<bool, 3> complete{futura_test::chance(g, 60), futura_test::chance(g, 60), futura_test::chance(g, 60)};
    const auto order = shuffled(g, 3);
    const int failing = futura_test::chance(g, 30) ? futura_test::pick(g, 0, 2) : -1;
    const int spurious = futura_test::pick(g, 0, 30);
    const int polls = futura_test::pick(g, 1, 6);
    const int drop_after = futura_test::chance(g, 15) ? futura_test::pick(g, 0, polls) : -1;
    std::array<int, 3> skew{futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400)};
    std::ostringstream scenario;
    scenario << "join of 3, completing " << complete[0] << complete[1] << complete[2] << ", failing " << failing << ", "
             << spurious << " spurious wakes, " << polls << " polls, dropped after " << drop_after;
    {
      leaf_set leaves(3);
      owner<decltype(futura::join(leaves[0].future(), leaves[1].future(), leaves[2].future()))> o(
          futura::join(leaves[0].future(), leaves[1].future(), leaves[2].future()));
      o.poll(a);
      const auto value_of_child = [&](std::size_t i) { return static_cast<int>(r * 4 + static_cast<long>(i)); };
      team.run({[&] {
                  futura_test::spin_for(skew[0]);
                  for (int i = 0; i < polls && o.live(); ++i) {
                    if (i == drop_after) break;
                    o.poll((i % 2) == 0 ? b : a);
                    if (o.threw()) o.drop();
                  }
                  if (drop_after >= 0) o.drop();
                },
                [&] {
                  futura_test::spin_for(skew[1]);
                  for (std::size_t i : order) {
                    if (complete[i]) leaves[i].complete(value_of_child(i));
                  }
                },
                [&] {
                  futura_test::spin_for(skew[2]);
                  for (int i = 0; i < spurious; ++i) {
                    if (i == spurious / 2 && failing >= 0) leaves[static_cast<std::size_t>(failing)].fail();
                    leaves[static_cast<std::size_t>(i % 3)].wake();
                  }
                  if (spurious == 0 && failing >= 0) leaves[static_cast<std::size_t>(failing)].fail();
                }});
      round_checks c;
      c.expect(o.no_lost_wakeup(a, [&] { return leaves.delivered(); }),
               "lost wakeup: a child completed after a pending poll whose waker was never woken");
      if (o.live()) {
        for (std::size_t i = 0; i < 3; ++i) leaves[i].complete(value_of_child(i));
        o.poll(a);
        o.poll(b);
        c.expect(o.done(), "still pending one poll after every child completed");
      }
      if (o.done()) {
        if (leaves.any_failed()) {
          c.expect(error_is<futura_test::leaf_failure>(o.error()), "a child failed, yet the join did not throw");
        } else if (o.output()) {
          auto& [v0, v1, v2] = *o.output();
          c.expect(v0.value == value_of_child(0) && v1.value == value_of_child(1) && v2.value == value_of_child(2),
                   "values misplaced");
        } else {
          c.expect(false, "done without an output or an exception");
        }
      }
      o.clear();
      leaves.check_gone(c);
      check_wakers(c, a, b);
      if (!c.report(seed, r, scenario.str())) break;
    }
    round_checks after;
    check_values_gone(after);
    if (!after.report(seed, r, "after the round")) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

// ---- select --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(select_losers_dropped_while_other_threads_wake_and_complete_them) {
  const futura_test::stress_seed seed("stress.select");
  const long n = futura_test::rounds(20000, 20000);
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int first = futura_test::pick(g, 0, 2);
    const int second = futura_test::chance(g, 50) ? futura_test::pick(g, 0, 2) : -1;
    const bool fail_one = futura_test::chance(g, 10);
    const int spurious = futura_test::pick(g, 0, 40);
    const int polls = futura_test::pick(g, 1, 6);
    const bool drop = futura_test::chance(g, 15);
    std::array<int, 3> skew{futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400)};
    std::ostringstream scenario;
    scenario << "select of 3: completes " << first << " then " << second << (fail_one ? ", one fails" : "") << ", "
             << spurious << " spurious wakes, " << polls << " polls" << (drop ? ", dropped" : "");
    {
      leaf_set leaves(3);
      owner<decltype(futura::select(leaves[0].future(), leaves[1].future(), leaves[2].future()))> o(
          futura::select(leaves[0].future(), leaves[1].future(), leaves[2].future()));
      o.poll(a);
      const auto value_of_child = [&](std::size_t i) { return static_cast<int>(r * 4 + static_cast<long>(i)); };
      bool all_dropped_when_done = true;
      team.run({[&] {
                  futura_test::spin_for(skew[0]);
                  for (int i = 0; i < polls && o.live(); ++i) {
                    o.poll((i % 2) == 0 ? b : a);
                    if (o.done()) {
                      // Losers (and the winner) are gone before poll returns, wakes in flight or not.
                      for (std::size_t k = 0; k < 3; ++k) all_dropped_when_done &= leaves[k].drops() == 1;
                    }
                  }
                  if (drop) o.drop();
                },
                [&] {
                  futura_test::spin_for(skew[1]);
                  leaves[static_cast<std::size_t>(first)].complete(value_of_child(static_cast<std::size_t>(first)));
                  if (second >= 0) {
                    leaves[static_cast<std::size_t>(second)].complete(value_of_child(static_cast<std::size_t>(second)));
                  }
                },
                [&] {
                  futura_test::spin_for(skew[2]);
                  for (int i = 0; i < spurious; ++i) {
                    if (i == spurious / 2 && fail_one) leaves[static_cast<std::size_t>((first + 1) % 3)].fail();
                    leaves[static_cast<std::size_t>(i % 3)].wake();
                  }
                }});
      round_checks c;
      c.expect(all_dropped_when_done, "a child outlived the poll that completed the select");
      c.expect(o.no_lost_wakeup(a, [&] { return leaves.delivered(); }),
               "lost wakeup: a child completed after a pending poll whose waker was never woken");
      o.poll(a);
      if (!o.dropped()) {
        c.expect(o.done(), "still pending after a child completed");
        for (std::size_t k = 0; k < 3; ++k)
          c.expect(leaves[k].drops() == 1, "a child outlived the select's completion");
        if (o.output()) {
          const std::size_t i = o.output()->index();
          const tracked* v = i == 0   ? &std::get<0>(*o.output())
                             : i == 1 ? &std::get<1>(*o.output())
                                      : &std::get<2>(*o.output());
          c.expect(v->value == value_of_child(i), "the winner's value is not its own");
          c.expect(leaves[i].delivered() == 1, "the winner did not deliver");
          c.expect(leaves.delivered() == 1, "a loser delivered a value too");
        } else {
          c.expect(o.threw() && leaves.any_failed(), "threw, but no child failed");
        }
      }
      o.clear();
      leaves.check_gone(c);
      check_wakers(c, a, b);
      if (!c.report(seed, r, scenario.str())) break;
    }
    round_checks after;
    check_values_gone(after);
    if (!after.report(seed, r, "after the round")) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

BOOST_AUTO_TEST_CASE(select_of_promises_set_or_dropped_from_two_threads_racing_its_polls) {
  // The losers' oneshot states are left by their receivers (dropped at once) while their
  // senders complete them from other threads.
  const futura_test::stress_seed seed("stress.select_promises");
  const long n = futura_test::rounds(30000, 30000);
  futura_test::thread_team team(3);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a, b;
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    std::array<int, 2> action{futura_test::pick(g, 0, 3), futura_test::pick(g, 0, 3)};  // 0..2 set, 3 drop
    const int polls = futura_test::pick(g, 1, 5);
    std::array<int, 3> skew{futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400), futura_test::pick(g, 0, 400)};
    std::ostringstream scenario;
    scenario << "select of 2 promises: " << (action[0] == 3 ? "drop" : "set") << "/"
             << (action[1] == 3 ? "drop" : "set") << ", " << polls << " polls";
    std::array<std::optional<futura::promise<tracked>>, 2> p;
    p[0].emplace();
    p[1].emplace();
    owner<decltype(futura::select(p[0]->get_future(), p[1]->get_future()))> o(
        futura::select(p[0]->get_future(), p[1]->get_future()));
    if (futura_test::chance(g, 70)) o.poll(a);
    auto setter = [&](std::size_t i) {
      return [&, i] {
        futura_test::spin_for(skew[i]);
        if (action[i] == 3) {
          p[i].reset();
        } else {
          p[i]->set_value(tracked(static_cast<int>(r * 2 + static_cast<long>(i))));
        }
      };
    };
    team.run({setter(0), setter(1), [&] {
                futura_test::spin_for(skew[2]);
                for (int i = 0; i < polls && o.live(); ++i) o.poll((i % 2) == 0 ? b : a);
              }});
    round_checks c;
    c.expect(o.no_lost_wakeup(a), "lost wakeup: a promise completed after a pending poll whose waker was never woken");
    o.poll(a);
    c.expect(o.done(), "still pending after both promises were set or dropped");
    if (o.output()) {
      const std::size_t i = o.output()->index();
      const int v = i == 0 ? std::get<0>(*o.output()).value : std::get<1>(*o.output()).value;
      c.expect(action[i] != 3 && v == static_cast<int>(r * 2 + static_cast<long>(i)), "the value is not the winner's");
    } else {
      c.expect(is_code(o.error(), futura::error::broken_promise) && (action[0] == 3 || action[1] == 3),
               "threw, but no promise was dropped");
    }
    o.clear();
    p[0].reset();
    p[1].reset();
    check_values_gone(c);
    check_wakers(c, a, b);
    if (!c.report(seed, r, scenario.str())) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
}

// ---- spawned tasks on a thread_pool ------------------------------------------------------------

namespace {

constexpr const char* handle_actions[] = {"kept", "aborted", "dropped", "polled once", "aborted and polled"};

void tasks_on_a_pool(int threads, long n, const char* name) {
  const futura_test::stress_seed seed(name);
  futura_test::thread_team team(2);
  futura_test::watchdog dog(watchdog_seconds);
  strict_waker a;
  boost::asio::thread_pool pool(static_cast<std::size_t>(threads));
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int spurious = futura_test::pick(g, 0, 10);
    const int finish = futura_test::pick(g, 0, 9);         // 0..6 complete, 7 fail, 8..9 nothing
    const int handle_action = futura_test::pick(g, 0, 4);  // nothing, abort, drop, poll once, abort+poll
    std::array<int, 2> skew{futura_test::pick(g, 0, 2000), futura_test::pick(g, 0, 2000)};
    std::ostringstream scenario;
    scenario << "task on a pool of " << threads << ": " << spurious << " wakes, "
             << (finish <= 6   ? "completes"
                 : finish == 7 ? "fails"
                               : "left pending")
             << ", handle " << handle_actions[handle_action];
    {
      remote_leaf leaf;
      std::optional<futura::join_handle<tracked>> h(futura::spawn(pool, leaf.future()));
      const int value = static_cast<int>(r);
      bool handle_done = false;  // the handle's one poll completed it (ready or threw)
      std::optional<int> got;
      std::exception_ptr error;
      auto poll_handle_once = [&] {
        futura::waker w = a.make();
        try {
          auto p = h->poll(w);
          if (p.is_ready()) {
            got = p.take().value;
            handle_done = true;
          }
        } catch (...) {
          error = std::current_exception();
          handle_done = true;
        }
      };
      team.run({[&] {  // wakes, then the outcome
                  futura_test::spin_for(skew[0]);
                  for (int i = 0; i < spurious; ++i) leaf.wake();
                  if (finish <= 6) {
                    leaf.complete(value);
                  } else if (finish == 7) {
                    leaf.fail();
                  }
                },
                [&] {  // the handle's owner
                  futura_test::spin_for(skew[1]);
                  switch (handle_action) {
                    case 1:
                      h->abort();
                      break;
                    case 2:
                      h.reset();
                      break;
                    case 3:
                      poll_handle_once();
                      break;
                    case 4:
                      h->abort();
                      poll_handle_once();
                      break;
                    default:
                      break;
                  }
                }});
      round_checks c;
      const bool aborted = handle_action == 1 || handle_action == 4;
      if (h && !handle_done) {
        if (!aborted && !leaf.finished()) leaf.complete(value);  // otherwise it would never end
        try {
          got = futura::block_on(std::move(*h)).value;  // woken by the task's completion (or abort)
        } catch (...) {
          error = std::current_exception();
        }
      }
      h.reset();
      if (handle_action != 2) {
        if (aborted) {
          c.expect(is_code(error, futura::error::aborted), "an aborted task's handle did not report aborted");
        } else if (leaf.failed()) {
          c.expect(error_is<futura_test::leaf_failure>(error), "the task's exception was not rethrown");
        } else {
          c.expect(got == value, "the task's value was not received");
        }
      }
      error = nullptr;
      // A dropped or aborted handle: the future is destroyed on the pool, maybe a moment later.
      c.expect(futura_test::wait_until([&] { return leaf.drops() == 1; }),
               "the task's future was never destroyed (destroyed " + std::to_string(leaf.drops()) + " times)");
      c.expect(leaf.overlapping_polls() == 0, "the task was polled by two threads at once");
      c.expect(leaf.delivered() <= 1, "the task's future delivered twice");
      c.expect(futura_test::wait_until([&] { return a.live_clones() == 0; }), "the handle's waker was never released");
      c.expect(a.underflows() == 0, "the handle's waker was released twice");
      if (!c.report(seed, r, scenario.str())) break;
    }
    round_checks after;
    after.expect(futura_test::wait_until([] { return tracked::alive() == 0; }),
                 std::to_string(tracked::alive()) + " values never destroyed (a task block never freed?)");
    if (!after.report(seed, r, "after the round")) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
  pool.join();  // every task has finished: returns at once
}

}  // namespace

BOOST_AUTO_TEST_CASE(tasks_on_a_pool_of_2_wake_abort_handle_drop_and_completion_race) {
  tasks_on_a_pool(2, futura_test::rounds(10000, 10000), "stress.tasks_pool_2");
}

BOOST_AUTO_TEST_CASE(tasks_on_a_pool_of_4_wake_abort_handle_drop_and_completion_race) {
  tasks_on_a_pool(4, futura_test::rounds(10000, 10000), "stress.tasks_pool_4");
}

// ---- block_on(io_context&) with another runner -------------------------------------------------

BOOST_AUTO_TEST_CASE(block_on_io_context_with_another_runner_and_wakes_from_a_third_thread) {
  // One thread runs the context all along; one blocks on a join of two leaves with
  // block_on(ctx, ...); a third wakes the leaves spuriously and completes them, directly or
  // through handlers posted to the context (run by either runner).
  const futura_test::stress_seed seed("stress.block_on_io_context");
  const long n = futura_test::rounds(6000, 6000);
  boost::asio::io_context ctx;
  auto work = boost::asio::make_work_guard(ctx);
  futura_test::joining_thread runner([&] { ctx.run(); });
  futura_test::thread_team team(2);
  futura_test::watchdog dog(watchdog_seconds);
  long r = 0;
  for (; r < n; ++r) {
    dog.round(seed.describe(r));
    auto g = seed.round(r);
    const int spurious = futura_test::pick(g, 0, 10);
    const int posted_spurious = futura_test::pick(g, 0, 6);
    std::array<bool, 2> complete_by_handler{futura_test::chance(g, 50), futura_test::chance(g, 50)};
    const auto order = shuffled(g, 2);
    const int skew = futura_test::pick(g, 0, 2000);
    std::ostringstream scenario;
    scenario << "block_on(ctx): " << spurious << " wakes, " << posted_spurious << " wakes in handlers, completions "
             << (complete_by_handler[0] ? "posted" : "direct") << "/" << (complete_by_handler[1] ? "posted" : "direct");
    leaf_set leaves(2);
    std::optional<std::tuple<tracked, tracked>> out;
    std::exception_ptr error;
    team.run({[&] {
                try {
                  out.emplace(futura::block_on(ctx, futura::join(leaves[0].future(), leaves[1].future())));
                } catch (...) {
                  error = std::current_exception();
                }
              },
              [&] {
                futura_test::spin_for(skew);
                for (int i = 0; i < posted_spurious; ++i) {
                  boost::asio::post(ctx, [l = leaves[static_cast<std::size_t>(i % 2)]] { l.wake(); });
                }
                for (int i = 0; i < spurious; ++i) leaves[static_cast<std::size_t>(i % 2)].wake();
                for (std::size_t i : order) {
                  const int v = static_cast<int>(r * 2 + static_cast<long>(i));
                  if (complete_by_handler[i]) {
                    boost::asio::post(ctx, [l = leaves[i], v]() mutable { l.complete(v); });
                  } else {
                    leaves[i].complete(v);
                  }
                }
              }});
    round_checks c;
    c.expect(error == nullptr, "block_on threw");
    c.expect(out.has_value() && std::get<0>(*out).value == r * 2 && std::get<1>(*out).value == r * 2 + 1,
             "block_on returned the wrong values");
    out.reset();
    leaves.check_gone(c);
    if (!c.report(seed, r, scenario.str())) break;
  }
  BOOST_TEST(r == n, "stopped at the first failed round");
  work.reset();
  runner.join();
  BOOST_TEST(tracked::alive() == 0);
}

BOOST_AUTO_TEST_CASE(block_on_io_context_hand_off_never_leaves_a_handler_waiting_on_the_other_runner) {
  // Issue 10, defect 2. This thread blocks on `f` with block_on(ctx); another thread runs ctx.
  // A handler H runs on this thread (inside block_on's run_one) and waits for a handler H2 that
  // only the other runner can run. While H waits, a third thread wakes `f`: the wake-up goes
  // to ctx, and the other runner must not block inside it until this thread leaves run_one
  // (H2 behind it would never run). H's wait is bounded, so a hand-off deadlock shows as a
  // failure here instead of a hang.
  const double limit = futura_test::under_sanitizer ? 10.0 : 5.0;
  boost::asio::io_context ctx;
  auto work = boost::asio::make_work_guard(ctx);
  futura_test::joining_thread runner([&] { ctx.run(); });
  for (int round = 0; round < 3; ++round) {
    remote_leaf leaf;
    const std::thread::id owner_thread = std::this_thread::get_id();
    std::atomic<bool> wake_now{false}, wake_done{false}, h2_ran{false}, h_done{false};
    std::atomic<bool> h2_timed_out{false}, wake_timed_out{false};
    std::function<void()> h;
    h = [&] {
      if (std::this_thread::get_id() != owner_thread) {
        boost::asio::post(ctx, [&] { h(); });  // only block_on's thread may run H
        return;
      }
      wake_now.store(true);
      if (!futura_test::wait_until([&] { return wake_done.load(); }, limit)) wake_timed_out.store(true);
      boost::asio::post(ctx, [&] { h2_ran.store(true); });
      if (!futura_test::wait_until([&] { return h2_ran.load(); }, limit)) h2_timed_out.store(true);
      h_done.store(true);
    };
    futura_test::joining_thread third([&] {
      if (!futura_test::wait_until([&] { return wake_now.load(); }, 60)) return;
      leaf.wake();  // f is pending, block_on's thread is inside run_one: a wake-up is posted
      wake_done.store(true);
      futura_test::wait_until([&] { return h_done.load(); }, 60);
      leaf.complete(round);
    });
    boost::asio::post(ctx, [&] { h(); });
    int v = -1;
    BOOST_CHECK_NO_THROW(v = futura::block_on(ctx, leaf.future()).value);
    third.join();
    BOOST_TEST(v == round);
    BOOST_TEST(!wake_timed_out.load());
    BOOST_TEST(!h2_timed_out.load(),
               "block_on(io_context&) hand-off deadlock (issue 10, defect 2): the other runner took the wake-up "
               "and waited inside its handler for this thread to leave run_one, while this thread's handler "
               "waited for a handler only that runner could run");
    if (h2_timed_out.load()) break;
  }
  work.reset();
  runner.join();
}

#if FUTURA_CHAOS_ENABLED
BOOST_AUTO_TEST_CASE(in_a_chaos_build_the_protocols_pass_their_chaos_points) {
  // Guards the build itself: the perturbation reaches the protocols under test.
  const unsigned long long before = futura::detail::chaos::points_reached();
  futura::promise<int> p;
  auto f = p.get_future();
  strict_waker a;
  futura::waker w = a.make();
  BOOST_TEST(f.poll(w).is_pending());
  std::thread t([p = std::move(p)]() mutable { p.set_value(1); });
  t.join();
  BOOST_TEST(futura_test::value_of(f.poll(w)) == 1);
  BOOST_TEST(futura::detail::chaos::points_reached() > before);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
