// futura/combinator/detail/join_core.hpp — the algorithm of join and try_join (a fixed set of children of
// different types, stored by value in the join).
//
// Each child gets its own waker, pointing into a small reference-counted heap state made at the
// first poll, which holds the wake tree of the children (wake_tree.hpp, the algorithm join_all
// uses too) and the parent's waker slot: a child wake sets the child's bit, and the first wake of
// a batch wakes the parent. A poll takes the bits that are set and polls those children, in
// argument order (the first poll: all of them). The state lives on the heap because wakers must
// survive moves of the join (rule 2) and the join itself (rule 7).
#pragma once

#include <futura/combinator/detail/wake_tree.hpp>
#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura::detail {

/// The owner's reference to a join state: the join holds exactly one (move-only); dropping it
/// tells the state that the owner is gone (release_owner), which releases the reference.
template <class State>
struct join_owner_traits {
  static void release(State* s) noexcept { s->release_owner(); }
};
template <class State>
using join_state_owner = ref_ptr<State, join_owner_traits<State>>;

/// The heap state of a join of `N` children: their wake tree, the parent's waker slot, and the
/// targets of the children's wakers. Reference-counted: the join holds one reference, every
/// clone of a child's waker one more (lent by the join when the clone is made in its poll:
/// lending_ref_count).
template <std::size_t N>
class join_wake_state : public lending_ref_count<join_wake_state<N>> {
  friend class lending_ref_count<join_wake_state<N>>;
  struct child {
    join_wake_state* owner;
    std::size_t index;
  };
  static constexpr std::size_t tree_words = wake_tree::words_for(N);

 public:
  /// The children a poll polls: one bit each.
  using ready_set = std::array<std::uint64_t, (N + 63) / 64>;

  /// A new state with one reference (the owner's), nothing woken.
  join_wake_state() noexcept {
    for (std::size_t i = 0; i < N; ++i) children_[i] = child{this, i};
    for (auto& word : words_) word.store(0, std::memory_order_relaxed);
  }
  join_wake_state(const join_wake_state&) = delete;
  join_wake_state& operator=(const join_wake_state&) = delete;

  /// Child `i`'s waker, borrowed (no reference taken): valid while the owner holds the state.
  raw_waker child_waker(std::size_t i) noexcept { return {&vtable, &children_[i]}; }

  /// Every child: what the first poll polls.
  static ready_set all() noexcept {
    ready_set set;
    set.fill(~std::uint64_t{0});
    return set;
  }
  /// Takes the set of children woken since the last call.
  ready_set take_ready() noexcept {
    ready_set set{};
    tree_.take(words_, [&](std::size_t i) {
      set[i / 64] |= std::uint64_t{1} << (i % 64);
      return true;
    });
    return set;
  }
  static bool contains(const ready_set& set, std::size_t i) noexcept { return (set[i / 64] >> (i % 64)) & 1u; }

  atomic_waker parent;

  /// The join is finished or destroyed: release the parent's waker (later child wakes find the
  /// slot empty), drop its reference.
  void release_owner() noexcept {
    (void)parent.take();
    this->release_owner_refs();
  }

 private:
  ~join_wake_state() = default;

  void mark_woken(std::size_t i) noexcept {
    if (tree_.set(words_, i)) parent.wake();
  }

  static raw_waker clone(void* p) noexcept {
    static_cast<child*>(p)->owner->add_clone_ref();  // lent, in the owner's poll
    return {&vtable, p};
  }
  static void wake_by_ref(void* p) noexcept {
    child* c = static_cast<child*>(p);
    c->owner->mark_woken(c->index);
  }
  static void wake(void* p) noexcept {
    wake_by_ref(p);
    drop(p);
  }
  static void drop(void* p) noexcept { static_cast<child*>(p)->owner->release(); }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  static constexpr wake_tree tree_{N};  // fixed by N: no state of its own
  std::atomic<std::uint64_t> words_[tree_words];
  child children_[N];
};

/// One child of a join: running (the future), then finished (its kept value), then released.
template <class F, class V>
struct join_slot {
  struct running {
    explicit running(F&& f) : future(std::move(f)) {}
    F future;
  };
  struct finished {
    explicit finished(V&& v) : value(std::move(v)) {}
    V value;
  };
  struct released {};

  explicit join_slot(F&& f) : state(std::in_place_type<running>, std::move(f)) {}
  std::variant<running, finished, released> state;
};

/// The error of a short-circuiting join, when one child failed during a poll.
template <class Mode, bool = Mode::short_circuits>
struct join_failure {
  /// A join that does not short-circuit never fails on an output.
  template <class Output>
  bool record(const Output&) noexcept {
    return false;
  }
};
template <class Mode>
struct join_failure<Mode, true> {
  std::optional<typename Mode::error_type> error;
  /// True (keeping the error) when `output` makes the join fail: it must stop polling.
  template <class Output>
  bool record(const Output& output) {
    if (!Mode::failed(output)) return false;
    error.emplace(Mode::error(output));
    return true;
  }
};

/// join / try_join over futures `Fs`, storing outputs as `Mode` says.
template <class Mode, class... Fs>
class join_core {
  static constexpr std::size_t n = sizeof...(Fs);
  using state_type = join_wake_state<n>;
  using ready_set = typename state_type::ready_set;
  using values_type = std::tuple<typename Mode::template value_t<output_t<Fs>>...>;
  using indices = std::index_sequence_for<Fs...>;
  using slots_type = std::tuple<join_slot<Fs, typename Mode::template value_t<output_t<Fs>>>...>;

 public:
  using output_type = typename Mode::template output_t<values_type>;

  explicit join_core(Fs&&... fs) : slots_(std::move(fs)...) {}

  poll_result<output_type> poll(waker& w, const char* who) {
    if (complete_) polled_after_completion(who);
    const bool first_poll = !state_;
    if (first_poll) state_ = join_state_owner<state_type>(new state_type());  // the one allocation
    state_->parent.register_waker(w);
    const ready_set woken = first_poll ? state_type::all() : state_->take_ready();
    join_failure<Mode> failure;
    FUTURA_TRY {
      typename state_type::poll_scope lending(*state_.get());
      poll_children(woken, failure, indices{});
    }
    FUTURA_CATCH_ALL {
      // The join is complete; the other children are destroyed with it.
      complete_ = true;
      state_.reset();
      FUTURA_RETHROW;
    }
    if constexpr (Mode::short_circuits) {
      if (failure.error) {
        complete_ = true;
        state_.reset();
        release_all(indices{});  // cancel the others before poll returns
        return Mode::template fail<values_type>(std::move(*failure.error));
      }
    }
    if (remaining_ != 0) return pending;
    complete_ = true;
    state_.reset();
    return take_values(indices{});
  }

 private:
  template <std::size_t... Is>
  void poll_children(const ready_set& woken, join_failure<Mode>& failure, std::index_sequence<Is...>) {
    (void)(poll_child<Is>(woken, failure) && ...);  // in argument order; stops at a failure
  }

  /// Polls child `I` if it was woken and still runs. False when the join must stop.
  template <std::size_t I>
  bool poll_child(const ready_set& woken, join_failure<Mode>& failure) {
    if (!state_type::contains(woken, I)) return true;
    using slot_type = std::tuple_element_t<I, slots_type>;
    auto& slot = std::get<I>(slots_).state;
    auto* child = std::get_if<typename slot_type::running>(&slot);
    if (child == nullptr) return true;  // a late wake of a finished child
    borrowed_waker child_waker(state_->child_waker(I));
    auto r = child->future.poll(child_waker.get());
    if (r.is_pending()) return true;
    if (failure.record(r.value())) return false;
    // emplace destroys the finished child before its value is stored in the slot.
    slot.template emplace<typename slot_type::finished>(Mode::value(std::move(r).value()));
    --remaining_;
    return true;
  }

  template <std::size_t... Is>
  void release_all(std::index_sequence<Is...>) noexcept {
    (std::get<Is>(slots_).state.template emplace<typename std::tuple_element_t<Is, slots_type>::released>(), ...);
  }

  template <std::size_t... Is>
  poll_result<output_type> take_values(std::index_sequence<Is...>) {
    poll_result<output_type> r = Mode::template ready<values_type>(std::move(
        std::get_if<typename std::tuple_element_t<Is, slots_type>::finished>(&std::get<Is>(slots_).state)->value)...);
    release_all(indices{});
    return r;
  }

  join_state_owner<state_type> state_;  // made at the first poll, dropped at completion
  slots_type slots_;
  std::size_t remaining_ = n;
  bool complete_ = false;
};

}  // namespace futura::detail
