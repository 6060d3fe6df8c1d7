// Suite cancellation_token: tokens, their children and cancelled() futures, and with_cancellation.
// Wake counts, the tree (children of cancelled tokens, dropped children unlinking, deep chains),
// destruction and allocation, and cancels racing polls, drops and child() on other threads.
#include <futura/core.hpp>

#include <support/allocation_counter.hpp>  // one per program: see the header
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace futura_test;
using futura::cancellation_token;
using tokens = futura::detail::token_access;

namespace {

template <class R>
bool is_aborted_result(const R& r) {
  return r.has_error() && r.error() == futura::error::aborted;
}

/// Pending until dropped; counts its polls and destructions (shared with the test).
struct counted_pending : futura::future_ext<counted_pending> {
  using output_type = int;
  struct counts {
    std::atomic<int> polls{0};
    std::atomic<int> destructions{0};
  };
  std::shared_ptr<counts> c;
  explicit counted_pending(std::shared_ptr<counts> s) : c(std::move(s)) {}
  counted_pending(counted_pending&&) = default;
  ~counted_pending() {
    if (c) ++c->destructions;
  }
  futura::poll_result<int> poll(futura::waker&) {
    ++c->polls;
    return futura::pending;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cancellation_token_suite)

// ---- tokens and cancelled() ----

BOOST_AUTO_TEST_CASE(a_new_token_is_live_and_cancel_is_seen_by_every_copy) {
  cancellation_token t;
  cancellation_token copy = t;
  BOOST_TEST(!t.is_cancelled());
  BOOST_TEST(!copy.is_cancelled());
  copy.cancel();
  BOOST_TEST(t.is_cancelled());
  BOOST_TEST(copy.is_cancelled());
}

BOOST_AUTO_TEST_CASE(cancel_wakes_a_pending_cancelled_future_once_and_it_is_ready_at_the_next_poll) {
  cancellation_token t;
  strict_waker sw;
  futura::waker w = sw.make();
  auto f = t.cancelled();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(f.poll(w).is_pending());  // the same waker again: still one registration
  BOOST_TEST(tokens::registered_waiters(t) == 1u);
  BOOST_TEST(sw.wakes() == 0);
  t.cancel();
  t.cancel();  // idempotent: no second wake
  BOOST_TEST(sw.wakes() == 1);
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(tokens::registered_waiters(t) == 0u);
  BOOST_TEST(sw.live_clones() == 1);  // only `w`: the future released its clone
  BOOST_TEST(sw.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_cancelled_future_polled_after_the_cancel_is_ready_without_cloning_the_waker) {
  cancellation_token t;
  t.cancel();
  strict_waker sw;
  futura::waker w = sw.make();
  auto f = t.cancelled();
  bool ready = false;
  long allocations = allocations_during([&] { ready = f.poll(w).is_ready(); });
  BOOST_TEST(ready);
  BOOST_TEST(allocations == 0);
  BOOST_TEST(sw.live_clones() == 1);
  BOOST_TEST(sw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(cancel_wakes_the_waker_of_the_latest_poll_and_releases_the_old_one) {
  cancellation_token t;
  strict_waker first;
  strict_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  auto f = t.cancelled();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(first.live_clones() == 2);
  BOOST_TEST(f.poll(w2).is_pending());
  BOOST_TEST(first.live_clones() == 1);
  BOOST_TEST(tokens::registered_waiters(t) == 1u);
  t.cancel();
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(second.live_clones() == 1);  // the cancel woke and dropped the future's clone
}

BOOST_AUTO_TEST_CASE(every_pending_future_of_the_token_and_its_subtree_is_woken_once) {
  cancellation_token root;
  cancellation_token a = root.child();
  cancellation_token b = root.child();
  cancellation_token a1 = a.child();
  std::vector<cancellation_token> all{root, a, b, a1, root, a1};
  std::vector<futura::cancelled_future> futures;
  std::vector<std::unique_ptr<strict_waker>> wakers;
  for (const auto& t : all) {
    futures.push_back(t.cancelled());
    wakers.push_back(std::make_unique<strict_waker>());
    futura::waker w = wakers.back()->make();
    BOOST_TEST(futures.back().poll(w).is_pending());
  }
  root.cancel();
  for (std::size_t i = 0; i < all.size(); ++i) {
    BOOST_TEST(all[i].is_cancelled());
    BOOST_TEST(wakers[i]->wakes() == 1);
    BOOST_TEST(wakers[i]->live_clones() == 0);
    futura::waker w = wakers[i]->make();
    BOOST_TEST(futures[i].poll(w).is_ready());
  }
}

BOOST_AUTO_TEST_CASE(cancelling_a_child_leaves_its_parent_and_siblings_alone) {
  cancellation_token parent;
  cancellation_token a = parent.child();
  cancellation_token b = parent.child();
  cancellation_token a1 = a.child();
  strict_waker parent_waker;
  strict_waker b_waker;
  auto pf = parent.cancelled();
  auto bf = b.cancelled();
  futura::waker pw = parent_waker.make();
  futura::waker bw = b_waker.make();
  BOOST_TEST(pf.poll(pw).is_pending());
  BOOST_TEST(bf.poll(bw).is_pending());
  a.cancel();
  BOOST_TEST(a.is_cancelled());
  BOOST_TEST(a1.is_cancelled());
  BOOST_TEST(!parent.is_cancelled());
  BOOST_TEST(!b.is_cancelled());
  BOOST_TEST(parent_waker.wakes() == 0);
  BOOST_TEST(b_waker.wakes() == 0);
  BOOST_TEST(tokens::registered_children(parent) == 1u);  // a left the tree, b stays
  parent.cancel();
  BOOST_TEST(parent_waker.wakes() == 1);
  BOOST_TEST(b_waker.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(a_child_of_a_cancelled_token_starts_cancelled_and_its_future_is_ready_at_once) {
  cancellation_token parent;
  cancellation_token mid = parent.child();
  parent.cancel();
  cancellation_token c = parent.child();
  cancellation_token grandchild = mid.child();
  BOOST_TEST(c.is_cancelled());
  BOOST_TEST(grandchild.is_cancelled());
  BOOST_TEST(c.child().is_cancelled());
  BOOST_TEST(tokens::registered_children(parent) == 0u);  // cancelled tokens are never linked
  auto f = grandchild.cancelled();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(the_cancelled_future_outlives_every_token) {
  strict_waker sw;
  futura::waker w = sw.make();
  std::optional<futura::cancelled_future> f;
  cancellation_token parent;
  {
    cancellation_token child = parent.child();
    f.emplace(child.cancelled());
  }  // the child token is gone; its state lives in the future
  BOOST_TEST(f->poll(w).is_pending());
  parent.cancel();
  BOOST_TEST(sw.wakes() == 1);
  BOOST_TEST(f->poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(a_cancelled_future_moved_between_polls_is_still_woken) {
  cancellation_token t;
  strict_waker sw;
  futura::waker w = sw.make();
  auto f = t.cancelled();
  BOOST_TEST(f.poll(w).is_pending());
  auto moved = std::move(f);
  t.cancel();
  BOOST_TEST(sw.wakes() == 1);
  BOOST_TEST(moved.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_cancelled_future_unlinks_it_and_releases_its_waker) {
  cancellation_token t;
  strict_waker sw;
  futura::waker w = sw.make();
  {
    auto f = t.cancelled();
    auto g = t.cancelled();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(g.poll(w).is_pending());
    BOOST_TEST(tokens::registered_waiters(t) == 2u);
  }
  BOOST_TEST(tokens::registered_waiters(t) == 0u);
  BOOST_TEST(sw.live_clones() == 1);
  t.cancel();
  BOOST_TEST(sw.wakes() == 0);
}

BOOST_AUTO_TEST_CASE(a_cancelled_future_allocates_its_waiter_once_and_frees_it) {
  cancellation_token t;
  strict_waker sw1;
  strict_waker sw2;
  futura::waker w1 = sw1.make();
  futura::waker w2 = sw2.make();
  std::optional<futura::cancelled_future> f;
  long making = allocations_during([&] { f.emplace(t.cancelled()); });
  long first_poll = allocations_during([&] { (void)f->poll(w1); });
  long more_polls = allocations_during([&] {
    (void)f->poll(w1);
    (void)f->poll(w2);
    (void)f->poll(w1);
  });
  BOOST_TEST(making == 0);
  BOOST_TEST(first_poll == 1);
  BOOST_TEST(more_polls == 0);
}

BOOST_AUTO_TEST_CASE(polling_a_completed_cancelled_future_is_rule_4s_error) {
  cancellation_token t;
  t.cancel();
  auto f = t.cancelled();
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(block_on_the_cancelled_future_of_a_cancelled_token_returns_unit) {
  cancellation_token t;
  t.cancel();
  futura::unit u = futura::block_on(t.cancelled());
  (void)u;
}

BOOST_AUTO_TEST_CASE(a_moved_from_token_is_empty_cancel_does_nothing_and_assignment_revives_it) {
  cancellation_token t;
  cancellation_token taken = std::move(t);
  t.cancel();  // NOLINT(bugprone-use-after-move): the documented empty state
  BOOST_TEST(!t.is_cancelled());
  BOOST_TEST(!taken.is_cancelled());
  BOOST_TEST(tokens::registered_children(t) == 0u);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_THROW((void)t.cancelled(), std::logic_error);
  BOOST_CHECK_THROW((void)t.child(), std::logic_error);
  BOOST_CHECK_THROW((void)futura::with_cancellation(t, futura::ready(1)), std::logic_error);
#endif
  t = taken;
  t.cancel();
  BOOST_TEST(taken.is_cancelled());
}

// ---- the tree: dropped children, deep chains ----

BOOST_AUTO_TEST_CASE(dropped_children_unlink_themselves_so_a_parent_with_many_short_lived_children_stays_small) {
  cancellation_token parent;
  constexpr int children = 100000;
  std::vector<cancellation_token> kept;
  std::vector<futura::cancelled_future> kept_futures;
  strict_waker sw;
  futura::waker w = sw.make();
  std::size_t most_registered = 0;
  for (int i = 0; i < children; ++i) {
    cancellation_token c = parent.child();
    if (i % 1000 == 0) {
      kept_futures.push_back(c.cancelled());
      BOOST_TEST_REQUIRE(kept_futures.back().poll(w).is_pending());
      kept.push_back(std::move(c));
    }
    if (i % 997 == 0) most_registered = std::max(most_registered, tokens::registered_children(parent));
  }
  BOOST_TEST(tokens::registered_children(parent) == kept.size());
  BOOST_TEST(most_registered <= kept.size() + 1);
  // Another batch, each child with a pending future: two allocations each (its node and the
  // future's waiter), and nothing stays linked (LeakSanitizer checks that both are freed).
  long allocations = 0;
  {
    allocation_count count;
    for (int i = 0; i < 1000; ++i) {
      cancellation_token c = parent.child();
      auto f = c.cancelled();
      (void)f.poll(w);
    }
    allocations = count();
  }
  BOOST_TEST(tokens::registered_children(parent) == kept.size());
  BOOST_TEST(tokens::registered_waiters(parent) == 0u);
#if FUTURA_TEST_ALLOCATIONS_BY_HOOK
  BOOST_TEST(allocations >= 2000);
#else
  BOOST_TEST(allocations == 2000);
#endif
  parent.cancel();
  BOOST_TEST(sw.wakes() == static_cast<int>(kept.size()));
  for (const auto& c : kept) BOOST_TEST_REQUIRE(c.is_cancelled());
}

BOOST_AUTO_TEST_CASE(a_dropped_middle_token_hands_its_children_to_its_parent) {
  cancellation_token root;
  std::optional<cancellation_token> mid(root.child());
  cancellation_token leaf1 = mid->child();
  cancellation_token leaf2 = mid->child();
  cancellation_token other = root.child();
  BOOST_TEST(tokens::registered_children(root) == 2u);
  mid.reset();
  BOOST_TEST(tokens::registered_children(root) == 3u);
  strict_waker sw;
  futura::waker w = sw.make();
  auto f = leaf2.cancelled();
  BOOST_TEST(f.poll(w).is_pending());
  root.cancel();
  BOOST_TEST(leaf1.is_cancelled());
  BOOST_TEST(leaf2.is_cancelled());
  BOOST_TEST(other.is_cancelled());
  BOOST_TEST(sw.wakes() == 1);
}

BOOST_AUTO_TEST_CASE(the_root_token_may_go_first_and_its_children_still_work) {
  std::optional<cancellation_token> root(std::in_place);
  cancellation_token a = root->child();
  cancellation_token a1 = a.child();
  root.reset();
  a.cancel();
  BOOST_TEST(a1.is_cancelled());
}

namespace {
constexpr int deep = 10000;

/// A chain root -> c1 -> ... -> c_deep, each token the child of the one before.
std::vector<cancellation_token> make_chain() {
  std::vector<cancellation_token> chain;
  chain.reserve(deep + 1);
  chain.emplace_back();
  for (int i = 0; i < deep; ++i) chain.push_back(chain.back().child());
  return chain;
}
}  // namespace

BOOST_AUTO_TEST_CASE(cancelling_the_top_of_a_deep_chain_reaches_the_bottom_without_recursion) {
  auto chain = make_chain();
  strict_waker sw;
  futura::waker w = sw.make();
  auto bottom = chain.back().cancelled();
  BOOST_TEST(bottom.poll(w).is_pending());
  chain.front().cancel();
  BOOST_TEST(sw.wakes() == 1);
  for (const auto& t : chain) BOOST_TEST_REQUIRE(t.is_cancelled());
  BOOST_TEST(bottom.poll(w).is_ready());
}

BOOST_AUTO_TEST_CASE(dropping_a_deep_chain_from_the_top_the_bottom_or_every_other_link_first_works_without_recursion) {
  for (int order = 0; order < 3; ++order) {
    auto chain = make_chain();
    if (order == 0) {
      std::reverse(chain.begin(), chain.end());
      while (!chain.empty()) chain.pop_back();  // the root first, then down the chain
    } else if (order == 1) {
      while (!chain.empty()) chain.pop_back();  // the bottom first
    } else {
      // Every other link first: each dropped one hands its child to its parent, so the chain
      // still carries a cancel from the top to the bottom.
      for (std::size_t i = 1; i < chain.size(); i += 2) {
        cancellation_token gone = std::move(chain[i]);
      }
      strict_waker sw;
      futura::waker w = sw.make();
      auto f = chain.back().cancelled();
      BOOST_TEST_REQUIRE(f.poll(w).is_pending());
      BOOST_TEST(tokens::registered_children(chain.front()) == 1u);
      chain.front().cancel();
      BOOST_TEST(sw.wakes() == 1);
      BOOST_TEST(chain.back().is_cancelled());
    }
  }
}

// ---- with_cancellation ----

BOOST_AUTO_TEST_CASE(with_cancellation_yields_the_value_when_the_future_completes_first) {
  cancellation_token t;
  probe<int> p;
  auto f = futura::with_cancellation(t, p.future());
  static_assert(std::is_same_v<futura::output_t<decltype(f)>, boost::system::result<int>>);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(tokens::registered_waiters(t) == 1u);
  p.complete(7);
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value().value() == 7);
  BOOST_TEST(p.drops() == 1);
  BOOST_TEST(tokens::registered_waiters(t) == 0u);
  t.cancel();                   // after completion: nothing to wake
  BOOST_TEST(cw.wakes() == 1);  // the probe's own wake only
}

BOOST_AUTO_TEST_CASE(with_cancellation_never_polls_the_future_when_the_token_is_cancelled_first) {
  cancellation_token t;
  t.cancel();
  auto c = std::make_shared<counted_pending::counts>();
  auto f = futura::with_cancellation(t.child(), counted_pending(c));
  futura::waker w = futura::noop_waker();
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(is_aborted_result(r.value()));
  BOOST_TEST(c->polls == 0);
  BOOST_TEST(c->destructions == 1);
}

BOOST_AUTO_TEST_CASE(cancel_while_pending_wakes_once_and_the_next_poll_destroys_the_future_without_polling_it) {
  cancellation_token t;
  auto c = std::make_shared<counted_pending::counts>();
  auto f = futura::with_cancellation(t, counted_pending(c));
  strict_waker sw;
  futura::waker w = sw.make();
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(c->polls == 2);
  t.cancel();
  BOOST_TEST(sw.wakes() == 1);
  BOOST_TEST(c->destructions == 0);  // cancel destroys nothing itself
  auto r = f.poll(w);
  BOOST_TEST_REQUIRE(r.is_ready());
  BOOST_TEST(is_aborted_result(r.value()));
  BOOST_TEST(c->polls == 2);
  BOOST_TEST(c->destructions == 1);
  BOOST_TEST(sw.live_clones() == 1);
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(dropping_a_pending_with_cancellation_destroys_the_future_once_and_unlinks_it) {
  cancellation_token t;
  tracked::reset();
  {
    auto f = futura::with_cancellation(t, futura::lazy([v = tracked(1)] { return futura::pending_forever<int>(); }));
    futura::waker w = futura::noop_waker();
    BOOST_TEST(f.poll(w).is_pending());
    BOOST_TEST(tokens::registered_waiters(t) == 1u);
  }
  BOOST_TEST(tracked::alive() == 0);
  BOOST_TEST(tokens::registered_waiters(t) == 0u);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(an_exception_from_the_future_passes_through_and_completes_with_cancellation) {
  cancellation_token t;
  probe<int> p;
  auto f = futura::with_cancellation(t, p.future());
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_pending());
  p.fail("boom");
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(p.drops() == 1);
  BOOST_TEST(tokens::registered_waiters(t) == 0u);
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
}
#endif

BOOST_AUTO_TEST_CASE(with_cancellation_keeps_result_outputs_nested_and_composes_with_then) {
  cancellation_token t;
  auto f = futura::with_cancellation(t, futura::ready(boost::system::result<int>(3)))
               .then([](boost::system::result<boost::system::result<int>> r) { return r.value().value() * 2; });
  BOOST_TEST(futura::block_on(std::move(f)) == 6);
}

BOOST_AUTO_TEST_CASE(with_cancellation_allocates_only_its_waiter_at_the_first_pending_poll) {
  cancellation_token t;
  auto c = std::make_shared<counted_pending::counts>();
  std::optional<futura::with_cancellation_future<counted_pending>> f;
  strict_waker sw;
  futura::waker w = sw.make();
  long building = allocations_during([&] { f.emplace(futura::with_cancellation(t, counted_pending(c))); });
  long first = allocations_during([&] { (void)f->poll(w); });
  long later = allocations_during([&] {
    (void)f->poll(w);
    t.cancel();
    (void)f->poll(w);
  });
  BOOST_TEST(building == 0);
  BOOST_TEST(first == 1);
  BOOST_TEST(later == 0);
  auto ready_at_once = futura::with_cancellation(t.child(), futura::ready(1));
  long ready_polls = allocations_during([&] { (void)ready_at_once.poll(w); });
  BOOST_TEST(ready_polls == 0);  // no waiter when the token is cancelled at the first poll
}

// ---- threads ----

BOOST_AUTO_TEST_CASE(cancel_from_another_thread_ends_block_on_of_with_cancellation_and_of_cancelled) {
  const long rounds_n = rounds(300, 60);
  for (long i = 0; i < rounds_n; ++i) {
    cancellation_token t;
    cancellation_token child = t.child();
    auto c = std::make_shared<counted_pending::counts>();
    joining_thread canceller([t] { t.cancel(); });
    auto r = futura::block_on(futura::with_cancellation(child, counted_pending(c)));
    BOOST_TEST_REQUIRE(is_aborted_result(r));
    BOOST_TEST_REQUIRE(c->destructions == 1);
    futura::block_on(child.cancelled());
  }
}

BOOST_AUTO_TEST_CASE(cancel_racing_a_poll_is_never_lost) {
  // One thread polls (at most twice), another cancels, both released together. Afterwards
  // either a poll saw the cancel or the waker it registered was woken: never neither.
  const long rounds_n = rounds(3000, 300);
  stress_seed seeds("cancel_racing_a_poll_is_never_lost");
  thread_team team(2);
  for (long r = 0; r < rounds_n; ++r) {
    auto g = seeds.round(r);
    const int poll_delay = pick(g, 0, 200);
    const int cancel_delay = pick(g, 0, 200);
    cancellation_token root;
    cancellation_token t = chance(g, 50) ? root.child() : root;
    strict_waker sw;
    auto f = t.cancelled();
    bool ready = false;
    team.run({[&] {
                spin_for(poll_delay);
                for (int polls = 0; polls < 2 && !ready; ++polls) {
                  futura::waker w = sw.make();
                  ready = f.poll(w).is_ready();
                }
              },
              [&] {
                spin_for(cancel_delay);
                root.cancel();
              }});
    if (!ready) {
      BOOST_TEST_REQUIRE(sw.wakes() == 1, seeds.describe(r));
      futura::waker w = sw.make();
      BOOST_TEST_REQUIRE(f.poll(w).is_ready(), seeds.describe(r));
    }
    BOOST_TEST_REQUIRE(sw.wakes() <= 1, seeds.describe(r));
    BOOST_TEST_REQUIRE(sw.underflows() == 0, seeds.describe(r));
    BOOST_TEST_REQUIRE(sw.live_clones() == 0, seeds.describe(r));
  }
}

BOOST_AUTO_TEST_CASE(cancel_racing_drops_of_children_and_of_cancelled_futures_and_child_calls) {
  // Three threads per round over one tree: one cancels the root, one drops children and
  // pending cancelled() futures, one makes new children (of live and of soon-cancelled
  // tokens). Afterwards every surviving token is cancelled, every waker clone is released
  // exactly once, and each waiter still pending at the cancel was woken once.
  const long rounds_n = rounds(1000, 100);
  stress_seed seeds("cancel_racing_drops_of_children_and_of_cancelled_futures_and_child_calls");
  failure_log failures;
  thread_team team(3);
  for (long r = 0; r < rounds_n; ++r) {
    auto g = seeds.round(r);
    const int cancel_delay = pick(g, 0, 400);
    const int drop_delay = pick(g, 0, 400);
    const int make_delay = pick(g, 0, 400);
    const int drops = pick(g, 1, 16);
    cancellation_token root;
    std::vector<cancellation_token> doomed;
    std::vector<futura::cancelled_future> doomed_futures;
    std::vector<std::unique_ptr<strict_waker>> doomed_wakers;
    for (int i = 0; i < drops; ++i) {
      doomed.push_back(i % 3 == 0 || doomed.empty() ? root.child() : doomed.back().child());
      doomed_futures.push_back(doomed.back().cancelled());
      doomed_wakers.push_back(std::make_unique<strict_waker>());
      futura::waker w = doomed_wakers.back()->make();
      BOOST_TEST_REQUIRE(doomed_futures.back().poll(w).is_pending());
    }
    cancellation_token survivor_parent = doomed.back();
    std::vector<cancellation_token> born;
    std::vector<futura::cancelled_future> born_futures;
    std::vector<std::unique_ptr<strict_waker>> born_wakers;
    for (int i = 0; i < 8; ++i) born_wakers.push_back(std::make_unique<strict_waker>());
    team.run({[&] {
                spin_for(cancel_delay);
                root.cancel();
              },
              [&] {
                spin_for(drop_delay);
                while (!doomed.empty()) {
                  doomed.pop_back();
                  doomed_futures.pop_back();
                }
              },
              [&] {
                spin_for(make_delay);
                for (int i = 0; i < 8; ++i) {
                  born.push_back((i % 2 ? survivor_parent : root).child());
                  born_futures.push_back(born.back().cancelled());
                  futura::waker w = born_wakers[static_cast<std::size_t>(i)]->make();
                  if (born_futures.back().poll(w).is_ready()) born_futures.pop_back();
                }
              }});
    if (!root.is_cancelled()) failures.add("root not cancelled: " + seeds.describe(r));
    if (!survivor_parent.is_cancelled()) failures.add("a descendant not cancelled: " + seeds.describe(r));
    for (const auto& t : born) {
      if (!t.is_cancelled()) failures.add("a child made during the cancel is live: " + seeds.describe(r));
    }
    for (auto& f : born_futures) {
      futura::waker w = futura::noop_waker();
      if (!f.poll(w).is_ready()) failures.add("a pending future missed the cancel: " + seeds.describe(r));
    }
    for (const auto& sw : born_wakers) {
      if (sw->wakes() > 1 || sw->underflows() != 0 || sw->live_clones() != 0)
        failures.add("born waker miscounted: " + seeds.describe(r));
    }
    for (const auto& sw : doomed_wakers) {
      if (sw->wakes() > 1 || sw->underflows() != 0 || sw->live_clones() != 0)
        failures.add("dropped future's waker miscounted: " + seeds.describe(r));
    }
    if (tokens::registered_children(root) != 0u) failures.add("a child still linked: " + seeds.describe(r));
    if (!failures.empty()) break;
  }
  failures.report();
}

BOOST_AUTO_TEST_CASE(cancelling_two_overlapping_subtrees_at_once_wakes_each_future_once) {
  const long rounds_n = rounds(1000, 100);
  thread_team team(3);
  for (long r = 0; r < rounds_n; ++r) {
    cancellation_token root;
    cancellation_token mid = root.child();
    cancellation_token leaf = mid.child();
    strict_waker sw;
    auto f = leaf.cancelled();
    {
      futura::waker w = sw.make();
      BOOST_TEST_REQUIRE(f.poll(w).is_pending());
    }
    team.run({[&] { root.cancel(); }, [&] { mid.cancel(); }, [&] { leaf.cancel(); }});
    BOOST_TEST_REQUIRE(sw.wakes() == 1);
    BOOST_TEST_REQUIRE(sw.live_clones() == 0);
    futura::waker w = futura::noop_waker();
    BOOST_TEST_REQUIRE(f.poll(w).is_ready());
  }
}

#if FUTURA_CHAOS_ENABLED
BOOST_AUTO_TEST_CASE(a_future_and_its_token_dropped_while_the_cancel_is_about_to_wake_it_are_woken_once_and_freed) {
  // The canceller has taken the waiter out of the list and left the lock; the future and every
  // token go before it wakes. The waiter lives on through the canceller's reference.
  chaos_gates gates;
  chaos_gate& waking = gates.add("token.cancel.waking");
  strict_waker sw;
  std::optional<cancellation_token> t(std::in_place);
  std::optional<futura::cancelled_future> f(t->cancelled());
  {
    futura::waker w = sw.make();
    BOOST_TEST_REQUIRE(f->poll(w).is_pending());
  }
  joining_thread canceller([&waking, token = *t] {
    waking.bind_this_thread();
    token.cancel();
  });
  BOOST_TEST_REQUIRE(reached_within(waking));
  f.reset();
  t.reset();
  BOOST_TEST(sw.wakes() == 0);
  waking.open();
  canceller.join();
  BOOST_TEST(sw.wakes() == 1);
  BOOST_TEST(sw.live_clones() == 0);
  BOOST_TEST(sw.underflows() == 0);
}

BOOST_AUTO_TEST_CASE(a_cancel_completed_between_a_polls_first_look_and_its_registration_is_seen_by_that_poll) {
  for (int kind = 0; kind < 2; ++kind) {  // cancelled(), then with_cancellation
    chaos_gates gates;
    chaos_gate& registering = gates.add("token.register.before_lock");
    cancellation_token t;
    strict_waker sw;
    auto f = t.cancelled();
    auto g = futura::with_cancellation(t, futura::pending_forever<int>());
    bool ready = false;
    joining_thread poller([&] {
      registering.bind_this_thread();
      futura::waker w = sw.make();
      ready = kind == 0 ? f.poll(w).is_ready() : g.poll(w).is_ready();
    });
    BOOST_TEST_REQUIRE(reached_within(registering));  // past its look at the flag
    t.cancel();
    registering.open();
    poller.join();
    BOOST_TEST(ready);  // the poll looks again under the lock: no waiter left behind
    BOOST_TEST(tokens::registered_waiters(t) == 0u);
    BOOST_TEST(sw.live_clones() == 0);
  }
}

BOOST_AUTO_TEST_CASE(children_dropped_and_made_while_a_cancel_holds_the_lock_wait_for_it_and_see_it) {
  chaos_gates gates;
  chaos_gate& locked = gates.add("token.cancel.locked");
  cancellation_token root;
  std::optional<cancellation_token> mid(root.child());
  cancellation_token leaf = mid->child();
  joining_thread canceller([&locked, root] {
    locked.bind_this_thread();
    root.cancel();
  });
  BOOST_TEST_REQUIRE(reached_within(locked));
  std::optional<cancellation_token> late;
  joining_thread other([&] {
    mid.reset();                 // waits for the lock: the cancel walks the tree first
    late.emplace(leaf.child());  // made after the cancel: starts cancelled
  });
  locked.open();
  canceller.join();
  other.join();
  BOOST_TEST(leaf.is_cancelled());
  BOOST_TEST(late->is_cancelled());
  BOOST_TEST(tokens::registered_children(root) == 0u);
}
#endif  // FUTURA_CHAOS_ENABLED

BOOST_AUTO_TEST_SUITE_END()
