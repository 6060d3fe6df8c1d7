// Randomized model test: random trees of then / join / join_all / select / select_biased /
// try_join over leaf futures that a driver completes in a random order, compared with a simple
// reference evaluator. Checks the output (value or exception), the exact step at which the root
// becomes ready (the root is polled only when its waker was woken, so a lost wakeup shows up as
// a late or missing completion), and that every leaf future is destroyed exactly once.
//
// A failing seed is printed with its tree; rerun one with `model_test -- --seed=N`.
#include <support/probe.hpp>

#include <futura/combinator/boxed.hpp>
#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/combinator/select.hpp>
#include <futura/combinator/try_join.hpp>

#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

using namespace futura_test;

namespace {

enum class kind { leaf, then, join, join_all, select, select_biased, try_join };

struct node {
  kind k = kind::leaf;
  int leaf = -1;    // index into the leaves, for kind::leaf
  int addend = 0;   // for kind::then
  std::vector<node> children;
};

struct leaf_plan {
  int time = 0;     // the step at which the driver completes it
  int value = 0;    // negative values are errors to a try_join above
  bool throws = false;
};

/// What a (sub)tree can end with: a value or an exception, at a step.
struct outcome {
  bool thrown = false;
  int value = 0;
  int time = 0;
  bool operator==(const outcome& o) const { return thrown == o.thrown && value == o.value && time == o.time; }
};
using outcomes = std::vector<outcome>;

void add_unique(outcomes& to, const outcome& o) {
  if (std::find(to.begin(), to.end(), o) == to.end()) to.push_back(o);
}

struct model {
  std::vector<leaf_plan> leaves;
  int first_poll_step = 0;  // leaves with time <= this are complete before the first poll
  node root;
};

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
  static const kind inner[] = {kind::then, kind::join, kind::join_all, kind::select, kind::select_biased, kind::try_join};
  n.k = inner[pick(6)];
  int arity = 1;
  switch (n.k) {
    case kind::then:
      n.addend = pick(5) + 1;
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
  std::vector<int> times(m.leaves.size());
  std::iota(times.begin(), times.end(), 1);
  std::shuffle(times.begin(), times.end(), rng);
  for (std::size_t i = 0; i < m.leaves.size(); ++i) m.leaves[i].time = times[i];
  m.first_poll_step = static_cast<int>(rng() % (m.leaves.size() / 2 + 1));
  return m;
}

std::string describe(const node& n, const model& m) {
  std::ostringstream out;
  static const char* names[] = {"leaf", "then", "join", "join_all", "select", "select_biased", "try_join"};
  out << names[static_cast<int>(n.k)];
  if (n.k == kind::leaf) {
    const leaf_plan& p = m.leaves[static_cast<std::size_t>(n.leaf)];
    out << "#" << n.leaf << "(t=" << p.time << (p.throws ? ",throws" : "") << ",v=" << p.value << ")";
    return out.str();
  }
  if (n.k == kind::then) out << "(+" << n.addend << ")";
  out << "[";
  for (std::size_t i = 0; i < n.children.size(); ++i) out << (i ? ", " : "") << describe(n.children[i], m);
  out << "]";
  return out.str();
}

// ---- reference evaluator -----------------------------------------------------------------
// Time of an event is max(its step, the first poll's step): everything completed before the
// first poll is seen at the first poll, where children are polled in argument order — except
// by a fair select, whose tie may go either way (every resolution is an allowed outcome).

/// Every combination of one outcome per child.
void combinations(const std::vector<outcomes>& per_child, std::vector<std::vector<outcome>>& out) {
  out.assign(1, {});
  for (const outcomes& options : per_child) {
    std::vector<std::vector<outcome>> next;
    for (const auto& prefix : out) {
      for (const outcome& o : options) {
        next.push_back(prefix);
        next.back().push_back(o);
      }
    }
    out = std::move(next);
  }
}

outcomes evaluate(const node& n, const model& m) {
  outcomes result;
  if (n.k == kind::leaf) {
    const leaf_plan& p = m.leaves[static_cast<std::size_t>(n.leaf)];
    result.push_back({p.throws, p.value, std::max(p.time, m.first_poll_step)});
    return result;
  }
  std::vector<outcomes> per_child;
  for (const node& c : n.children) per_child.push_back(evaluate(c, m));
  std::vector<std::vector<outcome>> combos;
  combinations(per_child, combos);
  for (const auto& cs : combos) {
    switch (n.k) {
      case kind::then: {
        outcome o = cs[0];
        if (!o.thrown) o.value += n.addend;
        add_unique(result, o);
        break;
      }
      case kind::join:
      case kind::join_all: {
        // Throws at the earliest throwing child (argument order on ties); else the sum at the last.
        const outcome* first_throw = nullptr;
        for (const outcome& c : cs) {
          if (c.thrown && (!first_throw || c.time < first_throw->time)) first_throw = &c;
        }
        if (first_throw) {
          add_unique(result, *first_throw);
        } else {
          outcome o;
          for (const outcome& c : cs) {
            o.value += c.value;
            o.time = std::max(o.time, c.time);
          }
          add_unique(result, o);
        }
        break;
      }
      case kind::select:
      case kind::select_biased: {
        int best = std::min(cs[0].time, cs[1].time);
        for (std::size_t i = 0; i < cs.size(); ++i) {
          if (cs[i].time != best) continue;
          add_unique(result, cs[i]);
          if (n.k == kind::select_biased) break;  // argument order decides a tie
        }
        break;
      }
      case kind::try_join: {
        // Events in (time, argument) order: the first exception or error ends it.
        std::vector<std::size_t> order(cs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cs[a].time < cs[b].time; });
        bool ended = false;
        for (std::size_t i : order) {
          if (cs[i].thrown || cs[i].value < 0) {
            add_unique(result, cs[i]);  // an error keeps its (negative) value
            ended = true;
            break;
          }
        }
        if (!ended) {
          outcome o;
          for (const outcome& c : cs) {
            o.value += c.value;
            o.time = std::max(o.time, c.time);
          }
          add_unique(result, o);
        }
        break;
      }
      case kind::leaf:
        break;
    }
  }
  return result;
}

// ---- the futures -------------------------------------------------------------------------

using boxed = futura::boxed_future<int>;
using int_result = boost::system::result<int>;

int_result to_result(int v) {
  if (v < 0) return boost::system::error_code(-v, boost::system::generic_category());
  return v;
}

boxed build(const node& n, std::vector<probe<int>>& probes) {
  auto child = [&](std::size_t i) { return build(n.children[i], probes); };
  switch (n.k) {
    case kind::leaf:
      return probes[static_cast<std::size_t>(n.leaf)].future();
    case kind::then:
      return child(0).then([a = n.addend](int v) { return v + a; });
    case kind::join:
      if (n.children.size() == 2) {
        return futura::join(child(0), child(1)).then([](std::tuple<int, int> t) { return std::get<0>(t) + std::get<1>(t); });
      }
      return futura::join(child(0), child(1), child(2)).then([](std::tuple<int, int, int> t) {
        return std::get<0>(t) + std::get<1>(t) + std::get<2>(t);
      });
    case kind::join_all: {
      std::vector<boxed> v;
      for (std::size_t i = 0; i < n.children.size(); ++i) v.push_back(child(i));
      return futura::join_all(std::move(v)).then([](std::vector<int> xs) { return std::accumulate(xs.begin(), xs.end(), 0); });
    }
    case kind::select:
      return futura::select(child(0), child(1)).then([](std::variant<int, int> v) {
        return v.index() == 0 ? std::get<0>(v) : std::get<1>(v);
      });
    case kind::select_biased:
      return futura::select_biased(child(0), child(1)).then([](std::variant<int, int> v) {
        return v.index() == 0 ? std::get<0>(v) : std::get<1>(v);
      });
    case kind::try_join:
      return futura::try_join(child(0).then(to_result), child(1).then(to_result))
          .then([](boost::system::result<std::tuple<int, int>> r) {
            if (!r) return -r.error().value();
            return std::get<0>(*r) + std::get<1>(*r);
          });
  }
  throw std::logic_error("unreachable");
}

/// Runs one seed; returns an empty string on success, else what went wrong.
std::string run_seed(unsigned seed) {
  model m = make_model(seed);
  outcomes expected = evaluate(m.root, m);
  std::vector<probe<int>> probes(m.leaves.size());
  std::vector<std::size_t> by_time(m.leaves.size());
  for (std::size_t i = 0; i < m.leaves.size(); ++i) by_time[static_cast<std::size_t>(m.leaves[i].time - 1)] = i;
  auto complete = [&](std::size_t leaf) {
    if (m.leaves[leaf].throws) {
      probes[leaf].fail("leaf throws");
    } else {
      probes[leaf].complete(m.leaves[leaf].value);
    }
  };

  std::ostringstream failure;
  auto fail = [&](const std::string& what) {
    failure << "seed " << seed << ": " << what << "\n  tree: " << describe(m.root, m)
            << "\n  first poll at step " << m.first_poll_step << "; expected";
    for (const outcome& o : expected) failure << " {" << (o.thrown ? "throws" : "value " + std::to_string(o.value)) << " at " << o.time << "}";
    return failure.str();
  };

  std::optional<outcome> actual;
  int polls = 0;
  int wakes_seen = 0;
  {
    counting_waker target;
    futura::waker w = target.make();
    boxed root = build(m.root, probes);
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
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (probes[i].drops() != 1) return fail("leaf #" + std::to_string(i) + " destroyed " + std::to_string(probes[i].drops()) + " times");
  }
  if (polls > static_cast<int>(m.leaves.size()) + 1) return fail("root polled more often than it was woken");
  return {};
}

unsigned seed_count() {
  if (const char* env = std::getenv("FUTURA_MODEL_SEEDS")) return static_cast<unsigned>(std::strtoul(env, nullptr, 10));
  return 10000;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(random_model)

BOOST_AUTO_TEST_CASE(random_trees_match_the_reference_evaluator) {
  // Rerun one seed with `model_test -- --seed=N`.
  unsigned first = 1;
  unsigned count = seed_count();
  auto& args = boost::unit_test::framework::master_test_suite().argv;
  for (int i = 1; i < boost::unit_test::framework::master_test_suite().argc; ++i) {
    if (std::strncmp(args[i], "--seed=", 7) == 0) {
      first = static_cast<unsigned>(std::strtoul(args[i] + 7, nullptr, 10));
      count = 1;
    }
  }
  int failures = 0;
  for (unsigned seed = first; seed < first + count; ++seed) {
    std::string problem = run_seed(seed);
    if (!problem.empty()) {
      BOOST_ERROR(problem);
      if (++failures == 10) break;
    }
  }
  BOOST_TEST(failures == 0);
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
}

BOOST_AUTO_TEST_SUITE_END()
