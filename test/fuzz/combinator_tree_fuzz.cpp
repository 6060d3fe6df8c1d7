// libFuzzer target over combinator trees: the input bytes are decoded into a tree of then / join /
// join_all / select / select_biased / try_join / boxed / shared / abortable / fuse / branch over
// instrumented leaves, and into a schedule (leaf completions and throws, aborts, drops of the
// tree and of the handles beside it, spurious wakes, polls of a shared future's second copy),
// some of whose events are delivered from another thread while the main thread polls or drops
// at the same time (at an offset and with wakers as slow as the input says).
// The run is checked against the reference evaluator of support/model.hpp (the one model_test
// uses): the root's output (value or exception) and the exact step at which it is ready, or that
// it stays pending, every leaf destroyed exactly once (and at once when the tree is done or
// dropped) and every leaf under a branch's side not taken never made, polled or destroyed (its
// events still happen, unseen; tree_handles::check_branches and either_probe check the rest of
// what either.hpp promises), every output of a second shared copy equal to what the shared future's inner
// produced, no lost wakeup of a shared copy, no leaf polled before the root or after it
// completed, and no waker clone leaked or dropped twice.
// ASan/UBSan catch the rest. A failed check prints the decoded case and aborts.
//
// Input format (every byte is valid; a missing byte reads as 0):
//   tree:   node   = kind byte (bytes 0-241: kind = byte % 11, kind 0 = leaf; 242-255: branch,
//                    appended after the first 11 kinds so that older inputs decode as before),
//                    then
//                    leaf:  one plan byte (value = (low nibble % 10) - 2; high nibble 1 or 9: the
//                           leaf throws; 2: it never completes)
//                    inner: one parameter byte, then the children (branch: two; it takes the
//                           first when the parameter is even, else the second)
//           (depth and leaf count are capped: past them every node is a leaf)
//   first poll: one byte (the root is first polled after event byte % (number of events + 1))
//   events: one byte each, op = byte % 8, x = byte / 8, until the input ends (at most 48):
//           0-2 complete leaf x (counted among the leaves not completed yet), on this thread
//           3   the same from a std::thread, while this thread does a racing action (next bytes)
//           4   abort handle x>>1; from a std::thread if x is odd (racing action: next bytes)
//           5   shared copy x>>1: poll it (x even) or drop it (x odd)
//           6   drop abort handle x
//           7   x % 4 = 0: drop the whole tree; 1: wake leaf x/4's last waker without completing
//               it (a spurious wake) from a std::thread (racing action: next bytes); 2: the same
//               on this thread; 3: nothing happens at this step
//           racing action: byte a: a % 6 = nothing, poll the root, drop the root, poll copy a/6,
//           drop copy a/6, drop abort handle a/6; then byte d: both threads start together,
//           then the other thread spins (d & 15)^2 * 4 rounds and this one (d >> 4)^2 * 4 rounds
//           before acting, so inputs reach different interleavings; then byte s: during the
//           step every wake of the driver's wakers spins s * 8 rounds first (a slow waker keeps
//           the waking thread inside the library's wake path longer)
//   then every leaf not completed yet (and not "never") completes, in leaf order.
//
// At most 6 events per input go to a thread (later ones run on this thread), so an input takes
// well under a millisecond or two. Which interleaving a racing step reaches depends on timing,
// and a fair select's tie on a per-thread counter: the checks accept exactly what the evaluator
// allows for every interleaving, but a replay may take another path than the run that failed.
//
// Set FUTURA_FUZZ_PRINT=1 to print each decoded case (e.g. when replaying one input file);
// replay_main.cpp runs inputs without libFuzzer (any compiler, TSan).
#include <support/model.hpp>
#include <support/probe.hpp>

#include <futura/core/error.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace futura_test::combinator_model;

constexpr int max_depth = 5;
constexpr std::size_t max_leaves = 12;
constexpr std::size_t max_events = 48;
constexpr int max_threads = 6;
constexpr int max_chain_links = 400;  // boxed links over the whole tree
// Kind bytes below this cycle through the kinds that came before branch (every byte of an older
// input keeps its meaning); from it up they are branch.
constexpr int first_branch_byte = 242;
constexpr int kinds_before_branch = static_cast<int>(kind::branch);
static_assert(first_branch_byte % kinds_before_branch == 0, "each kind before branch keeps 22 bytes");
static_assert(kind_count == kinds_before_branch + 1, "a new kind needs its own bytes in decode_node");

class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  int byte() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  bool empty() const { return size_ == 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

enum class op { tick, complete, abort, poll_copy, drop_copy, drop_handle, drop_root, wake };
enum class action { none, poll_root, drop_root, poll_copy, drop_copy, drop_handle };

struct event {
  op o = op::tick;
  int target = -1;  // leaf (complete, wake), abort slot or copy slot
  bool threaded = false;
  action racing = action::none;  // what the main thread does while the thread runs the event
  int racing_target = -1;
  int delay = 0;       // spin rounds before the racing action (high nibble) / the event (low nibble)
  int slow_wakes = 0;  // spin rounds inside each wake of the driver's wakers during the step
};

struct fuzz_case {
  model m;
  std::vector<event> events;                      // events[i] happens at step i + 1
  int drop_step = never;                          // the step at which the tree is dropped
  std::vector<std::vector<int>> leaf_copy_slots;  // per leaf: the shared slots above it
  std::vector<bool> copy_has_second;              // per shared slot
  int chain_links = 0;
};

// ---- decoding -----------------------------------------------------------------------------

node decode_node(reader& r, fuzz_case& c, int depth, std::vector<int>& copy_path, int& abort_slots) {
  node n;
  const int b = r.byte();
  n.k = b >= first_branch_byte ? kind::branch : static_cast<kind>(b % kinds_before_branch);
  if (depth >= max_depth || c.m.leaves.size() >= max_leaves) n.k = kind::leaf;
  if (n.k == kind::leaf) {
    const int p = r.byte();
    leaf_plan plan;
    plan.value = (p & 15) % 10 - 2;
    plan.throws = (p >> 4) == 1 || (p >> 4) == 9;
    plan.time = (p >> 4) == 2 ? never : 0;  // 0: its completion event is placed later
    n.leaf = static_cast<int>(c.m.leaves.size());
    c.m.leaves.push_back(plan);
    c.leaf_copy_slots.push_back(copy_path);
    return n;
  }
  const int p = r.byte();
  int arity = 1;
  switch (n.k) {
    case kind::then:
      n.addend = 1 + p % 5;
      n.then_throws = (p / 5) % 10 == 9;
      break;
    case kind::join:
    case kind::select:
    case kind::select_biased:
    case kind::try_join:
      arity = 2 + p % 2;
      break;
    case kind::join_all:
      arity = p % 5;
      break;
    case kind::boxed:
      n.links = p < 240 ? 1 + p % 3 : 129 + (p - 240) * 4;  // past 128: the trampoline defers
      if (c.chain_links + n.links > max_chain_links) n.links = 1;
      c.chain_links += n.links;
      break;
    case kind::shared:
      n.slot = static_cast<int>(c.copy_has_second.size());
      n.second_copy = p % 2 == 1;
      c.copy_has_second.push_back(n.second_copy);
      break;
    case kind::abortable:
      n.slot = abort_slots++;
      break;
    case kind::branch:
      arity = 2;
      n.cond = p % 2 == 0;
      break;
    default:
      break;
  }
  if (n.k == kind::shared) copy_path.push_back(n.slot);
  for (int i = 0; i < arity; ++i) n.children.push_back(decode_node(r, c, depth + 1, copy_path, abort_slots));
  if (n.k == kind::shared) copy_path.pop_back();
  return n;
}

action decode_action(int a, int& target) {
  target = a / 6;
  return static_cast<action>(a % 6);
}

fuzz_case decode(const std::uint8_t* data, std::size_t size) {
  reader r(data, size);
  fuzz_case c;
  std::vector<int> copy_path;
  int abort_slots = 0;
  c.m.root = decode_node(r, c, 0, copy_path, abort_slots);
  int branch_slots = 0;
  assign_branch_slots(c.m.root, branch_slots);
  const int first_poll_byte = r.byte();

  std::vector<int> not_completed;  // leaves still to complete, in leaf order
  for (std::size_t i = 0; i < c.m.leaves.size(); ++i) {
    if (c.m.leaves[i].time != never) not_completed.push_back(static_cast<int>(i));
  }
  c.m.abort_time.assign(static_cast<std::size_t>(abort_slots), never);
  std::vector<bool> handle_alive(static_cast<std::size_t>(abort_slots), true);
  int threads = 0;
  auto step = [&] { return static_cast<int>(c.events.size()) + 1; };
  auto racing = [&](event& e) {
    if (threads == max_threads) {  // over the budget: the event runs on this thread, alone
      e.threaded = false;
      r.byte();
      r.byte();
      r.byte();
      return;
    }
    ++threads;
    e.racing = decode_action(r.byte(), e.racing_target);
    e.delay = r.byte();
    e.slow_wakes = r.byte() * 8;
  };
  auto apply_drops = [&](action a, int target) {  // what a racing action drops, for the model
    if (a == action::drop_root && c.drop_step == never) c.drop_step = step();
    if (a == action::drop_handle && abort_slots > 0)
      handle_alive[static_cast<std::size_t>(target % abort_slots)] = false;
  };
  auto complete_leaf = [&](event& e, int x) {
    if (not_completed.empty()) return;
    std::size_t i = static_cast<std::size_t>(x) % not_completed.size();
    e.o = op::complete;
    e.target = not_completed[i];
    c.m.leaves[static_cast<std::size_t>(e.target)].time = step();
    not_completed.erase(not_completed.begin() + static_cast<std::ptrdiff_t>(i));
  };

  while (!r.empty() && c.events.size() < max_events) {
    const int b = r.byte();
    const int x = b / 8;
    event e;
    switch (b % 8) {
      case 0:
      case 1:
      case 2:
        complete_leaf(e, x);
        break;
      case 3:
        complete_leaf(e, x);
        e.threaded = true;
        racing(e);
        if (e.o == op::tick) e = event{};  // no leaf left: a quiet step
        break;
      case 4: {
        if (abort_slots == 0) break;
        const auto slot = static_cast<std::size_t>((x >> 1) % abort_slots);
        if (x & 1) {
          e.threaded = true;
          racing(e);
        }
        if (!handle_alive[slot]) {
          e = event{};
          break;
        }
        e.o = op::abort;
        e.target = static_cast<int>(slot);
        if (c.m.abort_time[slot] == never) c.m.abort_time[slot] = step();
        break;
      }
      case 5:
        if (c.copy_has_second.empty()) break;
        e.o = (x & 1) ? op::drop_copy : op::poll_copy;
        e.target = (x >> 1) % static_cast<int>(c.copy_has_second.size());
        break;
      case 6:
        if (abort_slots == 0) break;
        e.o = op::drop_handle;
        e.target = x % abort_slots;
        handle_alive[static_cast<std::size_t>(e.target)] = false;
        break;
      case 7:
        if (x % 4 == 0) {
          e.o = op::drop_root;
          if (c.drop_step == never) c.drop_step = step();
        } else if (x % 4 != 3 && !c.m.leaves.empty()) {
          e.o = op::wake;
          e.target = (x / 4) % static_cast<int>(c.m.leaves.size());
          if (x % 4 == 1) {
            e.threaded = true;
            racing(e);
          }
        }
        break;
    }
    if (e.threaded) apply_drops(e.racing, e.racing_target);
    c.events.push_back(e);
  }
  for (int leaf : not_completed) {  // the rest complete in leaf order
    event e;
    e.o = op::complete;
    e.target = leaf;
    c.m.leaves[static_cast<std::size_t>(leaf)].time = step();
    c.events.push_back(e);
  }
  c.m.first_poll_step = first_poll_byte % (static_cast<int>(c.events.size()) + 1);
  return c;
}

int spin_rounds(int nibble) { return nibble * nibble * 4; }

void spin(int rounds) {
  static std::atomic<int> sink{0};
  for (int i = 0; i < rounds; ++i) sink.fetch_add(1, std::memory_order_relaxed);
}

const char* op_name(op o) {
  static const char* names[] = {"tick",      "complete",    "abort",     "poll_copy",
                                "drop_copy", "drop_handle", "drop_root", "wake"};
  return names[static_cast<int>(o)];
}
const char* action_name(action a) {
  static const char* names[] = {"none", "poll_root", "drop_root", "poll_copy", "drop_copy", "drop_handle"};
  return names[static_cast<int>(a)];
}

std::string describe(const fuzz_case& c) {
  std::ostringstream out;
  out << "  tree: " << describe(c.m.root, c.m) << "\n  first poll after step " << c.m.first_poll_step;
  if (c.drop_step != never) out << "; tree dropped at step " << c.drop_step;
  out << "\n  events:";
  for (std::size_t i = 0; i < c.events.size(); ++i) {
    const event& e = c.events[i];
    out << "\n    " << i + 1 << ": " << op_name(e.o);
    if (e.target >= 0) out << " " << e.target;
    if (e.threaded) {
      out << " (from a thread after " << spin_rounds(e.delay & 15) << " spins; meanwhile, after "
          << spin_rounds(e.delay >> 4) << " spins, " << action_name(e.racing) << " " << e.racing_target;
      if (e.slow_wakes != 0) out << "; wakes spin " << e.slow_wakes;
      out << ")";
    }
  }
  out << "\n  expected:";
  for (const outcome& o : evaluate(c.m.root, c.m)) out << " " << describe(o);
  return out.str();
}

// ---- running ------------------------------------------------------------------------------

[[noreturn]] void fail(const fuzz_case& c, const std::string& what) {
  std::fprintf(stderr, "combinator_tree_fuzz: %s\n%s\n", what.c_str(), describe(c).c_str());
  std::abort();
}

/// A waker target that counts wakes and live clones (as support/probe.hpp's counting_waker) and
/// can be made slow: during a racing step each wake first spins as the input says, which holds
/// the waking thread inside the library's wake path while the main thread polls or drops.
class slow_waker {
 public:
  slow_waker() : block_(new block) {}
  slow_waker(const slow_waker&) = delete;
  slow_waker& operator=(const slow_waker&) = delete;
  ~slow_waker() { release(block_); }

  futura::waker make() {
    clone(block_);
    return futura::waker(futura::raw_waker{&vtable, block_});
  }
  int wakes() const { return block_->wakes.load(); }
  int live_clones() const { return block_->refs.load() - 1; }
  void set_spin(int rounds) { block_->spin.store(rounds); }

 private:
  struct block {
    std::atomic<int> wakes{0};
    std::atomic<int> refs{1};
    std::atomic<int> spin{0};
  };
  static futura::raw_waker clone(void* p) {
    static_cast<block*>(p)->refs.fetch_add(1);
    return {&vtable, p};
  }
  static void wake(void* p) {
    wake_by_ref(p);
    release(p);
  }
  static void wake_by_ref(void* p) {
    spin(static_cast<block*>(p)->spin.load());
    static_cast<block*>(p)->wakes.fetch_add(1);
  }
  static void release(void* p) {
    if (static_cast<block*>(p)->refs.fetch_sub(1) == 1) delete static_cast<block*>(p);
  }
  static constexpr futura::waker_vtable vtable{&clone, &wake, &wake_by_ref, &release};

  block* block_;
};

/// The driver's second copy of a shared node, polled with its own waker.
struct copy_driver {
  slow_waker target;
  std::optional<futura::waker> w;
  int wakes_seen = 0;
  bool polled = false;  // polled pending at least once (its waker is registered)
  bool done = false;    // yielded its output or threw
};

class run {
 public:
  explicit run(const fuzz_case& c) : c_(c), expected_(evaluate(c.m.root, c.m)), built_(built_leaves(c.m)) {}

  void go() {
    h_.prepare(c_.m, c_.m.root);
    for (std::size_t s = 0; s < h_.copies.size(); ++s) {
      copies_.push_back(std::make_unique<copy_driver>());
      copies_.back()->w.emplace(copies_.back()->target.make());
    }
    w_.emplace(target_.make());
    root_.emplace(build(c_.m.root, h_));

    if (c_.m.first_poll_step == 0) poll_root(0);
    for (std::size_t i = 0; i < c_.events.size(); ++i) {
      const int t = static_cast<int>(i) + 1;
      run_event(c_.events[i], t);
      for (std::size_t l = 0; l < h_.leaves.size(); ++l) {
        if (h_.leaves[l].drops() > 1) fail(c_, "leaf #" + std::to_string(l) + " destroyed twice");
        if (h_.leaves[l].polls_after_finish() != 0)
          fail(c_, "leaf #" + std::to_string(l) + " polled after it completed");
        if (!root_started() && h_.leaves[l].polls() != 0)
          fail(c_, "leaf #" + std::to_string(l) + " polled before the root");
        if (!built_[l] && (h_.leaves[l].made() != 0 || h_.leaves[l].polls() != 0))
          fail(c_, "leaf #" + std::to_string(l) + " under a branch's side not taken was made or polled");
      }
      if (!root_alive()) continue;
      if (t == c_.m.first_poll_step) {
        poll_root(t);
      } else if (t > c_.m.first_poll_step && target_.wakes() > wakes_seen_) {  // only when woken
        poll_root(t);
      }
    }
    check_root();
    drain_copies();

    // Drop everything: every leaf made must be destroyed exactly once; a leaf under a branch's
    // side not taken is never made.
    root_.reset();
    for (auto& copy : h_.copies) copy.second.reset();
    for (auto& handle : h_.aborts) handle.reset();
    for (std::size_t l = 0; l < h_.leaves.size(); ++l) {
      const int once = built_[l] ? 1 : 0;
      if (h_.leaves[l].made() != once || h_.leaves[l].drops() != once) {
        fail(c_, "leaf #" + std::to_string(l) + (built_[l] ? "" : " (under a side not taken)") + " made " +
                     std::to_string(h_.leaves[l].made()) + " and destroyed " + std::to_string(h_.leaves[l].drops()) +
                     " times");
      }
    }
    const std::string branch_problem = h_.check_branches(c_.m.root);
    if (!branch_problem.empty()) fail(c_, branch_problem);
    // The leaves hold the last wakers they were polled with: once they are gone, no clone of
    // the driver's wakers may be left (a leak), nor one too few (a clone dropped twice).
    h_.leaves.clear();
    w_.reset();
    if (target_.live_clones() != 0) fail(c_, "root waker: " + std::to_string(target_.live_clones()) + " clones left");
    for (std::size_t s = 0; s < copies_.size(); ++s) {
      copies_[s]->w.reset();
      if (copies_[s]->target.live_clones() != 0) {
        fail(c_, "copy " + std::to_string(s) + " waker: " + std::to_string(copies_[s]->target.live_clones()) +
                     " clones left");
      }
    }
  }

 private:
  bool root_alive() const { return root_.has_value() && !actual_; }
  bool root_started() const { return root_polled_ || !root_.has_value(); }

  void set_wake_spin(int rounds) {
    target_.set_spin(rounds);
    for (auto& d : copies_) d->target.set_spin(rounds);
  }

  void run_event(const event& e, int t) {
    if (!e.threaded) {
      apply(e);
      return;
    }
    // The event from another thread, while this thread does the racing action: both wait until
    // the other is running, then spin as the input says, then act.
    std::atomic<int> started{0};
    auto start_together = [&started] {
      started.fetch_add(1);
      while (started.load() < 2) std::this_thread::yield();
    };
    const int other_spins = spin_rounds(e.delay & 15);
    std::thread other;
    if (e.o == op::complete) {
      leaf l = h_.leaves[static_cast<std::size_t>(e.target)];
      leaf_plan p = c_.m.leaves[static_cast<std::size_t>(e.target)];
      other = std::thread([&start_together, other_spins, l, p]() mutable {
        start_together();
        spin(other_spins);
        l.finish(p);
      });
    } else if (e.o == op::abort && h_.aborts[static_cast<std::size_t>(e.target)]) {
      futura::abort_handle handle = *h_.aborts[static_cast<std::size_t>(e.target)];
      other = std::thread([&start_together, other_spins, handle] {
        start_together();
        spin(other_spins);
        handle.abort();
      });
    } else if (e.o == op::wake) {
      leaf l = h_.leaves[static_cast<std::size_t>(e.target)];
      other = std::thread([&start_together, other_spins, l]() mutable {
        start_together();
        spin(other_spins);
        l.wake();
      });
    }
    set_wake_spin(e.slow_wakes);
    if (other.joinable()) start_together();
    spin(spin_rounds(e.delay >> 4));
    bool root_done = false;
    switch (e.racing) {
      case action::none:
        break;
      case action::poll_root:
        if (root_alive() && root_polled_) root_done = poll_root(t, false);
        break;
      case action::drop_root:
        drop_root();
        break;
      case action::poll_copy:
        poll_copy(e.racing_target);
        break;
      case action::drop_copy:
        drop_copy(e.racing_target);
        break;
      case action::drop_handle:
        drop_handle(e.racing_target);
        break;
    }
    if (other.joinable()) other.join();
    set_wake_spin(0);
    if (root_done) check_destroyed("after the root completed");
    if (e.racing == action::drop_root) check_destroyed("after the tree was dropped");
  }

  void apply(const event& e) {
    switch (e.o) {
      case op::tick:
        break;
      case op::complete:
        h_.leaves[static_cast<std::size_t>(e.target)].finish(c_.m.leaves[static_cast<std::size_t>(e.target)]);
        break;
      case op::abort:  // an abortable under a branch's side not taken has no handle: nothing to abort
        if (auto& handle = h_.aborts[static_cast<std::size_t>(e.target)]) handle->abort();
        break;
      case op::wake:
        h_.leaves[static_cast<std::size_t>(e.target)].wake();
        break;
      case op::poll_copy:
        poll_copy(e.target);
        break;
      case op::drop_copy:
        drop_copy(e.target);
        break;
      case op::drop_handle:
        drop_handle(e.target);
        break;
      case op::drop_root:
        drop_root();
        check_destroyed("after the tree was dropped");
        break;
    }
  }

  /// Polls the root; returns true when it completed. `check` runs the destruction check at once
  /// (a racing poll runs it after the other thread is joined).
  bool poll_root(int at, bool check = true) {
    root_polled_ = true;
    wakes_seen_ = target_.wakes();  // read before the poll: a wake during the poll polls again
    try {
      futura::poll_result<int> r = root_->poll(*w_);
      if (r.is_pending()) return false;
      actual_ = outcome{false, r.value(), at};
    } catch (const futura::future_error& e) {
      fail(c_, std::string("root poll threw future_error: ") + e.what());
    } catch (const std::runtime_error&) {
      actual_ = outcome{true, 0, at};
    }
    if (check) check_destroyed("after the root completed");
    return true;
  }

  void drop_root() {
    if (!root_.has_value()) return;
    root_.reset();
    root_dropped_ = true;
  }

  void poll_copy(int slot) {
    if (slot < 0 || h_.copies.empty()) return;
    const auto s = static_cast<std::size_t>(slot) % h_.copies.size();
    tree_handles::copy& copy = h_.copies[s];
    copy_driver& d = *copies_[s];
    // Before the root's first poll, a copy's poll would start the inner early and change what
    // the tree sees: copies are polled only once the tree has started (or is gone).
    if (!copy.second || d.done || !root_started()) return;
    d.wakes_seen = d.target.wakes();
    try {
      futura::poll_result<int> r = copy.second->poll(*d.w);
      if (r.is_pending()) {
        d.polled = true;
        return;
      }
      const int v = r.value();
      d.done = true;
      if (!copy.record->done || copy.record->thrown || copy.record->value != v) {
        fail(c_,
             "shared copy " + std::to_string(s) + " yielded " + std::to_string(v) + " but its inner " +
                 (copy.record->done ? (copy.record->thrown ? "threw" : "yielded " + std::to_string(copy.record->value))
                                    : "has not completed"));
      }
    } catch (const futura::future_error& e) {
      fail(c_, std::string("shared copy poll threw future_error: ") + e.what());
    } catch (const std::runtime_error&) {
      d.done = true;
      if (!copy.record->done || !copy.record->thrown)
        fail(c_, "shared copy " + std::to_string(s) + " threw but its inner did not");
    }
    copy.second.reset();  // complete (rule 4): drop it
  }

  void drop_copy(int slot) {
    if (slot < 0 || h_.copies.empty()) return;
    h_.copies[static_cast<std::size_t>(slot) % h_.copies.size()].second.reset();
  }

  void drop_handle(int slot) {
    if (slot < 0 || h_.aborts.empty()) return;
    h_.aborts[static_cast<std::size_t>(slot) % h_.aborts.size()].reset();
  }

  /// Once the tree is done or dropped, a leaf may still live only inside a shared future whose
  /// second copy is alive and whose inner has not completed (or never have lived: under a
  /// branch's side not taken).
  void check_destroyed(const char* when) {
    for (std::size_t l = 0; l < h_.leaves.size(); ++l) {
      if (!built_[l]) {
        if (h_.leaves[l].drops() != 0) fail(c_, "leaf #" + std::to_string(l) + " under a side not taken destroyed");
        continue;
      }
      bool may_live = false;
      for (int s : c_.leaf_copy_slots[l]) {
        const tree_handles::copy& copy = h_.copies[static_cast<std::size_t>(s)];
        if (copy.second && !copy.record->done) may_live = true;
      }
      const int drops = h_.leaves[l].drops();
      if (drops > 1 || (drops == 0 && !may_live)) {
        fail(c_, "leaf #" + std::to_string(l) + " destroyed " + std::to_string(drops) + " times " + when);
      }
    }
  }

  void check_root() {
    std::string got = actual_ ? describe(*actual_) : std::string("no output");
    if (actual_) {
      for (const outcome& o : expected_) {
        if (o.thrown == actual_->thrown && o.time == actual_->time && (o.thrown || o.value == actual_->value)) return;
      }
      fail(c_, "the root's result does not match: got " + got);
    }
    // No output: the tree was dropped first, or it never completes.
    for (const outcome& o : expected_) {
      if (o.time >= c_.drop_step) return;
    }
    fail(c_, root_dropped_ ? "the tree was dropped before it completed, but it should have completed first"
                           : "the root never became ready (lost wakeup?)");
  }

  /// Polls each second copy that is still pending while it was woken, like an executor would;
  /// then once more: a copy that is ready although nothing woke it lost a wakeup.
  void drain_copies() {
    for (std::size_t s = 0; s < copies_.size(); ++s) {
      copy_driver& d = *copies_[s];
      if (!h_.copies[s].second || !d.polled || d.done) continue;
      for (int i = 0; i < 64 && h_.copies[s].second && d.target.wakes() > d.wakes_seen; ++i)
        poll_copy(static_cast<int>(s));
      if (!h_.copies[s].second || d.target.wakes() > d.wakes_seen) continue;
      poll_copy(static_cast<int>(s));
      if (d.done) fail(c_, "shared copy " + std::to_string(s) + " was ready but never woken (lost wakeup)");
    }
  }

  const fuzz_case& c_;
  outcomes expected_;
  std::vector<bool> built_;  // per leaf: made by the tree (see built_leaves)
  tree_handles h_;
  std::vector<std::unique_ptr<copy_driver>> copies_;
  slow_waker target_;
  std::optional<futura::waker> w_;
  std::optional<boxed> root_;
  std::optional<outcome> actual_;
  int wakes_seen_ = 0;
  bool root_polled_ = false;
  bool root_dropped_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_case c = decode(data, size);
  static const bool print = std::getenv("FUTURA_FUZZ_PRINT") != nullptr;
  if (print) std::fprintf(stderr, "%s\n", describe(c).c_str());
  run(c).go();
  return 0;
}
