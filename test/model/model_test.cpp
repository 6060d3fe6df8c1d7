// Randomized model test: random trees of then / join / join_all / select / select_biased /
// try_join / branch over leaf futures that a driver completes in a random order, compared with a
// simple reference evaluator. Checks the output (value or exception), the exact step at which the
// root becomes ready (the root is polled only when its waker was woken, so a lost wakeup shows up
// as a late or missing completion), and that every leaf future is destroyed exactly once, except
// the leaves under a branch's side not taken, which are never made, polled or destroyed (the
// driver still completes them, unseen); each branch is checked as support/model.hpp's
// tree_handles::check_branches and either_probe say.
//
// The node kinds, the evaluator, the leaves and the tree builder live in support/model.hpp,
// shared with the fuzzer (test/fuzz/combinator_tree_fuzz.cpp); the seeded generator is here.
//
// A failing seed is printed with its tree; rerun one with `model_test -- --seed=N`.
#include <support/model.hpp>
#include <support/probe.hpp>
#include <support/seeds.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace futura_test;

namespace {

using namespace futura_test::combinator_model;

// ---- generation --------------------------------------------------------------------------

node generate(std::mt19937& rng, model& m, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  node n;
  if (depth == 0 || pick(4) == 0) {
    n.k = kind::leaf;
    n.leaf = static_cast<int>(m.leaves.size());
    leaf_plan p;
    p.value = pick(10) - 2;  // sometimes negative: an error under try_join
    p.throws = pick(12) == 0;
    m.leaves.push_back(p);
    return n;
  }
  static const kind inner[] = {kind::then,          kind::join,     kind::join_all, kind::select,
                               kind::select_biased, kind::try_join, kind::branch};
  n.k = inner[pick(7)];
  int arity = 1;
  switch (n.k) {
    case kind::then:
      n.addend = pick(5) + 1;
      break;
    case kind::branch:
      n.cond = pick(2) == 0;
      arity = 2;
      break;
    case kind::join:
      arity = 2 + pick(2);
      break;
    case kind::join_all:
      arity = 1 + pick(4);
      break;
    default:
      arity = 2;
  }
  for (int i = 0; i < arity; ++i) n.children.push_back(generate(rng, m, depth - 1));
  return n;
}

model make_model(unsigned seed) {
  std::mt19937 rng(seed);
  model m;
  m.root = generate(rng, m, 1 + static_cast<int>(rng() % 4));
  int branches = 0;
  assign_branch_slots(m.root, branches);
  std::vector<int> times(m.leaves.size());
  std::iota(times.begin(), times.end(), 1);
  std::shuffle(times.begin(), times.end(), rng);
  for (std::size_t i = 0; i < m.leaves.size(); ++i) m.leaves[i].time = times[i];
  m.first_poll_step = static_cast<int>(rng() % (m.leaves.size() / 2 + 1));
  return m;
}

/// Runs one seed; returns an empty string on success, else what went wrong.
std::string run_seed(unsigned seed) {
  model m = make_model(seed);
  outcomes expected = evaluate(m.root, m);
  tree_handles h;
  h.prepare(m, m.root);
  std::vector<leaf>& probes = h.leaves;
  std::vector<std::size_t> by_time(m.leaves.size());
  for (std::size_t i = 0; i < m.leaves.size(); ++i) by_time[static_cast<std::size_t>(m.leaves[i].time - 1)] = i;
  auto complete = [&](std::size_t leaf) { probes[leaf].finish(m.leaves[leaf]); };

  std::ostringstream failure;
  auto fail = [&](const std::string& what) {
    failure << what << "\n  tree: " << describe(m.root, m) << "\n  first poll at step " << m.first_poll_step
            << "; expected";
    for (const outcome& o : expected)
      failure << " {" << (o.thrown ? "throws" : "value " + std::to_string(o.value)) << " at " << o.time << "}";
    return failure.str();
  };

  std::optional<outcome> actual;
  int polls = 0;
  int wakes_seen = 0;
  {
    counting_waker target;
    futura::waker w = target.make();
    boxed root = build(m.root, h);
    int step = m.first_poll_step;
    for (int t = 1; t <= step; ++t) complete(by_time[static_cast<std::size_t>(t - 1)]);
    auto poll_root = [&](int at) {
      ++polls;
      try {
        auto r = root.poll(w);
        if (r.is_ready()) actual = outcome{false, r.value(), at};
      } catch (const std::runtime_error&) {
        actual = outcome{true, 0, at};
      }
    };
    poll_root(step);
    for (int t = step + 1; !actual && t <= static_cast<int>(m.leaves.size()); ++t) {
      complete(by_time[static_cast<std::size_t>(t - 1)]);
      if (target.wakes() > wakes_seen) {  // poll only when woken, as an executor does
        wakes_seen = target.wakes();
        poll_root(t);
      }
    }
    if (!actual) return fail("the root never became ready (lost wakeup?)");
  }
  // For an error value, compare the value too; for a throw, only the time.
  bool matched = false;
  for (const outcome& o : expected) {
    if (o.thrown == actual->thrown && o.time == actual->time && (o.thrown || o.value == actual->value)) matched = true;
  }
  if (!matched) {
    return fail(std::string("got ") + (actual->thrown ? "throws" : "value " + std::to_string(actual->value)) +
                " at step " + std::to_string(actual->time));
  }
  const std::vector<bool> built = built_leaves(m);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const int once = built[i] ? 1 : 0;  // a leaf under a branch's side not taken is never made
    if (probes[i].made() != once || probes[i].drops() != once || (!built[i] && probes[i].polls() != 0)) {
      return fail("leaf #" + std::to_string(i) + (built[i] ? "" : " (under a side not taken)") + " made " +
                  std::to_string(probes[i].made()) + ", polled " + std::to_string(probes[i].polls()) + ", destroyed " +
                  std::to_string(probes[i].drops()) + " times");
    }
  }
  const std::string branch_problem = h.check_branches(m.root);
  if (!branch_problem.empty()) return fail(branch_problem);
  if (polls > static_cast<int>(m.leaves.size()) + 1) return fail("root polled more often than it was woken");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(random_model)

BOOST_AUTO_TEST_CASE(random_trees_match_the_reference_evaluator) {
  // Rerun one seed with `model_test -- --seed=N`.
  run_seeds(run_seed, 10000, "FUTURA_MODEL_SEEDS");
}

BOOST_AUTO_TEST_CASE(the_reference_evaluator_agrees_with_hand_checked_trees) {
  // join[leaf(t=2,v=1), select[leaf(t=1,v=5), leaf(t=3,v=7)]] with the first poll at step 0:
  // the select finishes at 1 with 5, the join at 2 with 6.
  model m;
  m.leaves = {{2, 1, false}, {1, 5, false}, {3, 7, false}};
  node a{kind::leaf, 0, 0, {}}, b{kind::leaf, 1, 0, {}}, c{kind::leaf, 2, 0, {}};
  node sel{kind::select, -1, 0, {b, c}};
  m.root = node{kind::join, -1, 0, {a, sel}};
  outcomes o = evaluate(m.root, m);
  BOOST_REQUIRE(o.size() == 1);
  BOOST_TEST(o[0].value == 6);
  BOOST_TEST(o[0].time == 2);
  BOOST_TEST(!o[0].thrown);
  // try_join[leaf(t=1,v=-3), leaf(t=2,v=4)]: the error at step 1 wins.
  model e;
  e.leaves = {{1, -3, false}, {2, 4, false}};
  e.root = node{kind::try_join, -1, 0, {node{kind::leaf, 0, 0, {}}, node{kind::leaf, 1, 0, {}}}};
  outcomes oe = evaluate(e.root, e);
  BOOST_REQUIRE(oe.size() == 1);
  BOOST_TEST(oe[0].value == -3);
  BOOST_TEST(oe[0].time == 1);
  // select[branch(takes second)[leaf(t=1,v=5), leaf(t=3,v=7)], leaf(t=2,v=1)]: the branch is its
  // second leaf, ready at 3, so the select ends at 2 with 1; the first leaf, ready at 1, is unseen.
  model mb;
  mb.leaves = {{1, 5, false}, {3, 7, false}, {2, 1, false}};
  node br{kind::branch, -1, 0, {node{kind::leaf, 0, 0, {}}, node{kind::leaf, 1, 0, {}}}};
  br.cond = false;
  mb.root = node{kind::select, -1, 0, {br, node{kind::leaf, 2, 0, {}}}};
  outcomes ob = evaluate(mb.root, mb);
  BOOST_REQUIRE(ob.size() == 1);
  BOOST_TEST(ob[0].value == 1);
  BOOST_TEST(ob[0].time == 2);
  br.cond = true;  // taking the first leaf instead: ready at 1 with 5
  mb.root.children[0] = br;
  ob = evaluate(mb.root, mb);
  BOOST_REQUIRE(ob.size() == 1);
  BOOST_TEST(ob[0].value == 5);
  BOOST_TEST(ob[0].time == 1);
  BOOST_TEST(built_leaves(mb) == (std::vector<bool>{true, false, true}));
}

BOOST_AUTO_TEST_CASE(a_branch_builds_only_its_taken_side_and_checks_what_either_promises) {
  // branch(takes first)[leaf #0, join[leaf #1, leaf #2]]: an either_future of an unboxed leaf
  // future and a boxed join; leaf #0 throws at step 2, after the others completed unseen.
  model m;
  m.leaves = {{2, 0, true}, {1, 4, false}, {3, 5, false}};
  m.root = node{
      kind::branch,
      -1,
      0,
      {node{kind::leaf, 0, 0, {}}, node{kind::join, -1, 0, {node{kind::leaf, 1, 0, {}}, node{kind::leaf, 2, 0, {}}}}}};
  int branches = 0;
  assign_branch_slots(m.root, branches);
  BOOST_REQUIRE(branches == 1);
  tree_handles h;
  h.prepare(m, m.root);
  counting_waker target;
  futura::waker w = target.make();
  {
    boxed root = build(m.root, h);
    BOOST_TEST(h.leaves[0].made() == 1);
    BOOST_TEST(h.leaves[1].made() == 0);
    BOOST_TEST(h.leaves[2].made() == 0);
    BOOST_TEST(root.poll(w).is_pending());
    h.leaves[1].complete(4);  // the side not taken: nothing polls it, nothing wakes the root
    BOOST_TEST(target.wakes() == 0);
    h.leaves[0].fail();
    BOOST_TEST(target.wakes() == 1);  // the held leaf's wake is the root's
    BOOST_CHECK_THROW(static_cast<void>(root.poll(w)), std::runtime_error);
    BOOST_TEST(h.leaves[0].drops() == 1);  // boxed drops what threw
  }
  BOOST_TEST(h.leaves[1].polls() == 0);
  BOOST_TEST(h.leaves[2].drops() == 0);
  BOOST_TEST(h.check_branches(m.root) == "");
  BOOST_TEST(h.branches[0]->sides[0].polls.load() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
