// The combinator-tree model shared by test/model_test.cpp (random trees from a seed) and the
// libFuzzer target test/fuzz/combinator_tree_fuzz.cpp (trees and schedules decoded from bytes):
// the node kinds, the leaf plan, the reference evaluator, the instrumented leaves and the builder
// that turns a node into a futura future. One evaluator, so both check the same semantics.
//
// Time is counted in *steps*. A driver runs one event per step (a leaf completes, an abort
// handle fires, ...); the root is first polled after step `first_poll_step` (0: before any
// event), and after that it is polled after a step only when its waker was woken. The evaluator
// says at which step the root becomes ready and with what (a value or an exception), or that it
// never does (`never`).
#pragma once

#include <support/probe.hpp>

#include <futura/combinator/abortable.hpp>
#include <futura/combinator/boxed.hpp>
#include <futura/combinator/either.hpp>
#include <futura/combinator/fuse.hpp>
#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/combinator/select.hpp>
#include <futura/combinator/shared.hpp>
#include <futura/combinator/then.hpp>
#include <futura/combinator/try_join.hpp>

#include <boost/system/result.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace futura_test::combinator_model {

// ---- the tree -------------------------------------------------------------------------------

/// The node kinds. New kinds go at the end: the fuzzer's input format maps bytes to them.
enum class kind { leaf, then, join, join_all, select, select_biased, try_join, boxed, shared, abortable, fuse, branch };
inline constexpr int kind_count = 12;

inline const char* kind_name(kind k) {
  static const char* names[] = {"leaf",     "then",  "join",   "join_all",  "select", "select_biased",
                                "try_join", "boxed", "shared", "abortable", "fuse",   "branch"};
  return names[static_cast<int>(k)];
}

struct node {
  kind k = kind::leaf;
  int leaf = -1;   // index into the leaves, for kind::leaf
  int addend = 0;  // for kind::then
  std::vector<node> children;
  bool then_throws = false;  // kind::then: the continuation throws instead of adding
  int slot = -1;             // kind::abortable: its abort handle; kind::shared: its copy slot;
                             // kind::branch: its branch_record (assign_branch_slots numbers them)
  int links = 1;             // kind::boxed: a chain of this many boxed identity `then`s (see may_defer)
  bool second_copy = false;  // kind::shared: the driver also holds (and may poll) a second copy
  bool cond = true;          // kind::branch: true takes children[0] (make_if_true), false children[1]
};

/// The child a branch node takes (the other one is never built).
inline std::size_t taken_child(const node& n) { return n.cond ? 0 : 1; }

/// Numbers the branch nodes of the tree under `n` in preorder (their `slot`), from `next`.
inline void assign_branch_slots(node& n, int& next) {
  if (n.k == kind::branch) n.slot = next++;
  for (node& c : n.children) assign_branch_slots(c, next);
}

/// A chain of boxed_futures nested deeper than the trampoline's limit (128) defers its inner
/// poll: that poll returns pending and the root of the poll drives the chain afterwards, polling
/// the tree again when it completed. Times and values do not change, but a select_biased or a
/// try_join above it may see the children that were ready at the same poll in another order.
inline constexpr int deferring_links = 64;

inline bool may_defer(const node& n) {
  if (n.k == kind::boxed && n.links >= deferring_links) return true;
  if (n.k == kind::branch) return may_defer(n.children[taken_child(n)]);  // the other is never built
  return std::any_of(n.children.begin(), n.children.end(), [](const node& c) { return may_defer(c); });
}

/// Never: the time of an event that does not happen.
inline constexpr int never = std::numeric_limits<int>::max();

struct leaf_plan {
  int time = 0;   // the step at which the driver completes it (never: it stays pending)
  int value = 0;  // negative values are errors to a try_join above
  bool throws = false;
};

/// The value an aborted `abortable` node yields (negative: an error to a try_join above).
inline constexpr int aborted_value = -7;

struct model {
  std::vector<leaf_plan> leaves;
  int first_poll_step = 0;  // leaves with time <= this are complete before the first poll
  node root;
  std::vector<int> abort_time;  // per abortable slot: the step its handle aborts (never: not)
};

inline std::string describe(const node& n, const model& m) {
  std::ostringstream out;
  out << kind_name(n.k);
  if (n.k == kind::leaf) {
    const leaf_plan& p = m.leaves[static_cast<std::size_t>(n.leaf)];
    out << "#" << n.leaf << "(t=";
    if (p.time == never) {
      out << "never";
    } else {
      out << p.time;
    }
    out << (p.throws ? ",throws" : "") << ",v=" << p.value << ")";
    return out.str();
  }
  if (n.k == kind::then) {
    if (n.then_throws) {
      out << "(throws)";
    } else {
      out << "(+" << n.addend << ")";
    }
  }
  if (n.k == kind::boxed && n.links != 1) out << "(x" << n.links << ")";
  if (n.k == kind::shared) out << "(slot " << n.slot << (n.second_copy ? ", 2 copies" : "") << ")";
  if (n.k == kind::branch) out << "(slot " << n.slot << ", takes " << (n.cond ? "first" : "second") << ")";
  if (n.k == kind::abortable) {
    out << "(slot " << n.slot;
    const auto s = static_cast<std::size_t>(n.slot);
    if (n.slot >= 0 && s < m.abort_time.size() && m.abort_time[s] != never) out << ", aborted at " << m.abort_time[s];
    out << ")";
  }
  out << "[";
  for (std::size_t i = 0; i < n.children.size(); ++i) out << (i ? ", " : "") << describe(n.children[i], m);
  out << "]";
  return out.str();
}

// ---- reference evaluator --------------------------------------------------------------------
// Time of an event is max(its step, the first poll's step): everything completed before the
// first poll is seen at the first poll, where children are polled in argument order — except
// by a fair select, whose tie may go either way (every resolution is an allowed outcome).
// After the first poll, one event happens per step, so only the first poll has ties.

/// What a (sub)tree can end with: a value or an exception, at a step (never: it stays pending).
struct outcome {
  bool thrown = false;
  int value = 0;
  int time = 0;
  bool operator==(const outcome& o) const { return thrown == o.thrown && value == o.value && time == o.time; }
};
using outcomes = std::vector<outcome>;

/// Adds `o` unless present; every outcome at `never` is the one "stays pending" outcome.
inline void add_unique(outcomes& to, outcome o) {
  if (o.time == never) o = outcome{false, 0, never};
  if (std::find(to.begin(), to.end(), o) == to.end()) to.push_back(o);
}

inline std::string describe(const outcome& o) {
  if (o.time == never) return "{pending forever}";
  return "{" + (o.thrown ? std::string("throws") : "value " + std::to_string(o.value)) + " at " +
         std::to_string(o.time) + "}";
}

/// Every combination of one outcome per child.
inline void combinations(const std::vector<outcomes>& per_child, std::vector<std::vector<outcome>>& out) {
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

inline outcomes evaluate(const node& n, const model& m) {
  outcomes result;
  if (n.k == kind::leaf) {
    const leaf_plan& p = m.leaves[static_cast<std::size_t>(n.leaf)];
    add_unique(result, {p.throws, p.value, std::max(p.time, m.first_poll_step)});
    return result;
  }
  // A branch is its taken child (its events reach the root unchanged); the other one does not
  // exist, so nothing that happens to its leaves or handles matters.
  if (n.k == kind::branch) return evaluate(n.children[taken_child(n)], m);
  std::vector<outcomes> per_child;
  for (const node& c : n.children) per_child.push_back(evaluate(c, m));
  // boxed (any number of links), fuse and one copy of a shared future are transparent.
  if (n.k == kind::boxed || n.k == kind::fuse || n.k == kind::shared) return per_child[0];
  std::vector<std::vector<outcome>> combos;
  combinations(per_child, combos);
  // Argument order decides ties, unless a child may defer (then any tied child may come first).
  const bool ordered = !may_defer(n);
  for (const auto& cs : combos) {
    switch (n.k) {
      case kind::then: {
        outcome o = cs[0];
        if (!o.thrown) {
          if (n.then_throws) {
            o = outcome{true, 0, o.time};
          } else {
            o.value += n.addend;
          }
        }
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
          o.time = m.first_poll_step;  // an empty join_all is ready at the first poll
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
        int best = never;
        for (const outcome& c : cs) best = std::min(best, c.time);
        for (std::size_t i = 0; i < cs.size(); ++i) {
          if (cs[i].time != best) continue;
          add_unique(result, cs[i]);
          if (n.k == kind::select_biased && ordered) break;  // argument order decides a tie
        }
        break;
      }
      case kind::try_join: {
        // Events in (time, argument) order: the first exception or error ends it.
        std::vector<std::size_t> order(cs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return cs[a].time < cs[b].time; });
        bool ended = false;
        int error_time = never;
        for (std::size_t i : order) {
          if (!cs[i].thrown && cs[i].value >= 0) continue;
          if (ended && (ordered || cs[i].time != error_time)) break;
          add_unique(result, cs[i]);  // an error keeps its (negative) value
          ended = true;
          error_time = cs[i].time;
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
      case kind::abortable: {
        // The flag is looked at before the child is polled: an abort seen at the same poll as
        // the child's completion (both before the first poll) wins.
        const auto s = static_cast<std::size_t>(n.slot);
        int a = n.slot >= 0 && s < m.abort_time.size() ? m.abort_time[s] : never;
        if (a != never) a = std::max(a, m.first_poll_step);
        if (a != never && a <= cs[0].time) {
          add_unique(result, outcome{false, aborted_value, a});
        } else {
          add_unique(result, cs[0]);
        }
        break;
      }
      case kind::leaf:
      case kind::boxed:
      case kind::shared:
      case kind::fuse:
      case kind::branch:
        break;
    }
  }
  return result;
}

// ---- the instrumented leaves ----------------------------------------------------------------

/// The state a leaf future and its controller share. Thread-safe: the controller may complete
/// the leaf from another thread while the future is polled or destroyed.
struct leaf_state {
  std::mutex mutex;
  futura::waker waker;  // the waker of the last poll; taken (and woken) by the completion
  std::optional<int> value;
  std::exception_ptr error;
  int polls = 0;
  int polls_after_finish = 0;  // polls after it returned its value or threw (rule 4: none)
  bool finished = false;
  std::atomic<int> made{0};   // leaf futures made by leaf::future(): one, or none under a branch not taken
  std::atomic<int> drops{0};  // destructions of the leaf future: exactly one per future made
};

/// The future end of a leaf: pending until its controller completes or fails it.
class leaf_future : public futura::future_ext<leaf_future> {
 public:
  using output_type = int;
  explicit leaf_future(std::shared_ptr<leaf_state> s) : state_(std::move(s)) {}
  leaf_future(leaf_future&& o) noexcept : state_(std::move(o.state_)) {}
  leaf_future& operator=(leaf_future&&) = delete;
  ~leaf_future() {
    if (state_) state_->drops.fetch_add(1);
  }

  futura::poll_result<int> poll(futura::waker& w) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    ++state_->polls;
    if (state_->finished) ++state_->polls_after_finish;
    state_->waker = w;
    if (state_->error) {
      state_->finished = true;
      std::rethrow_exception(state_->error);
    }
    if (state_->value) {
      state_->finished = true;
      futura::poll_result<int> r(std::in_place, *state_->value);
      state_->value.reset();
      return r;
    }
    return futura::pending;
  }

 private:
  std::shared_ptr<leaf_state> state_;
};

/// The controlling end of a leaf: `future()` makes the leaf future; `complete(v)` / `fail(what)`
/// finish it (from any thread) and wake the waker it was last polled with.
class leaf {
 public:
  leaf() : state_(std::make_shared<leaf_state>()) {}

  leaf_future future() const {
    state_->made.fetch_add(1);
    return leaf_future(state_);
  }

  void complete(int v) {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->value.emplace(v);
      w = std::move(state_->waker);
    }
    w.wake();
  }
  void fail(const char* what = "leaf throws") {
    auto e = std::make_exception_ptr(std::runtime_error(what));
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->error = std::move(e);
      w = std::move(state_->waker);
    }
    w.wake();
  }
  /// Wakes the waker the leaf was last polled with, without completing it (a spurious wake).
  void wake() {
    futura::waker w;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      w = state_->waker;
    }
    w.wake();
  }
  /// Completes the leaf as `p` says.
  void finish(const leaf_plan& p) {
    if (p.throws) {
      fail();
    } else {
      complete(p.value);
    }
  }

  int polls() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->polls;
  }
  int polls_after_finish() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->polls_after_finish;
  }
  int drops() const { return state_->drops.load(); }
  int made() const { return state_->made.load(); }

 private:
  std::shared_ptr<leaf_state> state_;
};

/// Per leaf: whether `build` makes its future, i.e. no branch above it takes its other child.
inline void mark_built_leaves(const node& n, std::vector<bool>& built) {
  if (n.k == kind::leaf) built[static_cast<std::size_t>(n.leaf)] = true;
  if (n.k == kind::branch) {
    mark_built_leaves(n.children[taken_child(n)], built);
    return;
  }
  for (const node& c : n.children) mark_built_leaves(c, built);
}

inline std::vector<bool> built_leaves(const model& m) {
  std::vector<bool> built(m.leaves.size(), false);
  mark_built_leaves(m.root, built);
  return built;
}

// ---- the builder ----------------------------------------------------------------------------

/// What a shared node's inner future produced (recorded by the inner itself, so every copy's
/// output can be compared with it).
struct shared_record {
  bool done = false;
  bool thrown = false;
  int value = 0;
};

/// Wraps a shared node's inner future and records its output into a `shared_record`.
template <class F>
class recording_future : public futura::future_ext<recording_future<F>> {
 public:
  using output_type = int;
  recording_future(F f, std::shared_ptr<shared_record> r) : inner_(std::move(f)), record_(std::move(r)) {}

  futura::poll_result<int> poll(futura::waker& w) {
    try {
      futura::poll_result<int> r = inner_.poll(w);
      if (r.is_ready()) {
        record_->done = true;
        record_->value = r.value();
      }
      return r;
    } catch (...) {
      record_->done = true;
      record_->thrown = true;
      throw;
    }
  }

 private:
  F inner_;
  std::shared_ptr<shared_record> record_;
};

using boxed = futura::boxed_future<int>;
using int_result = boost::system::result<int>;

/// What a branch node's either_future did, recorded by the futures around and inside it: per
/// side (0: make_if_true's, 1: make_if_false's) how often its maker ran, how often the future it
/// made was polled and destroyed. A violation of what either.hpp promises is kept in `problem`
/// (the first one) for the driver to report. Only the thread that polls or drops the tree
/// touches it, but the counters are atomic so that a wrong thread would show up under TSan.
struct branch_record {
  struct side_counts {
    std::atomic<int> made{0};
    std::atomic<int> polls{0};
    std::atomic<int> drops{0};
    std::atomic<const futura::waker*> last_waker{nullptr};  // the waker of its last poll
  };
  side_counts sides[2];
  bool built = false;   // futura::branch ran (not under another branch's untaken child)
  bool is_left = true;  // what the either_future's is_left() said after futura::branch
  std::mutex mutex;
  std::string problem;

  void report(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    if (problem.empty()) problem = what;
  }
  std::string first_problem() {
    std::lock_guard<std::mutex> lock(mutex);
    return problem;
  }
};

/// The future a branch's maker returns: its child's future (`F`, a leaf_future or a boxed), made
/// a distinct type per side (`Side`), counting polls and its own destruction into the record.
template <class F, int Side>
class branch_side : public futura::future_ext<branch_side<F, Side>> {
 public:
  using output_type = int;
  branch_side(F f, std::shared_ptr<branch_record> r) : inner_(std::move(f)), record_(std::move(r)) {}
  branch_side(branch_side&& o) noexcept : inner_(std::move(o.inner_)), record_(std::move(o.record_)) {}
  branch_side& operator=(branch_side&&) = delete;
  ~branch_side() {
    if (record_) record_->sides[Side].drops.fetch_add(1);
  }

  futura::poll_result<int> poll(futura::waker& w) {
    record_->sides[Side].polls.fetch_add(1);
    record_->sides[Side].last_waker.store(&w);
    return inner_.poll(w);
  }

 private:
  F inner_;
  std::shared_ptr<branch_record> record_;
};

/// Wraps a branch node's either_future and checks each of its polls against either.hpp: the
/// held future (the taken side) polled exactly once, with the caller's waker itself; the other
/// side never made nor polled; the held future destroyed before a ready poll returns. A poll
/// that throws must have polled the held future too (the exception is the held future's).
template <class E>
class either_probe : public futura::future_ext<either_probe<E>> {
 public:
  using output_type = int;
  either_probe(E e, std::shared_ptr<branch_record> r, int taken)
      : inner_(std::move(e)), record_(std::move(r)), taken_(taken) {}

  futura::poll_result<int> poll(futura::waker& w) {
    branch_record::side_counts& held = record_->sides[taken_];
    const int polls_before = held.polls.load();
    try {
      futura::poll_result<int> r = inner_.poll(w);
      check_poll(w, polls_before);
      if (r.is_ready() && held.drops.load() != 1) {
        record_->report("the held future was not destroyed when the either_future returned ready (" +
                        std::to_string(held.drops.load()) + " drops)");
      }
      return r;
    } catch (...) {
      check_poll(w, polls_before);
      throw;
    }
  }

 private:
  void check_poll(const futura::waker& w, int polls_before) {
    branch_record::side_counts& held = record_->sides[taken_];
    const branch_record::side_counts& other = record_->sides[1 - taken_];
    if (held.polls.load() != polls_before + 1) {
      record_->report("one poll of the either_future polled the held future " +
                      std::to_string(held.polls.load() - polls_before) + " times");
    }
    if (held.last_waker.load() != &w) record_->report("the held future was not polled with the caller's waker");
    if (other.made.load() != 0 || other.polls.load() != 0) {
      record_->report("the side not taken was made or polled");
    }
  }

  E inner_;
  std::shared_ptr<branch_record> record_;
  int taken_;
};

/// The leaves and the handles a built tree hands to its driver.
struct tree_handles {
  std::vector<leaf> leaves;                                 // by leaf index
  std::vector<std::optional<futura::abort_handle>> aborts;  // by abortable slot
  struct copy {
    std::optional<futura::shared_future<int>> second;  // the driver's copy (node.second_copy)
    std::shared_ptr<shared_record> record;
  };
  std::vector<copy> copies;  // by shared slot (a shared node under a branch not taken: empty)
  std::vector<std::shared_ptr<branch_record>> branches;  // by branch slot

  /// Room for `m`'s leaves and for the slots `root` uses.
  void prepare(const model& m, const node& root) {
    leaves.resize(m.leaves.size());
    std::size_t abort_slots = 0;
    std::size_t copy_slots = 0;
    std::size_t branch_slots = 0;
    count_slots(root, abort_slots, copy_slots, branch_slots);
    aborts.resize(abort_slots);
    copies.resize(copy_slots);
    branches.resize(branch_slots);
    for (auto& b : branches) b = std::make_shared<branch_record>();
  }

  /// After the tree and everything beside it was dropped: what went wrong around `root`'s
  /// branch nodes, or "" (each taken side made once, polled as either.hpp says and destroyed
  /// once; each side not taken, and every branch under one, never made).
  std::string check_branches(const node& root) const { return check_branches(root, true); }

 private:
  static void count_slots(const node& n, std::size_t& aborts, std::size_t& copies, std::size_t& branches) {
    if (n.k == kind::abortable) aborts = std::max(aborts, static_cast<std::size_t>(n.slot) + 1);
    if (n.k == kind::shared) copies = std::max(copies, static_cast<std::size_t>(n.slot) + 1);
    if (n.k == kind::branch) branches = std::max(branches, static_cast<std::size_t>(n.slot) + 1);
    for (const node& c : n.children) count_slots(c, aborts, copies, branches);
  }

  std::string check_branches(const node& n, bool built) const {
    if (n.k == kind::branch) {
      branch_record& r = *branches[static_cast<std::size_t>(n.slot)];
      const std::string name = "branch (slot " + std::to_string(n.slot) + ")";
      if (r.built != built) return name + (built ? " was never built" : " was built under a branch not taken");
      const auto taken = taken_child(n);
      for (std::size_t side = 0; side < 2; ++side) {
        const branch_record::side_counts& c = r.sides[side];
        const int expected = built && side == taken ? 1 : 0;
        if (c.made.load() != expected || c.drops.load() != expected || (expected == 0 && c.polls.load() != 0)) {
          return name + ", side " + std::to_string(side) + ": made " + std::to_string(c.made.load()) + ", polled " +
                 std::to_string(c.polls.load()) + ", destroyed " + std::to_string(c.drops.load()) + " times";
        }
      }
      if (built && r.is_left != n.cond) return name + ": is_left() is " + (r.is_left ? "true" : "false");
      const std::string problem = r.first_problem();
      if (!problem.empty()) return name + ": " + problem;
      for (std::size_t i = 0; i < 2; ++i) {
        std::string c = check_branches(n.children[i], built && i == taken);
        if (!c.empty()) return c;
      }
      return {};
    }
    for (const node& c : n.children) {
      std::string problem = check_branches(c, built);
      if (!problem.empty()) return problem;
    }
    return {};
  }
};

inline int_result to_result(int v) {
  if (v < 0) return boost::system::error_code(-v, boost::system::generic_category());
  return v;
}

inline int sum_variant(const std::variant<int, int>& v) { return v.index() == 0 ? std::get<0>(v) : std::get<1>(v); }
inline int sum_variant(const std::variant<int, int, int>& v) {
  return std::visit([](int x) { return x; }, v);
}

inline boxed build(const node& n, tree_handles& h);

/// A branch child's future as `F`: its leaf's future itself when `F` is leaf_future (the child is
/// a leaf), else the boxed future of the child's subtree.
template <class F>
F build_as(const node& n, tree_handles& h) {
  if constexpr (std::is_same_v<F, leaf_future>) {
    return h.leaves[static_cast<std::size_t>(n.leaf)].future();
  } else {
    return build(n, h);
  }
}

/// A branch node as `futura::branch(cond, make first child, make second child)`: the makers
/// return branch_side<First, 0> and branch_side<Second, 1>, so the either_future always holds
/// one of two distinct types, and of distinct layouts when one child is a leaf (an unboxed
/// leaf_future) and the other is not (a boxed subtree).
template <class First, class Second>
boxed build_branch(const node& n, tree_handles& h) {
  const std::shared_ptr<branch_record>& record = h.branches[static_cast<std::size_t>(n.slot)];
  record->built = true;
  auto make = [&](auto side) {
    constexpr int s = decltype(side)::value;
    using F = std::conditional_t<s == 0, First, Second>;
    record->sides[s].made.fetch_add(1);
    return branch_side<F, s>(build_as<F>(n.children[s], h), record);
  };
  auto either = futura::branch(
      n.cond, [&] { return make(std::integral_constant<int, 0>{}); },
      [&] { return make(std::integral_constant<int, 1>{}); });
  using either_type = decltype(either);
  static_assert(std::is_same_v<either_type, futura::either_future<branch_side<First, 0>, branch_side<Second, 1>>>);
  record->is_left = either.is_left();
  return either_probe<either_type>(std::move(either), record, static_cast<int>(taken_child(n)));
}

/// The futura future of `n`; its leaves, abort handles and second copies go to `h` (call
/// `h.prepare` first).
inline boxed build(const node& n, tree_handles& h) {
  auto child = [&](std::size_t i) { return build(n.children[i], h); };
  switch (n.k) {
    case kind::leaf:
      return h.leaves[static_cast<std::size_t>(n.leaf)].future();
    case kind::then:
      if (n.then_throws) {
        return child(0).then([](int) -> int { throw std::runtime_error("continuation throws"); });
      }
      return child(0).then([a = n.addend](int v) { return v + a; });
    case kind::join:
      if (n.children.size() == 2) {
        return futura::join(child(0), child(1)).then([](std::tuple<int, int> t) {
          return std::get<0>(t) + std::get<1>(t);
        });
      }
      return futura::join(child(0), child(1), child(2)).then([](std::tuple<int, int, int> t) {
        return std::get<0>(t) + std::get<1>(t) + std::get<2>(t);
      });
    case kind::join_all: {
      std::vector<boxed> v;
      for (std::size_t i = 0; i < n.children.size(); ++i) v.push_back(child(i));
      return futura::join_all(std::move(v)).then([](std::vector<int> xs) {
        return std::accumulate(xs.begin(), xs.end(), 0);
      });
    }
    case kind::select:
      if (n.children.size() == 2) {
        return futura::select(child(0), child(1)).then([](std::variant<int, int> v) { return sum_variant(v); });
      }
      return futura::select(child(0), child(1), child(2)).then([](std::variant<int, int, int> v) {
        return sum_variant(v);
      });
    case kind::select_biased:
      if (n.children.size() == 2) {
        return futura::select_biased(child(0), child(1)).then([](std::variant<int, int> v) { return sum_variant(v); });
      }
      return futura::select_biased(child(0), child(1), child(2)).then([](std::variant<int, int, int> v) {
        return sum_variant(v);
      });
    case kind::try_join:
      if (n.children.size() == 2) {
        return futura::try_join(child(0).then(to_result), child(1).then(to_result))
            .then([](boost::system::result<std::tuple<int, int>> r) {
              if (!r) return -r.error().value();
              return std::get<0>(*r) + std::get<1>(*r);
            });
      }
      return futura::try_join(child(0).then(to_result), child(1).then(to_result), child(2).then(to_result))
          .then([](boost::system::result<std::tuple<int, int, int>> r) {
            if (!r) return -r.error().value();
            return std::get<0>(*r) + std::get<1>(*r) + std::get<2>(*r);
          });
    case kind::boxed: {
      boxed f = child(0);
      for (int i = 1; i < n.links; ++i) f = std::move(f).then([](int v) { return v; }).boxed();
      return f;
    }
    case kind::shared: {
      auto record = std::make_shared<shared_record>();
      futura::shared_future<int> s(recording_future<boxed>(child(0), record));
      tree_handles::copy& slot = h.copies[static_cast<std::size_t>(n.slot)];
      slot.record = record;
      if (n.second_copy) slot.second.emplace(s);
      return std::move(s).boxed();
    }
    case kind::abortable: {
      auto [f, handle] = futura::abortable(child(0));
      h.aborts[static_cast<std::size_t>(n.slot)].emplace(std::move(handle));
      return std::move(f).then([](int_result r) { return r ? *r : aborted_value; });
    }
    case kind::fuse:
      return futura::fuse(child(0));
    case kind::branch: {
      const bool first_leaf = n.children[0].k == kind::leaf;
      const bool second_leaf = n.children[1].k == kind::leaf;
      if (first_leaf && second_leaf) return build_branch<leaf_future, leaf_future>(n, h);
      if (first_leaf) return build_branch<leaf_future, boxed>(n, h);
      if (second_leaf) return build_branch<boxed, leaf_future>(n, h);
      return build_branch<boxed, boxed>(n, h);
    }
  }
  throw std::logic_error("unreachable");
}

}  // namespace futura_test::combinator_model
