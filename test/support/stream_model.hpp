// The stream-pipeline model shared by test/model/stream_model_test.cpp (pipelines from a seed)
// and the libFuzzer target test/fuzz/stream_pipeline_fuzz.cpp (pipelines from bytes): the node
// kinds, the generator, the reference evaluator, the driver-fed leaves, the builder and the
// driver that checks one run. One evaluator, so both check the same semantics.
//
// A pipeline is a tree: sources at the leaves, stream adapters inside, one consumer at the root
// (`fed#1[3,1,end].map(+2).zip(iter[4]).collect()`). Every node builds a type-erased stream of
// `value` (pairs, as of zip and enumerate, are folded into one value by `pair_value`).
//
// Two kinds of leaf are fed by the driver, one event per *step*, in a random order:
// - `fed` streams: their items, then the end or an exception (or nothing: they stay pending);
// - *gates*: the futures a gated node makes per item (`then`'s f, `once`, the async consumers,
//   the futures that buffered, buffer_unordered and for_each_concurrent run). Gate j of a node
//   is ready at once, or waits for its event; then it yields or throws.
// The callables of map, filter, filter_map, take_while, skip_while, inspect, then (the f that
// makes the future) and fold may throw at their k-th call (`throw_at`, printed `!k`): rule 6,
// the exception propagates out of the root's poll like a leaf's, and the evaluator says which
// exception comes first and at which step (the root is not polled after it).
// The root is polled first after step `first_poll`, and after that only when its waker was woken
// (so a lost wakeup shows up as a missing completion); in a quarter of the cases (`spurious`)
// the driver also wakes it at every step, event or not, which must change nothing. After every step from the first poll on,
// the evaluator runs over the events delivered so far: the root must be complete exactly when the
// evaluator completes, with the same output (the items, fold or count, or the exception's
// message); and, when the root completes or is dropped, every fed leaf must have given exactly as
// many items as the evaluator pulled from it, and every gated / inspect / for_each node must have
// seen exactly the evaluator's items (its log). At the end (or when the pipeline is dropped
// mid-way): every fed leaf destroyed exactly once, every gate future that was made destroyed
// exactly once (and never polled after it finished), no leaf polled after its end or its
// exception (rule 4), no clone of the driver's waker left.
//
// The sets (buffered, buffer_unordered, for_each_concurrent, and futures_unordered and
// futures_ordered as sources fed by pushes) answer by the step at which each of their futures
// finished, so the evaluator keeps steps and emulates them poll by poll (see `evaluator`): all of
// the above is checked for them exactly, buffer_unordered's completion order and which exception
// wins included. The emulation of a set with an upstream is exact only where the set is polled at
// every step until it answers, so buffered and buffer_unordered are generated only below adapters
// that keep that demand (`demand`), and for_each_concurrent is a root. The budgets of the
// adapters that drop items are modelled too: a set sees their yields.
//
// select, select_all and ready_chunks are not kinds: what they yield depends on which of their
// inputs was ready at each poll, which the evaluator does not model (their suites in test/stream/
// check them over probe streams instead).
//
// Adding a node kind takes four edits in this file:
//   1. its name in `enum class kind` (before the consumers for a stream, among them for a root);
//   2. its row in `kind_table` (same order): name, role, children, parameter count, whether it
//      makes gate futures or keeps a log, how its parameter prints, how it passes demand on;
//   3. a case in `builder::build` (or `builder::build_root` for a consumer);
//   4. a case in `evaluator::next` (or `evaluator::run` for a consumer).
// The generator, the fuzzer's decoder, printing and the checks are generic. New kinds change
// what a given seed or fuzz input decodes to.
#pragma once

#include <support/model.hpp>  // combinator_model::leaf: the gate futures
#include <support/probe.hpp>  // counting_waker

#include <futura/combinator/boxed.hpp>
#include <futura/combinator/lazy.hpp>
#include <futura/combinator/then.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/stream.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace futura_test::stream_model {

using value = std::int64_t;
using values = std::vector<value>;

// ---- the kinds --------------------------------------------------------------------------------

enum class kind {
  // sources
  fed,
  iter,
  empty,
  pending,
  once,
  repeat,
  unfold,
  futures_unordered,
  futures_ordered,
  // adapters
  map,
  then,
  filter,
  filter_map,
  take,
  take_while,
  skip,
  skip_while,
  enumerate,
  inspect,
  fuse,
  chain,
  zip,
  flatten,
  chunks,
  boxed,
  buffered,
  buffer_unordered,
  // consumers (the root)
  collect,
  fold,
  fold_async,
  count,
  for_each,
  for_each_async,
  next,
  for_each_concurrent,
};

enum class role { source, adapter, consumer };

/// Whether a node's child is *demanded* (polled at every step until it answers, from the step it
/// is asked for its next item on) whenever the node is: `keeps` (the adapters that ask their child
/// at once and end when it ends, and the consumers that loop over it), `breaks` (a node that
/// waits on something else meanwhile: then, zip, chain, the async consumers, the sets), `needs`:
/// the kind itself must be demanded (buffered, buffer_unordered: see their evaluator), and it
/// breaks the demand for its child.
enum class demand { keeps, breaks, needs };

/// The predicates of filter, filter_map, take_while and skip_while (the node's parameter).
inline bool pred(int p, value v) {
  switch (p) {
    case 0:
      return v % 2 == 0;
    case 1:
      return v % 2 != 0;
    case 2:
      return v < 5;
    default:
      return v >= 3;
  }
}
inline const char* pred_name(int p) {
  static const char* names[] = {"even", "odd", "<5", ">=3"};
  return names[p];
}

/// One value for a pair (zip's items, enumerate's index and item).
inline value pair_value(value a, value b) { return a * 100 + b; }
/// fold's step: order matters, so a reordering shows.
inline value fold_step(value acc, value v) { return (acc * 31 + v) % 1000003; }
/// flatten's inner stream for outer item `v` (parameter `p`): 0, 1 or 2 items from `v` on.
inline values inner_items(int p, value v) {
  values out;
  const value n = ((v % 3) + 3 + p) % 3;
  for (value i = 0; i < n; ++i) out.push_back(v + i);
  return out;
}
/// One value for a chunk (chunks' items): its size and its items in order.
inline value chunk_value(const values& chunk) {
  value acc = static_cast<value>(chunk.size());
  for (value v : chunk) acc = fold_step(acc, v);
  return acc;
}
/// repeat's parameter: the value and how many copies (200: more than the cooperative budget).
inline value repeat_value(int p) { return p % 10; }
inline std::size_t repeat_count(int p) {
  static const std::size_t counts[] = {0, 1, 3, 200};
  return counts[p / 10];
}

inline std::string no_param(int) { return "()"; }
inline std::string plus_param(int p) { return "(+" + std::to_string(p + 1) + ")"; }
inline std::string pred_param(int p) { return std::string("(") + pred_name(p) + ")"; }
inline std::string count_param(int p) { return "(" + std::to_string(p) + ")"; }
inline std::string size_param(int p) { return "(" + std::to_string(p + 1) + ")"; }
inline std::string pushed_param(int p) { return "(" + std::to_string(p) + " pushed)"; }
inline std::string no_text(int) { return ""; }

struct kind_info {
  kind k;
  const char* name;
  role r;
  int arity;                 // child streams
  int params;                // the parameter is in [0, params)
  bool gated;                // makes gate futures (one per item it handles)
  bool logged;               // records the items it handles (gated kinds do too)
  std::string (*text)(int);  // what follows the name when printed
  demand d;                  // adapters and consumers: see `demand`
};

// clang-format off
inline constexpr kind_info kind_table[] = {
  {kind::fed,            "fed",            role::source,   0, 1,  false, false, no_text, demand::keeps},
  {kind::iter,           "iter",           role::source,   0, 1,  false, false, no_text, demand::keeps},
  {kind::empty,          "empty",          role::source,   0, 1,  false, false, no_text, demand::keeps},
  {kind::pending,        "pending",        role::source,   0, 1,  false, false, no_text, demand::keeps},
  {kind::once,           "once",           role::source,   0, 10, true,  false, count_param, demand::keeps},
  {kind::repeat,         "repeat",         role::source,   0, 40, false, false,
   [](int p) { return "(" + std::to_string(repeat_value(p)) + ").take(" + std::to_string(repeat_count(p)) + ")"; },
   demand::keeps},
  {kind::unfold,         "unfold",         role::source,   0, 5,  false, false,
   [](int p) { return "(" + std::to_string(p) + " squares)"; }, demand::keeps},
  // param futures (gate j: output j), pushed three at the first poll, then two after each item
  // and one after each time the set answers its end (pushed_set)
  {kind::futures_unordered, "futures_unordered", role::source, 0, 8, true, false, pushed_param, demand::keeps},
  {kind::futures_ordered, "futures_ordered", role::source, 0, 8, true, false, pushed_param, demand::keeps},
  {kind::map,            "map",            role::adapter,  1, 5,  false, false, plus_param, demand::keeps},
  {kind::then,           "then",           role::adapter,  1, 5,  true,  false, plus_param, demand::breaks},
  {kind::filter,         "filter",         role::adapter,  1, 4,  false, false, pred_param, demand::keeps},
  {kind::filter_map,     "filter_map",     role::adapter,  1, 4,  false, false,
   [](int p) { return std::string("(") + pred_name(p) + " ? x*2)"; }, demand::keeps},
  {kind::take,           "take",           role::adapter,  1, 4,  false, false, count_param, demand::keeps},
  {kind::take_while,     "take_while",     role::adapter,  1, 4,  false, false, pred_param, demand::keeps},
  {kind::skip,           "skip",           role::adapter,  1, 4,  false, false, count_param, demand::keeps},
  {kind::skip_while,     "skip_while",     role::adapter,  1, 4,  false, false, pred_param, demand::keeps},
  {kind::enumerate,      "enumerate",      role::adapter,  1, 1,  false, false, no_param, demand::keeps},
  {kind::inspect,        "inspect",        role::adapter,  1, 1,  false, true,  no_param, demand::keeps},
  {kind::fuse,           "fuse",           role::adapter,  1, 1,  false, false, no_param, demand::keeps},
  {kind::chain,          "chain",          role::adapter,  2, 1,  false, false, no_text, demand::breaks},
  {kind::zip,            "zip",            role::adapter,  2, 1,  false, false, no_text, demand::breaks},
  {kind::flatten,        "flatten",        role::adapter,  1, 3,  false, false,
   [](int p) { return "(" + std::to_string(p) + " inner)"; }, demand::keeps},
  {kind::chunks,         "chunks",         role::adapter,  1, 3,  false, false, size_param, demand::keeps},
  {kind::boxed,          "boxed",          role::adapter,  1, 1,  false, false, no_param, demand::keeps},
  // the sets: each item v becomes gate future j (output v), at most n = param + 1 of them at once
  {kind::buffered,       "buffered",       role::adapter,  1, 3,  true,  false, size_param, demand::needs},
  {kind::buffer_unordered, "buffer_unordered", role::adapter, 1, 3, true, false, size_param, demand::needs},
  {kind::collect,        "collect",        role::consumer, 1, 1,  false, false, no_param, demand::keeps},
  {kind::fold,           "fold",           role::consumer, 1, 1,  false, false, no_param, demand::keeps},
  {kind::fold_async,     "fold_async",     role::consumer, 1, 1,  true,  false, no_param, demand::breaks},
  {kind::count,          "count",          role::consumer, 1, 1,  false, false, no_param, demand::keeps},
  {kind::for_each,       "for_each",       role::consumer, 1, 1,  false, true,  no_param, demand::keeps},
  {kind::for_each_async, "for_each_async", role::consumer, 1, 1,  true,  false, no_param, demand::breaks},
  // next: a loop of next() futures; param 1: each poll drops the pending next() and makes another
  {kind::next,           "next",           role::consumer, 1, 2,  false, false,
   [](int p) { return std::string(p ? "()* (remade every poll)" : "()*"); }, demand::keeps},
  // limit = param (0: none); each item v becomes gate future j; the output is the items, in order
  {kind::for_each_concurrent, "for_each_concurrent", role::consumer, 1, 4, true, false, count_param, demand::breaks},
};
// clang-format on
inline constexpr int kind_count = static_cast<int>(sizeof(kind_table) / sizeof(kind_table[0]));

constexpr bool table_in_enum_order() {
  for (int i = 0; i < kind_count; ++i) {
    if (static_cast<int>(kind_table[i].k) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "stream_model: kind_table's rows must follow enum class kind");

inline const kind_info& info(kind k) { return kind_table[static_cast<int>(k)]; }

/// The kinds of one role, in enum order.
inline const std::vector<kind>& kinds_of(role r) {
  static const auto table = [] {
    std::vector<std::vector<kind>> by_role(3);
    for (const kind_info& i : kind_table) by_role[static_cast<std::size_t>(i.r)].push_back(i.k);
    return by_role;
  }();
  return table[static_cast<std::size_t>(r)];
}

// ---- the pipeline -----------------------------------------------------------------------------

/// A gate future's plan: ready when made, or waiting for the driver's event; then it yields or throws.
struct gate_plan {
  bool wait = false;
  bool throws = false;
};

enum class terminator { end, error, never };

struct node {
  kind k = kind::fed;
  int param = 0;
  int index = -1;                     // pre-order number, root 0: what events and logs refer to
  std::vector<value> items;           // fed and iter: the items
  terminator term = terminator::end;  // fed: what follows the items
  std::vector<gate_plan> gates;       // gated kinds: gate j's plan (past the end: ready, yields)
  int throw_at = -1;                  // kinds with a callable (`has_callable`): it throws at this call
  std::vector<node> children;

  bool fed() const { return k == kind::fed; }
  /// The events a fed leaf takes: its items, then the end or the exception.
  std::size_t fed_events() const { return items.size() + (term == terminator::never ? 0 : 1); }
  gate_plan gate(std::size_t j) const { return j < gates.size() ? gates[j] : gate_plan{}; }
};

/// A driver event: the next event of fed leaf `node`, or the opening of gate `gate` of `node`.
struct event {
  int node = 0;
  int gate = -1;
};

inline constexpr int never = std::numeric_limits<int>::max();

struct test_case {
  node root;  // a consumer
  int node_count = 0;
  std::vector<event> events;  // events[i] happens at step i + 1
  int first_poll = 0;         // the root is first polled after this step (0: before any event)
  int drop_step = never;      // the pipeline is dropped after this step's poll
  bool spurious = false;      // from the first poll on, the driver wakes the root at every step,
                              // event or not: extra polls must change neither output nor step
};

/// The kinds whose own callable may throw (a node's `throw_at`): map's f, filter's, take_while's
/// and skip_while's predicates, filter_map's, inspect's and then's f, fold's step. Rule 6: the
/// exception propagates out of the root's poll, which completes with it (the driver stops there).
inline bool has_callable(kind k) {
  switch (k) {
    case kind::map:
    case kind::then:
    case kind::filter:
    case kind::filter_map:
    case kind::take_while:
    case kind::skip_while:
    case kind::inspect:
    case kind::fold:
      return true;
    default:
      return false;
  }
}
inline std::string call_error(const node& n) {
  return "call " + std::to_string(n.throw_at) + " of node #" + std::to_string(n.index) + " throws";
}

inline std::string fed_error(const node& n) { return "fed#" + std::to_string(n.index) + " fails"; }
inline std::string gate_error(const node& n, std::size_t j) {
  return "gate " + std::to_string(j) + " of node #" + std::to_string(n.index) + " throws";
}

// ---- printing ---------------------------------------------------------------------------------

inline std::string describe(const node& n) {
  const kind_info& i = info(n.k);
  std::ostringstream out;
  if (i.r != role::source) out << describe(n.children[0]) << ".";
  out << i.name;
  if (n.fed() || i.gated || i.logged || n.throw_at >= 0) out << "#" << n.index;
  if (n.k == kind::fed || n.k == kind::iter) {
    out << "[";
    for (std::size_t j = 0; j < n.items.size(); ++j) out << (j ? "," : "") << n.items[j];
    if (n.fed()) {
      static const char* terms[] = {"end", "throws", "never"};
      out << (n.items.empty() ? "" : ",") << terms[static_cast<int>(n.term)];
    }
    out << "]";
  }
  if (i.arity == 2) out << "(" << describe(n.children[1]) << ")";
  out << i.text(n.param);
  if (n.throw_at >= 0) out << "!" << n.throw_at;  // its callable throws at this call (from 0)
  if (i.gated) {  // per gate: r ready, w waits for its event, t throws when made, T throws after waiting
    out << "{";
    for (const gate_plan& g : n.gates) out << (g.wait ? (g.throws ? 'T' : 'w') : (g.throws ? 't' : 'r'));
    out << "}";
  }
  return out.str();
}

inline const node* find(const node& n, int index) {
  if (n.index == index) return &n;
  for (const node& c : n.children) {
    if (const node* f = find(c, index)) return f;
  }
  return nullptr;
}

inline std::string describe(const test_case& c) {
  std::ostringstream out;
  out << "  pipeline: " << describe(c.root) << "\n  first poll after step " << c.first_poll;
  if (c.drop_step != never) out << "; dropped after step " << c.drop_step;
  if (c.spurious) out << "; spurious wakes";
  out << "\n  events:";
  std::vector<std::size_t> fed_seen(static_cast<std::size_t>(c.node_count));
  for (std::size_t s = 0; s < c.events.size(); ++s) {
    const event& e = c.events[s];
    out << " " << s + 1 << ":";
    if (e.gate >= 0) {
      out << "#" << e.node << ".gate" << e.gate;
      continue;
    }
    const node& n = *find(c.root, e.node);
    const std::size_t j = fed_seen[static_cast<std::size_t>(e.node)]++;
    out << "fed#" << e.node << "<-";
    if (j < n.items.size()) {
      out << n.items[j];
    } else {
      out << (n.term == terminator::end ? "end" : "throw");
    }
  }
  return out.str();
}

// ---- generation (a seed's random numbers or a fuzz input's bytes) -----------------------------

/// Returns a number in [0, n): every decision of the generator goes through it, so the same
/// generator serves the seeded test (random numbers) and the fuzzer (input bytes, `byte % n`).
using chooser = std::function<int(int n)>;

inline constexpr int max_depth = 6;
inline constexpr int max_nodes = 16;

inline void choose_details(node& n, const chooser& choose) {
  const kind_info& i = info(n.k);
  n.param = choose(i.params);
  if (n.k == kind::fed || n.k == kind::iter) {
    n.items.resize(static_cast<std::size_t>(choose(7)));
    for (value& v : n.items) v = choose(10);
  }
  if (n.fed()) {
    const int t = choose(10);
    n.term = t < 8 ? terminator::end : t == 8 ? terminator::error : terminator::never;
  }
  if (has_callable(n.k) && choose(6) == 0) n.throw_at = choose(4);
  if (i.gated) {
    n.gates.resize(static_cast<std::size_t>(choose(5)));
    for (gate_plan& g : n.gates) {
      const int p = choose(10);  // 1-3: ready; 4-8: waits; 0: throws at once; 9: waits, then throws
      g.wait = p >= 4;
      g.throws = p == 0 || p == 9;
    }
  }
}

/// The adapters that may stand where the stream is demanded (`demanded`) or not.
inline const std::vector<kind>& adapters(bool demanded) {
  static const auto pools = [] {
    std::vector<std::vector<kind>> out(2);
    for (kind k : kinds_of(role::adapter)) {
      out[1].push_back(k);
      if (info(k).d != demand::needs) out[0].push_back(k);
    }
    return out;
  }();
  return pools[demanded ? 1 : 0];
}

/// `demanded`: the new node is demanded whenever the root is (see `demand`).
inline node choose_stream(const chooser& choose, int depth, int& nodes, bool demanded) {
  node n;
  ++nodes;
  const bool leaf = depth >= max_depth || nodes >= max_nodes || choose(5) == 0;
  if (leaf && choose(3) != 0) {
    n.k = kind::fed;  // most sources are fed by the driver
  } else {
    const std::vector<kind>& pool = leaf ? kinds_of(role::source) : adapters(demanded);
    n.k = pool[static_cast<std::size_t>(choose(static_cast<int>(pool.size())))];
  }
  choose_details(n, choose);
  demanded = demanded && info(n.k).d == demand::keeps;
  for (int c = 0; c < info(n.k).arity; ++c) n.children.push_back(choose_stream(choose, depth + 1, nodes, demanded));
  return n;
}

inline void number(node& n, int& next) {
  n.index = next++;
  for (node& c : n.children) number(c, next);
}

/// Every fed leaf's events in order, and one event per waiting gate: the queues the schedule
/// interleaves.
inline void event_queues(const node& n, std::vector<std::vector<event>>& queues) {
  if (n.fed() && n.fed_events() > 0) queues.emplace_back(n.fed_events(), event{n.index, -1});
  for (std::size_t j = 0; j < n.gates.size(); ++j) {
    if (n.gates[j].wait) queues.push_back({event{n.index, static_cast<int>(j)}});
  }
  for (const node& c : n.children) event_queues(c, queues);
}

inline test_case generate(const chooser& choose) {
  test_case c;
  const std::vector<kind>& consumers = kinds_of(role::consumer);
  c.root.k = consumers[static_cast<std::size_t>(choose(static_cast<int>(consumers.size())))];
  choose_details(c.root, choose);
  int nodes = 1;
  c.root.children.push_back(choose_stream(choose, 1, nodes, info(c.root.k).d == demand::keeps));
  number(c.root, c.node_count);

  std::vector<std::vector<event>> queues;
  event_queues(c.root, queues);
  while (!queues.empty()) {  // a random interleaving that keeps each queue's order
    const auto q = static_cast<std::size_t>(choose(static_cast<int>(queues.size())));
    c.events.push_back(queues[q].back());
    queues[q].pop_back();
    if (queues[q].empty()) queues.erase(queues.begin() + static_cast<std::ptrdiff_t>(q));
  }
  const int steps = static_cast<int>(c.events.size());
  c.first_poll = choose(steps / 2 + 1);
  if (choose(8) == 7) c.drop_step = choose(steps + 1);
  c.spurious = choose(4) == 0;
  return c;
}

// ---- reference evaluator ----------------------------------------------------------------------

/// What the driver has delivered so far, and at which step.
struct delivery {
  int steps = 0;                         // events delivered
  std::vector<std::vector<int>> fed;     // per node: the step of each event of the fed leaf delivered
  std::vector<std::vector<int>> opened;  // per node: the step each gate was opened at (0: not yet)

  explicit delivery(const test_case& c)
      : fed(static_cast<std::size_t>(c.node_count)), opened(static_cast<std::size_t>(c.node_count)) {}
  void apply(const event& e) {
    const auto n = static_cast<std::size_t>(e.node);
    ++steps;
    if (e.gate < 0) {
      fed[n].push_back(steps);
      return;
    }
    const auto j = static_cast<std::size_t>(e.gate);
    if (opened[n].size() <= j) opened[n].resize(j + 1);
    opened[n][j] = steps;
  }
  /// The step from which gate j of `n` is open: 0 when it is ready as it is made, `never` when
  /// its event was not delivered yet.
  int open_step(const node& n, std::size_t j) const {
    if (!n.gate(j).wait) return 0;
    const std::vector<int>& o = opened[static_cast<std::size_t>(n.index)];
    return j < o.size() && o[j] != 0 ? o[j] : never;
  }
  bool is_open(const node& n, std::size_t j) const { return open_step(n, j) != never; }
};

/// The root's output: complete or not; then the exception's message, or the values (collect,
/// next and for_each: the items; fold: the accumulator; count: the number).
struct result {
  bool complete = false;
  std::string error;
  values output;

  bool operator==(const result& o) const { return complete == o.complete && error == o.error && output == o.output; }
};

inline std::string describe(const values& vs) {
  std::string s = "[";
  for (std::size_t j = 0; j < vs.size(); ++j) s += (j ? "," : "") + std::to_string(vs[j]);
  return s + "]";
}

inline std::string describe(const result& r) {
  if (!r.complete) return "not complete";
  if (!r.error.empty()) return "throws \"" + r.error + "\"";
  return describe(r.output);
}

/// What a run left behind besides the output, per node: the items each logged or gated node
/// handled, and the events each fed leaf gave.
struct traces {
  std::vector<std::vector<value>> logs;
  std::vector<std::size_t> consumed;

  explicit traces(int nodes) : logs(static_cast<std::size_t>(nodes)), consumed(static_cast<std::size_t>(nodes)) {}
  bool operator==(const traces& o) const { return logs == o.logs && consumed == o.consumed; }
};

/// Pulls items through the pipeline as plain synchronous iterators over what was delivered: a
/// pull answers an item, the end, an exception, or `stall` (the stream would be pending). A
/// stall ends the evaluation: the driver evaluates again from the start after the next event.
///
/// The sets (buffered, buffer_unordered, for_each_concurrent) are not pull-shaped: what they
/// answer, and what they pulled meanwhile, depends on the step at which each of their futures
/// finished. So the evaluator also keeps time: `now_`, the step at which the pull being evaluated
/// happens (a pull answers at the step of the last event it needed, or at once); and a set is
/// emulated poll by poll, step by step from the step it was asked on, as futures_set.hpp polls:
/// each poll first pulls items while there is room (a pull that answers at a later step leaves
/// the upstream pending until that step), then polls the futures pushed or woken since the
/// last poll, in that order (a future's gate opening at a step wakes it if it was polled), once
/// each per poll, within the cooperative budget. This is exact (outputs, their step, which
/// exception wins, what was pulled) when the set is polled at every step until it answers, as
/// the root consumer is, and its upstream from the step it was asked on (it is, while it is
/// pending: the set has room until it answers). So buffered and buffer_unordered are generated
/// only where their parent demands them at every step (see `demand`: not below then, zip,
/// chain, another set or an async consumer), and for_each_concurrent is a root.
class evaluator {
 public:
  evaluator(const test_case& c, const delivery& d)
      : c_(c), d_(d), traces_(c.node_count), cursors_(static_cast<std::size_t>(c.node_count)), now_(c.first_poll) {}

  result run() {
    const node& root = c_.root;
    if (root.k == kind::for_each_concurrent) {
      const pulled x = emulate(root, cursors_[static_cast<std::size_t>(root.index)], &evaluator::poll_for_each);
      if (x.what == pulled::stall) return {};
      return {true, x.message, x.what == pulled::end ? log(root) : values{}};
    }
    values items;
    value acc = 0;
    for (;;) {
      pulled x = next(root.children[0]);
      if (x.what == pulled::item) {
        switch (root.k) {
          case kind::fold:
            if (call_throws(root)) return {true, call_error(root), {}};
            acc = fold_step(acc, x.v);
            break;
          case kind::fold_async:
            x = gate(root, x.v, fold_step(acc, x.v));
            acc = x.v;
            break;
          case kind::for_each:
            log(root).push_back(x.v);
            break;
          case kind::for_each_async:
            x = gate(root, x.v, x.v);
            break;
          default:  // collect, count, next
            break;
        }
      }
      switch (x.what) {
        case pulled::stall:
        case pulled::yield:  // only a set's upstream yields
          return {};
        case pulled::thrown:
          return {true, x.message, {}};
        case pulled::item:
          items.push_back(x.v);
          break;
        case pulled::end:
          if (root.k == kind::count) return {true, {}, {static_cast<value>(items.size())}};
          if (root.k == kind::fold || root.k == kind::fold_async) return {true, {}, {acc}};
          return {true, {}, items};
      }
    }
  }

  const traces& seen() const { return traces_; }

 private:
  struct pulled {
    enum what_t { item, end, thrown, stall, yield } what = stall;  // yield: see `meter`
    value v = 0;
    std::string message;  // thrown: the exception's
  };
  /// The state of an emulated set (see the class comment): what futures_set.hpp keeps, with the
  /// futures as their gate indices (the j-th item pushed makes gate j).
  struct set_state {
    struct future {
      bool running = true;
      bool kept = false;        // buffered: finished, its output waits for its turn
      bool registered = false;  // polled pending: its gate's opening wakes it
      bool queued = true;       // pushed or woken, not polled since
    };
    int step = 0;                    // the step whose polls are emulated
    int woken_up_to = 0;             // wakes of the steps up to this one applied
    std::vector<future> futures;     // by gate index
    std::deque<std::size_t> list;    // to poll: pushed, or taken from `woken`
    std::vector<std::size_t> woken;  // woken since the last take, in wake order
    std::size_t order = 0;           // buffered: the next output, by gate index
    std::size_t live = 0;            // running or kept
    bool taken = false;              // `woken` taken in this poll
    bool started = false;            // pushed sets: the first pushes made
    unsigned budget = 0;             // the poll's cooperative budget left
    bool ended = false;              // the upstream ended
    bool stalled = false;            // the upstream is pending up to the last step delivered
    std::optional<pulled> ahead;     // the upstream's next answer, due at step `ahead_at`
    int ahead_at = 0;
  };
  struct cursor {
    std::size_t pos = 0;             // items seen / given / left, depending on the kind
    bool flag = false;               // ended, passing, second stream...
    std::optional<value> held;       // then: the item its future was made from; zip: a's item
    std::unique_ptr<set_state> set;  // the sets: made at the first pull
    values chunk;                    // chunks: the items of the chunk being filled
    int calls = 0;                   // has_callable kinds: the calls of the callable so far
  };

  static pulled item(value v) { return {pulled::item, v, {}}; }
  static pulled end() { return {pulled::end, 0, {}}; }
  static pulled stall() { return {}; }
  static pulled yield() { return {pulled::yield, 0, {}}; }
  /// A call of `n`'s callable (has_callable): true when this one throws (call_error).
  bool call_throws(const node& n) { return cursors_[static_cast<std::size_t>(n.index)].calls++ == n.throw_at; }
  static pulled thrown(const node& n) { return {pulled::thrown, 0, call_error(n)}; }
  std::vector<value>& log(const node& n) { return traces_.logs[static_cast<std::size_t>(n.index)]; }

  /// The gate future made for item `v` of a gated node, whose output is `out`.
  pulled gate(const node& n, value v, value out) {
    const std::size_t j = log(n).size();
    log(n).push_back(v);
    if (!d_.is_open(n, j)) return stall();
    now_ = std::max(now_, d_.open_step(n, j));
    if (n.gate(j).throws) return {pulled::thrown, 0, gate_error(n, j)};
    return item(out);
  }

  // ---- the sets ----

  using set_poll = std::optional<pulled> (evaluator::*)(const node&, set_state&, bool& yielded);

  /// Polls set `n` at its step, and at each later step delivered, until it answers: the answer
  /// (at `now_`, its step), or a stall.
  pulled emulate(const node& n, cursor& s, set_poll poll) {
    if (!s.set) s.set = std::make_unique<set_state>();
    set_state& e = *s.set;
    e.step = std::max(e.step, now_);
    for (;;) {
      for (; e.woken_up_to < e.step; ++e.woken_up_to) {  // the event of step woken_up_to + 1
        for (std::size_t j = 0; j < e.futures.size(); ++j) {
          set_state::future& f = e.futures[j];
          if (d_.open_step(n, j) == e.woken_up_to + 1 && f.running && f.registered && !f.queued) {
            f.queued = true;
            e.woken.push_back(j);
          }
        }
      }
      bool yielded = false;  // the budget is spent: polled again at the same step
      std::optional<pulled> x = (this->*poll)(n, e, yielded);
      if (x) {
        now_ = e.step;
        return *x;
      }
      if (!yielded && ++e.step > d_.steps) return stall();
    }
  }

  /// The upstream's next answer at the set's step, or nothing (pending). An answer due at a
  /// later step is pulled once and kept until then.
  /// A yield of the upstream (a poll in it spent its budget) makes it pending for one poll, at
  /// its step, and the set polled again at that step (`yielded`); the next poll resumes it.
  std::optional<pulled> upstream(const node& n, set_state& e, bool& yielded) {
    if (!e.ahead && !e.stalled) {
      const int asked = std::exchange(now_, e.step);
      ++in_upstream_;
      pulled x = next(n.children[0]);
      --in_upstream_;
      std::swap(now_, e.ahead_at);
      now_ = asked;
      if (x.what == pulled::stall) {
        e.stalled = true;  // never pulled again: nothing more is delivered in this evaluation
      } else {
        e.ahead = std::move(x);
      }
    }
    if (e.stalled || e.ahead_at > e.step) return std::nullopt;
    if (e.ahead->what == pulled::yield) {
      e.ahead.reset();
      yielded = true;
      return std::nullopt;
    }
    return std::exchange(e.ahead, std::nullopt);
  }

  /// The cooperative budget of one poll of filter, filter_map, skip, skip_while or flatten: one
  /// unit per item dropped (flatten: per inner stream ended). Spent, the poll yields: it wakes
  /// its waker and answers pending, and the next poll goes on where it stopped. Only a set sees
  /// that (its upstream pending for one poll), so only a set's upstream yields here.
  struct meter {
    unsigned left = futura::detail::coop_budget;
  };
  bool spend(meter& m) {
    if (--m.left != 0) return false;
    m.left = futura::detail::coop_budget;
    return in_upstream_ > 0;
  }

  /// Pushes item `v`'s future (its gate, the next one).
  void push(const node& n, set_state& e, value v) {
    e.list.push_back(log(n).size());
    log(n).push_back(v);
    e.futures.emplace_back();
    ++e.live;
  }

  /// futures_set::poll_woken: a future that finished (its gate index), or nothing (pending or,
  /// with `yielded`, the budget spent); a future that throws ends the evaluation of the set.
  std::optional<std::size_t> poll_woken(const node& n, set_state& e, bool& yielded) {
    for (;;) {
      while (!e.list.empty()) {
        const std::size_t j = e.list.front();
        e.list.pop_front();
        set_state::future& f = e.futures[j];
        f.queued = false;
        if (!f.running) continue;
        if (d_.open_step(n, j) > e.step) {
          f.registered = true;
          if (--e.budget == 0) {
            yielded = true;
            return std::nullopt;
          }
          continue;
        }
        f.running = false;
        return j;
      }
      if (e.taken) return std::nullopt;
      e.taken = true;
      e.list.insert(e.list.end(), e.woken.begin(), e.woken.end());
      e.woken.clear();
    }
  }

  /// The future j finished: its output, or its exception.
  pulled finished(const node& n, std::size_t j) {
    if (n.gate(j).throws) return {pulled::thrown, 0, gate_error(n, j)};
    return item(log(n)[j]);
  }

  /// One poll of buffer_stream::poll_next (buffered: futures_ordered; else futures_unordered).
  std::optional<pulled> poll_buffer(const node& n, set_state& e, bool& yielded) {
    e.budget = futura::detail::coop_budget;
    while (!e.ended && e.live < static_cast<std::size_t>(n.param + 1)) {
      std::optional<pulled> x = upstream(n, e, yielded);
      if (!x) break;
      if (x->what == pulled::end) {
        e.ended = true;
        break;
      }
      if (x->what == pulled::thrown) return x;
      push(n, e, x->v);
      if (--e.budget == 0) {
        yielded = true;
        return std::nullopt;
      }
    }
    if (e.live == 0 && !e.ended) return std::nullopt;  // the upstream is pending
    return set_next(n, e, yielded);
  }

  /// futures_unordered / futures_ordered::poll_next (ordered: buffered, futures_ordered), within
  /// the budget left.
  std::optional<pulled> set_next(const node& n, set_state& e, bool& yielded) {
    const bool ordered = n.k == kind::buffered || n.k == kind::futures_ordered;
    if (e.live == 0) return end();
    if (ordered && e.futures[e.order].kept) {
      --e.live;
      return item(log(n)[e.order++]);
    }
    e.taken = false;
    for (;;) {
      const std::optional<std::size_t> j = poll_woken(n, e, yielded);
      if (!j) return std::nullopt;
      if (n.gate(*j).throws) return finished(n, *j);
      if (!ordered || *j == e.order) {
        --e.live;
        e.order += ordered ? 1 : 0;
        return finished(n, *j);
      }
      e.futures[*j].kept = true;  // a younger future: its output waits for its turn
    }
  }

  /// One poll of pushed_set::poll_next (a futures_unordered or futures_ordered source).
  std::optional<pulled> poll_pushed(const node& n, set_state& e, bool& yielded) {
    auto push_one = [&] {
      if (e.futures.size() < static_cast<std::size_t>(n.param)) push(n, e, static_cast<value>(e.futures.size()));
    };
    if (!e.started) {
      e.started = true;
      for (int i = 0; i < 3; ++i) push_one();
    }
    for (;;) {
      e.budget = futura::detail::coop_budget;  // each poll_next of the set has its own
      std::optional<pulled> x = set_next(n, e, yielded);
      if (!x || x->what == pulled::thrown) return x;
      if (x->what == pulled::item) {
        push_one();
        push_one();
      }
      if (x->what == pulled::item || e.futures.size() == static_cast<std::size_t>(n.param)) return x;
      push_one();  // the set answered its end: one more push makes it run again
    }
  }

  /// One poll of concurrent_for_each_future::poll (limit = the parameter, 0: none); the end when
  /// it completes.
  std::optional<pulled> poll_for_each(const node& n, set_state& e, bool& yielded) {
    e.budget = futura::detail::coop_budget;
    e.taken = false;
    bool upstream_pending = false;
    const auto limit = static_cast<std::size_t>(n.param);
    for (;;) {
      while (!e.ended && !upstream_pending && (limit == 0 || e.live < limit)) {
        std::optional<pulled> x = upstream(n, e, yielded);
        if (!x) {
          upstream_pending = true;
        } else if (x->what == pulled::end) {
          e.ended = true;
        } else if (x->what == pulled::thrown) {
          return x;
        } else {
          push(n, e, x->v);
          if (--e.budget == 0) {
            yielded = true;
            return std::nullopt;
          }
        }
      }
      if (e.live == 0) return e.ended ? std::optional<pulled>(end()) : std::nullopt;
      const std::optional<std::size_t> j = poll_woken(n, e, yielded);
      if (!j) return std::nullopt;
      if (n.gate(*j).throws) return finished(n, *j);
      --e.live;
      if (--e.budget == 0) {
        yielded = true;
        return std::nullopt;
      }
    }
  }

  pulled next(const node& n) {
    cursor& s = cursors_[static_cast<std::size_t>(n.index)];
    auto child = [&](std::size_t i) { return next(n.children[i]); };
    switch (n.k) {
      case kind::fed: {
        const std::vector<int>& steps = d_.fed[static_cast<std::size_t>(n.index)];
        if (s.pos == steps.size()) return stall();
        now_ = std::max(now_, steps[s.pos]);
        traces_.consumed[static_cast<std::size_t>(n.index)] = ++s.pos;
        if (s.pos <= n.items.size()) return item(n.items[s.pos - 1]);
        if (n.term == terminator::end) return end();
        return {pulled::thrown, 0, fed_error(n)};
      }
      case kind::iter:
        return s.pos < n.items.size() ? item(n.items[s.pos++]) : end();
      case kind::empty:
        return end();
      case kind::pending:
        return stall();
      case kind::once: {
        if (s.flag) return end();
        pulled x = gate(n, n.param, n.param);
        s.flag = x.what == pulled::item;
        return x;
      }
      case kind::repeat:
        return s.pos < repeat_count(n.param) ? (++s.pos, item(repeat_value(n.param))) : end();
      case kind::unfold: {
        const auto i = static_cast<value>(s.pos++);
        return i < n.param ? item(i * i) : end();
      }
      case kind::map: {
        pulled x = child(0);
        if (x.what == pulled::item && call_throws(n)) return thrown(n);
        x.v += n.param + 1;
        return x;
      }
      case kind::then: {
        if (!s.held) {
          pulled x = child(0);
          if (x.what != pulled::item) return x;
          if (call_throws(n)) return thrown(n);  // f throws: no future made
          s.held = x.v;
        }
        pulled x = gate(n, *s.held, *s.held + n.param + 1);  // a stall ends the evaluation
        s.held.reset();
        return x;
      }
      case kind::filter:
      case kind::filter_map:
        for (meter m;;) {
          pulled x = child(0);
          if (x.what != pulled::item) return x;
          if (call_throws(n)) return thrown(n);
          if (pred(n.param, x.v)) return item(n.k == kind::filter ? x.v : x.v * 2);
          if (spend(m)) return yield();
        }
      case kind::take: {
        if (s.pos == static_cast<std::size_t>(n.param)) return end();
        pulled x = child(0);
        if (x.what == pulled::item) ++s.pos;
        return x;
      }
      case kind::take_while: {
        pulled x = child(0);
        if (x.what == pulled::item && call_throws(n)) return thrown(n);
        return x.what != pulled::item || pred(n.param, x.v) ? x : end();
      }
      case kind::skip:
        for (meter m;;) {
          pulled x = child(0);
          if (x.what != pulled::item || s.pos == static_cast<std::size_t>(n.param)) return x;
          ++s.pos;
          if (spend(m)) return yield();
        }
      case kind::skip_while:
        for (meter m;;) {
          pulled x = child(0);
          if (x.what != pulled::item || s.flag) return x;
          if (call_throws(n)) return thrown(n);  // pred runs on the leading items only
          if (!pred(n.param, x.v)) {
            s.flag = true;  // passing from now on
            return x;
          }
          if (spend(m)) return yield();
        }
      case kind::enumerate: {
        pulled x = child(0);
        if (x.what == pulled::item) x.v = pair_value(static_cast<value>(s.pos++), x.v);
        return x;
      }
      case kind::inspect: {
        pulled x = child(0);
        if (x.what == pulled::item && call_throws(n)) return thrown(n);
        if (x.what == pulled::item) log(n).push_back(x.v);
        return x;
      }
      case kind::fuse: {
        if (s.flag) return end();
        pulled x = child(0);
        s.flag = x.what == pulled::end || x.what == pulled::thrown;
        return x;
      }
      case kind::chain:
        if (!s.flag) {
          pulled x = child(0);
          if (x.what != pulled::end) return x;
          s.flag = true;
        }
        return child(1);
      case kind::zip: {
        if (!s.held) {
          pulled a = child(0);
          if (a.what != pulled::item) return a;
          s.held = a.v;
        }
        pulled b = child(1);
        if (b.what != pulled::item) return b;
        return item(pair_value(*std::exchange(s.held, std::nullopt), b.v));
      }
      case kind::flatten:
        for (meter m;;) {
          if (s.held) {  // the inner stream of outer item `held`, at item `pos`
            const values inner = inner_items(n.param, *s.held);
            if (s.pos < inner.size()) return item(inner[s.pos++]);
            s.held.reset();
            if (spend(m)) return yield();
          }
          pulled x = child(0);
          if (x.what != pulled::item) return x;
          s.held = x.v;
          s.pos = 0;
        }
      case kind::chunks: {
        if (s.flag) return end();  // the upstream ended and its last chunk went out
        values& chunk = s.chunk;   // kept across a yield of the upstream
        for (;;) {
          pulled x = child(0);
          if (x.what == pulled::end) {
            s.flag = true;
            return chunk.empty() ? x : item(chunk_value(std::exchange(chunk, {})));
          }
          if (x.what != pulled::item) return x;
          chunk.push_back(x.v);
          if (chunk.size() == static_cast<std::size_t>(n.param + 1)) return item(chunk_value(std::exchange(chunk, {})));
        }
      }
      case kind::boxed:
        return child(0);
      case kind::buffered:
      case kind::buffer_unordered:
        return emulate(n, s, &evaluator::poll_buffer);
      case kind::futures_unordered:
      case kind::futures_ordered:
        return emulate(n, s, &evaluator::poll_pushed);
      default:
        break;  // the consumers: run()
    }
    throw std::logic_error("stream_model: a consumer below the root");
  }

  const test_case& c_;
  const delivery& d_;
  traces traces_;
  std::vector<cursor> cursors_;
  int now_;              // the step of the pull being evaluated
  int in_upstream_ = 0;  // pulling for a set: a poll that spent its budget yields (see `meter`)
};

// ---- the driver-fed leaves --------------------------------------------------------------------

/// The state a fed stream and the driver share. Single-threaded.
struct fed_state {
  std::deque<std::optional<value>> queue;  // delivered, not yet polled out; std::nullopt: the end
  bool fails = false;                      // after the queue: the exception
  std::string error;
  futura::waker last_waker;
  std::size_t delivered = 0;  // events fed
  std::size_t consumed = 0;   // events polled out (items, the end, the exception)
  bool finished = false;      // answered the end or threw
  int polls_after_end = 0;    // rule 4: none
  int drops = 0;

  /// Delivers the leaf's next event and wakes the waker it was last polled with.
  void feed(const node& n) {
    const std::size_t j = delivered++;
    if (j < n.items.size()) {
      queue.emplace_back(n.items[j]);
    } else if (n.term == terminator::end) {
      queue.emplace_back(std::nullopt);
    } else {
      fails = true;
      error = fed_error(n);
    }
    last_waker.wake();
  }
};

/// A stream whose events the driver delivers: its items, in order, then its end or its
/// exception. A poll after either is rule 4's error (and counted).
class fed_stream : public futura::stream_ext<fed_stream> {
 public:
  using item_type = value;
  explicit fed_stream(std::shared_ptr<fed_state> s) : state_(std::move(s)) {}
  fed_stream(fed_stream&& o) noexcept : state_(std::move(o.state_)) {}
  fed_stream& operator=(fed_stream&&) = delete;
  ~fed_stream() {
    if (state_) ++state_->drops;
  }

  futura::poll_result<std::optional<value>> poll_next(futura::waker& w) {
    fed_state& s = *state_;
    if (s.finished) {
      ++s.polls_after_end;
      futura::detail::polled_after_completion("stream_model::fed_stream");
    }
    s.last_waker = w;
    if (s.queue.empty() && !s.fails) return futura::pending;
    ++s.consumed;
    if (s.queue.empty()) {
      s.finished = true;
      throw std::runtime_error(s.error);
    }
    std::optional<value> v = s.queue.front();
    s.queue.pop_front();
    s.finished = !v;
    return v;
  }

 private:
  std::shared_ptr<fed_state> state_;
};

// ---- the builder ------------------------------------------------------------------------------

/// A type-erased stream of values: each node of a pipeline built at run time makes one.
class int_stream : public futura::stream_ext<int_stream> {
 public:
  using item_type = value;

  template <class S>
  static int_stream erase(S s) {
    int_stream out;
    out.impl_ = std::make_unique<impl<S>>(std::move(s));
    return out;
  }
  futura::poll_result<std::optional<value>> poll_next(futura::waker& w) { return impl_->poll_next(w); }

 private:
  struct base {
    virtual ~base() = default;
    virtual futura::poll_result<std::optional<value>> poll_next(futura::waker& w) = 0;
  };
  template <class S>
  struct impl final : base {
    explicit impl(S s) : stream(std::move(s)) {}
    futura::poll_result<std::optional<value>> poll_next(futura::waker& w) override { return stream.poll_next(w); }
    S stream;
  };
  std::unique_ptr<base> impl_;
};

using root_future = futura::boxed_future<values>;

/// The `next` consumer: a loop of `s.next()` futures collecting the items. With `remake`, every
/// poll first drops the pending next() future and makes a new one (dropping one loses nothing).
/// Over a fused stream it asks once more after the end, which must answer the end again.
class next_loop : public futura::future_ext<next_loop> {
 public:
  using output_type = values;
  next_loop(int_stream s, bool remake, bool fused)
      : s_(std::make_unique<int_stream>(std::move(s))), remake_(remake), fused_(fused) {}

  futura::poll_result<values> poll(futura::waker& w) {
    if (remake_) next_.reset();
    for (;;) {
      if (!next_) next_.emplace(s_->next());
      futura::poll_result<std::optional<value>> r = next_->poll(w);
      if (r.is_pending()) return futura::pending;
      next_.reset();
      if (!r.value()) break;
      items_.push_back(*r.value());
    }
    if (fused_) {
      auto again = s_->next();
      futura::poll_result<std::optional<value>> r = again.poll(w);
      if (r.is_pending() || r.value()) throw std::logic_error("a fused stream did not answer the end again");
    }
    return std::move(items_);
  }

 private:
  std::unique_ptr<int_stream> s_;  // next() futures refer to it: it must not move
  std::optional<futura::stream::next_future<int_stream>> next_;
  values items_;
  bool remake_;
  bool fused_;
};

/// futures_unordered or futures_ordered fed by pushes of `count` futures made by `make(j)`: three
/// at the first poll, two after each item (so that futures polled before wait beside new ones),
/// and one (then the set is polled again) each time the set answers its end while some are left;
/// the end once all were pushed and answered.
template <template <class> class Set, class Make>
class pushed_set : public futura::stream_ext<pushed_set<Set, Make>> {
 public:
  using item_type = value;
  pushed_set(Make make, std::size_t count) : make_(std::move(make)), count_(count) {}

  futura::poll_result<std::optional<value>> poll_next(futura::waker& w) {
    if (!started_) {
      started_ = true;
      for (int i = 0; i < 3; ++i) push();
    }
    for (;;) {
      futura::poll_result<std::optional<value>> r = set_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (r.value()) {
        push();
        push();
      }
      if (r.value() || pushed_ == count_) return r;
      push();
    }
  }

 private:
  void push() {
    if (pushed_ < count_) set_.push(make_(static_cast<value>(pushed_++)));
  }

  Make make_;
  Set<std::invoke_result_t<Make&, value>> set_;
  std::size_t count_;
  std::size_t pushed_ = 0;
  bool started_ = false;
};

/// What the driver keeps of a node while its pipeline runs.
struct node_handles {
  std::shared_ptr<fed_state> fed = std::make_shared<fed_state>();
  std::deque<combinator_model::leaf> gates;  // by index: the gate futures' controlling ends
  values log;                                // logged and gated kinds: the items handled
  int calls = 0;                             // has_callable kinds: the calls of the callable

  /// One call of `n`'s callable: throws call_error at call n.throw_at (as the evaluator's).
  void call(const node& n) {
    if (calls++ == n.throw_at) throw std::runtime_error(call_error(n));
  }

  combinator_model::leaf& gate(std::size_t j) {
    while (gates.size() <= j) gates.emplace_back();
    return gates[j];
  }
  /// Lets gate j of `n` finish as its plan says.
  void open(const node& n, std::size_t j) {
    if (n.gate(j).throws) {
      gate(j).fail(gate_error(n, j).c_str());
    } else {
      gate(j).complete(0);
    }
  }
  /// The future a gated node makes for item `v`: gate j (the j-th item) is ready at once unless
  /// it waits for the driver; then it yields `out` (or throws).
  auto future_for(const node& n, value v, value out) {
    const std::size_t j = log.size();
    log.push_back(v);
    if (!n.gate(j).wait) open(n, j);
    return gate(j).future().then([out](int) { return out; });
  }
};

class builder {
 public:
  explicit builder(std::vector<node_handles>& h) : h_(h) {}

  /// The function that makes item v's gate future, whose output is v.
  static auto gate_for(const node& n, node_handles& nh) {
    return [&n, &nh](value v) { return nh.future_for(n, v, v); };
  }

  root_future build_root(const node& n) {
    int_stream s = build(n.children[0]);
    node_handles& nh = handles(n);
    auto log_item = [&nh](value v) { nh.log.push_back(v); };
    auto the_log = [&nh](futura::unit) { return nh.log; };
    auto one = [](auto v) { return values{static_cast<value>(v)}; };
    switch (n.k) {
      case kind::collect:
        return std::move(s).collect().boxed();
      case kind::fold:
        return std::move(s)
            .fold(value{0},
                  [&n, &nh](value acc, value v) {
                    nh.call(n);
                    return fold_step(acc, v);
                  })
            .then(one)
            .boxed();
      case kind::fold_async:
        return std::move(s)
            .fold(value{0}, [&n, &nh](value acc, value v) { return nh.future_for(n, v, fold_step(acc, v)); })
            .then(one)
            .boxed();
      case kind::count:
        return std::move(s).count().then(one).boxed();
      case kind::for_each:
        return std::move(s).for_each(log_item).then(the_log).boxed();
      case kind::for_each_async:
        return std::move(s).for_each(gate_for(n, nh)).then(the_log).boxed();
      case kind::next:
        return next_loop(std::move(s), n.param == 1, n.children[0].k == kind::fuse).boxed();
      case kind::for_each_concurrent:
        return std::move(s)
            .for_each_concurrent(static_cast<std::size_t>(n.param), gate_for(n, nh))
            .then(the_log)
            .boxed();
      default:
        throw std::logic_error("stream_model: the root is not a consumer");
    }
  }

 private:
  node_handles& handles(const node& n) { return h_[static_cast<std::size_t>(n.index)]; }

  int_stream build(const node& n) {
    auto child = [&](std::size_t i) { return build(n.children[i]); };
    auto erase = [](auto s) { return int_stream::erase(std::move(s)); };
    auto to_value = [](auto pair) { return pair_value(static_cast<value>(pair.first), pair.second); };
    node_handles& nh = handles(n);
    const value k = n.param + 1;
    const int p = n.param;
    switch (n.k) {
      case kind::fed:
        return erase(fed_stream(nh.fed));
      case kind::iter:
        return erase(futura::stream::iter(n.items));
      case kind::empty:
        return erase(futura::stream::empty<value>());
      case kind::pending:
        return erase(futura::stream::pending<value>());
      case kind::once:  // the gate future is made at the first poll, as the evaluator's
        return erase(futura::stream::once(futura::lazy([&n, &nh] { return nh.future_for(n, n.param, n.param); })));
      case kind::repeat:
        return erase(futura::stream::repeat(repeat_value(p)).take(repeat_count(p)));
      case kind::unfold:
        return erase(futura::stream::unfold(value{0}, [p](value i) -> std::optional<std::pair<value, value>> {
          if (i >= p) return std::nullopt;
          return std::pair<value, value>(i * i, i + 1);
        }));
      case kind::map:
        return erase(child(0).map([&n, &nh, k](value v) { return nh.call(n), v + k; }));
      case kind::then:
        return erase(child(0).then([&n, &nh, k](value v) { return nh.call(n), nh.future_for(n, v, v + k); }));
      case kind::filter:
        return erase(child(0).filter([&n, &nh, p](const value& v) { return nh.call(n), pred(p, v); }));
      case kind::filter_map:
        return erase(child(0).filter_map([&n, &nh, p](value v) {
          nh.call(n);
          return pred(p, v) ? std::optional<value>(v * 2) : std::nullopt;
        }));
      case kind::take:
        return erase(child(0).take(static_cast<std::size_t>(p)));
      case kind::take_while:
        return erase(child(0).take_while([&n, &nh, p](const value& v) { return nh.call(n), pred(p, v); }));
      case kind::skip:
        return erase(child(0).skip(static_cast<std::size_t>(p)));
      case kind::skip_while:
        return erase(child(0).skip_while([&n, &nh, p](const value& v) { return nh.call(n), pred(p, v); }));
      case kind::enumerate:
        return erase(child(0).enumerate().map(to_value));
      case kind::inspect:
        return erase(child(0).inspect([&n, &nh](const value& v) {
          nh.call(n);
          nh.log.push_back(v);
        }));
      case kind::fuse:
        return erase(child(0).fuse());
      case kind::chain:
        return erase(child(0).chain(child(1)));
      case kind::zip:
        return erase(child(0).zip(child(1)).map(to_value));
      case kind::flatten:
        return erase(child(0).map([p](value v) { return futura::stream::iter(inner_items(p, v)); }).flatten());
      case kind::chunks:
        return erase(child(0).chunks(static_cast<std::size_t>(p + 1)).map(chunk_value));
      case kind::boxed:
        return erase(child(0).boxed());
      case kind::futures_unordered:
        return erase(pushed_set<futura::stream::futures_unordered, decltype(gate_for(n, nh))>(
            gate_for(n, nh), static_cast<std::size_t>(p)));
      case kind::futures_ordered:
        return erase(pushed_set<futura::stream::futures_ordered, decltype(gate_for(n, nh))>(
            gate_for(n, nh), static_cast<std::size_t>(p)));
      case kind::buffered:
        return erase(child(0).map(gate_for(n, nh)).buffered(static_cast<std::size_t>(p + 1)));
      case kind::buffer_unordered:
        return erase(child(0).map(gate_for(n, nh)).buffer_unordered(static_cast<std::size_t>(p + 1)));
      default:
        break;  // the consumers: build_root
    }
    throw std::logic_error("stream_model: a consumer below the root");
  }

  std::vector<node_handles>& h_;
};

// ---- the driver -------------------------------------------------------------------------------

/// Runs `c` and checks it against the evaluator; returns what went wrong, or "" when all is well.
class driver {
 public:
  explicit driver(const test_case& c)
      : c_(c), delivered_(c), expected_traces_(c.node_count), h_(static_cast<std::size_t>(c.node_count)) {}

  std::string run() {
    w_.emplace(target_.make());
    root_.emplace(builder(h_).build_root(c_.root));
    for (int t = 0; t <= static_cast<int>(c_.events.size()) && problem_.empty(); ++t) {
      if (t > 0) deliver(c_.events[static_cast<std::size_t>(t - 1)]);
      if (!root_) continue;
      if (!done_ && t >= c_.first_poll) {
        if (c_.spurious) w_->wake();  // a wake without an event: the root is polled for nothing
        poll_root(t == c_.first_poll);
        check_against_evaluator(t);
      }
      if (t == c_.drop_step) drop_root(t, "dropped mid-way");
    }
    if (root_) drop_root(static_cast<int>(c_.events.size()), "dropped at the end");
    if (!problem_.empty()) return problem_;
    h_.clear();  // the leaves' shared states hold the last wakers they were polled with
    w_.reset();
    if (target_.live_clones() != 0) fail(std::to_string(target_.live_clones()) + " clones of the root waker leaked");
    return problem_;
  }

 private:
  void fail(const std::string& what) {
    if (problem_.empty()) problem_ = what;
  }

  node_handles& handles(int index) { return h_[static_cast<std::size_t>(index)]; }

  void deliver(const event& e) {
    const node& n = *find(c_.root, e.node);
    delivered_.apply(e);
    if (e.gate >= 0) {
      handles(e.node).open(n, static_cast<std::size_t>(e.gate));
    } else {
      handles(e.node).fed->feed(n);
    }
  }

  /// Polls the root (`force`: the first poll) and again as long as it was woken meanwhile (a
  /// cooperative budget spent wakes it at once).
  void poll_root(bool force) {
    for (int polls = 0; polls < 1000; ++polls) {
      if (!force && target_.wakes() == wakes_seen_) return;
      force = false;
      wakes_seen_ = target_.wakes();
      try {
        futura::poll_result<values> r = (*root_).poll(*w_);
        if (r.is_pending()) continue;
        actual_.output = std::move(r).value();
      } catch (const futura::future_error& e) {
        fail(std::string("misuse error (a leaf or adapter polled after its end?): ") + e.what());
        return;
      } catch (const std::runtime_error& e) {
        actual_.error = e.what();
      } catch (const std::exception& e) {
        fail(std::string("unexpected exception: ") + e.what());
        return;
      }
      actual_.complete = true;
      done_ = true;
      return;
    }
    fail("the root was still woken after 1000 polls in one step");
  }

  void check_against_evaluator(int step) {
    evaluator e(c_, delivered_);
    const result expected = e.run();
    expected_traces_ = e.seen();
    if (expected.complete != actual_.complete || (expected.complete && !(expected == actual_))) {
      fail("after step " + std::to_string(step) + " the root is " + describe(actual_) + ", expected " +
           describe(expected));
    }
  }

  /// Drops the pipeline after step `step`, then checks what each node handled against the
  /// evaluator at the last step checked (nothing, if the root was never polled) and the drops.
  void drop_root(int step, const char* when) {
    root_.reset();
    traces actual(c_.node_count);
    for (std::size_t i = 0; i < h_.size(); ++i) {
      actual.logs[i] = h_[i].log;
      const node& n = *find(c_.root, static_cast<int>(i));
      if (n.fed()) actual.consumed[i] = h_[i].fed->consumed;
    }
    if (step < c_.first_poll) expected_traces_ = traces(c_.node_count);
    for (std::size_t i = 0; i < h_.size() && problem_.empty(); ++i) {
      const std::string at =
          "node #" + std::to_string(i) + " (" + info(find(c_.root, static_cast<int>(i))->k).name + ")";
      if (actual.logs[i] != expected_traces_.logs[i]) {
        fail(at + " handled " + describe(actual.logs[i]) + ", the evaluator " + describe(expected_traces_.logs[i]));
      }
      if (actual.consumed[i] != expected_traces_.consumed[i]) {
        fail(at + " gave " + std::to_string(actual.consumed[i]) + " events, the evaluator pulled " +
             std::to_string(expected_traces_.consumed[i]));
      }
      const fed_state& f = *h_[i].fed;
      if (f.polls_after_end != 0) fail(at + " polled after its end");
      if (find(c_.root, static_cast<int>(i))->fed() && f.drops != 1) {
        fail(at + " destroyed " + std::to_string(f.drops) + " times, " + when);
      }
      for (std::size_t j = 0; j < h_[i].gates.size(); ++j) {
        const combinator_model::leaf& g = h_[i].gates[j];
        const int made = j < h_[i].log.size() ? 1 : 0;
        if (g.drops() != made) {
          fail(at + ": gate future " + std::to_string(j) + " destroyed " + std::to_string(g.drops()) + " times, " +
               when);
        }
        if (g.polls_after_finish() != 0) fail(at + ": gate future " + std::to_string(j) + " polled after it finished");
      }
    }
  }

  const test_case& c_;
  delivery delivered_;
  traces expected_traces_;
  std::vector<node_handles> h_;
  counting_waker target_;
  std::optional<futura::waker> w_;
  std::optional<root_future> root_;
  result actual_;
  bool done_ = false;
  int wakes_seen_ = 0;
  std::string problem_;
};

/// Runs `c`; returns "" or what went wrong, followed by the case.
inline std::string check(const test_case& c) {
  std::string problem = driver(c).run();
  if (problem.empty()) return problem;
  return problem + "\n" + describe(c);
}

}  // namespace futura_test::stream_model
