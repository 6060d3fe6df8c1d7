// futura/detail/join_all_core.hpp — the algorithm of join_all and try_join_all (n children of
// one type, n known at run time).
//
// One heap block, made at the first poll, holds a header (reference count, the parent's waker,
// the ready stack) and one entry per child: a 16-byte node that the child's waker points at,
// then the child future or, once it is done, its value (the same storage).
//
//   child wake:  idle -> queued: push the node on the ready stack (lock-free, a CAS), and if
//                the stack was empty, wake the parent's waker (once per batch of wakes)
//                queued -> queued | missed: nothing else (it is on the stack already)
//   poll:        take the whole stack (one exchange), reverse it (oldest wake first), and poll
//                each node's child once. A child that finished stays `queued` (never pushed
//                again, at no cost); a pending one goes back to idle, and if it was `missed`
//                (woken again, perhaps during this poll), queues itself again: for the next
//                poll, never this one
//
// So a poll polls at most n children, and n children each woken once cost O(n) in total. The
// nodes are intrusive (no allocation per wake). Wakers may outlive the join (rule 7): the block
// stays until the last reference goes; the children and values in it are destroyed by the
// join (when complete or dropped) regardless.
#pragma once

#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/detail/join_core.hpp>
#include <futura/detail/join_parent_waker.hpp>
#include <futura/detail/misuse.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace futura::detail {

/// The part of a join_all child that its waker touches (plus the owner's `stage`).
struct join_all_node {
  enum stage_type : std::uint8_t { running, finished, released };

  explicit join_all_node(std::uint32_t i) noexcept : index(i) {}

  join_all_node* next = nullptr;  // ready-stack link: written by the waker that queues the node
  std::uint32_t index;            // the child's position: leads a waker back to its block
  std::uint8_t stage = released;  // owner only: what the entry's storage holds
  static constexpr std::uint8_t idle = 0;
  static constexpr std::uint8_t queued = 1;  // on the ready stack (or being pushed): never pushed twice
  static constexpr std::uint8_t missed = 2;  // woken again while queued
  std::atomic<std::uint8_t> wake_state{idle};
};

/// The heap block of a join_all of futures `F` keeping values `V`.
template <class F, class V>
class join_all_state {
 public:
  struct entry : join_all_node {
    explicit entry(std::uint32_t i) noexcept : join_all_node(i) {}
    ~entry() {}  // the owner destroys the member that `stage` names
    union {
      F future;
      V value;
    };
  };

  /// One allocation: header + one entry per child; the children are moved in (the vector's
  /// elements are left moved-from). One reference, the owner's.
  static join_all_state* create(std::vector<F>& children) {
    const std::size_t n = children.size();
    if (n > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("futura::join_all: more than 2^32 - 1 futures");
    }
    void* block = allocate(entries_offset() + n * sizeof(entry));
    auto* s = ::new (block) join_all_state(n);
    entry* e = s->entries();
    std::size_t built = 0;
    try {
      for (; built < n; ++built) {
        ::new (static_cast<void*>(&e[built])) entry(static_cast<std::uint32_t>(built));
        ::new (static_cast<void*>(&e[built].future)) F(std::move(children[built]));
        e[built].stage = join_all_node::running;
      }
    } catch (...) {
      for (std::size_t i = 0; i < built; ++i) e[i].future.~F();
      s->~join_all_state();
      deallocate(block);
      throw;
    }
    return s;
  }

  join_all_state(const join_all_state&) = delete;
  join_all_state& operator=(const join_all_state&) = delete;

  std::size_t size() const noexcept { return size_; }
  entry& at(std::size_t i) noexcept { return entries()[i]; }

  /// The child's waker, borrowed (no reference taken): valid while the owner holds the block.
  static raw_waker child_waker(entry& e) noexcept { return {&vtable, static_cast<join_all_node*>(&e)}; }

  /// Takes every queued node, oldest wake first. acq_rel pairs with the pushers' CAS: what a
  /// child did before its wake is visible to its poll, and a wake pushed after this exchange
  /// sees the parent's waker registered before it.
  join_all_node* take_ready() noexcept {
    join_all_node* newest_first = head_.exchange(nullptr, std::memory_order_acq_rel);
    join_all_node* oldest_first = nullptr;
    while (newest_first != nullptr) {
      join_all_node* next = newest_first->next;
      newest_first->next = oldest_first;
      oldest_first = newest_first;
      newest_first = next;
    }
    return oldest_first;
  }

  join_parent_waker parent;

  /// Any thread: a wake of the node's child.
  static void wake_node(join_all_node* node) noexcept {
    // Only the push that finds the stack empty wakes the parent: later pushes land on the
    // same stack before the owner takes it, in the poll that wake causes (or one already
    // running), so one parent wake per batch of child wakes loses nothing.
    std::uint8_t s = node->wake_state.load(std::memory_order_relaxed);
    while (!node->wake_state.compare_exchange_weak(
        s, (s & join_all_node::queued) != 0 ? s | join_all_node::missed : join_all_node::queued,
        std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    if ((s & join_all_node::queued) == 0 && owner_of(node)->push(node)) owner_of(node)->parent.wake();
  }

  /// Owner only: destroys every child and value still in the block (in input order).
  void destroy_entries() noexcept {
    if (entries_destroyed_) return;
    entries_destroyed_ = true;
    entry* e = entries();
    for (std::size_t i = 0; i < size_; ++i) {
      if (e[i].stage == join_all_node::running) {
        e[i].future.~F();
      } else if (e[i].stage == join_all_node::finished) {
        e[i].value.~V();
      }
      e[i].stage = join_all_node::released;
    }
  }
  /// Owner only: after the owner released every entry itself.
  void mark_entries_destroyed() noexcept { entries_destroyed_ = true; }

  /// The join is finished or destroyed: destroy what it still holds, stop forwarding wakes,
  /// drop its reference.
  void release_owner() noexcept {
    destroy_entries();
    parent.close();
    release();
  }

 private:
  explicit join_all_state(std::size_t n) noexcept : size_(n) {}
  ~join_all_state() = default;

  static constexpr std::size_t block_alignment() noexcept {
    return alignof(join_all_state) > alignof(entry) ? alignof(join_all_state) : alignof(entry);
  }
  static constexpr bool over_aligned() noexcept { return block_alignment() > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }
  static constexpr std::size_t entries_offset() noexcept {
    return (sizeof(join_all_state) + alignof(entry) - 1) / alignof(entry) * alignof(entry);
  }
  static void* allocate(std::size_t bytes) {
    if constexpr (over_aligned()) {
      return ::operator new(bytes, std::align_val_t{block_alignment()});
    } else {
      return ::operator new(bytes);
    }
  }
  static void deallocate(void* block) noexcept {
    if constexpr (over_aligned()) {
      ::operator delete(block, std::align_val_t{block_alignment()});
    } else {
      ::operator delete(block);
    }
  }

  entry* entries() noexcept { return reinterpret_cast<entry*>(reinterpret_cast<char*>(this) + entries_offset()); }
  static join_all_state* owner_of(join_all_node* node) noexcept {
    entry* first = static_cast<entry*>(node) - node->index;
    return reinterpret_cast<join_all_state*>(reinterpret_cast<char*>(first) - entries_offset());
  }

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Entries hold nothing any more (the owner destroyed them); nodes are trivial to drop.
      this->~join_all_state();
      deallocate(this);
    }
  }

  /// Pushes a node; true when the stack was empty (since the owner's last take).
  bool push(join_all_node* node) noexcept {
    join_all_node* head = head_.load(std::memory_order_relaxed);
    do {
      node->next = head;
    } while (!head_.compare_exchange_weak(head, node, std::memory_order_acq_rel, std::memory_order_relaxed));
    return head == nullptr;
  }

  static raw_waker clone(void* p) noexcept {
    owner_of(static_cast<join_all_node*>(p))->add_ref();
    return {&vtable, p};
  }
  static void wake_by_ref(void* p) noexcept { wake_node(static_cast<join_all_node*>(p)); }
  static void wake(void* p) noexcept {
    wake_by_ref(p);
    drop(p);
  }
  static void drop(void* p) noexcept { owner_of(static_cast<join_all_node*>(p))->release(); }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  std::atomic<std::size_t> refs_{1};
  std::atomic<join_all_node*> head_{nullptr};
  std::size_t size_;
  bool entries_destroyed_ = false;
};

/// join_all / try_join_all over a vector of `F`, storing outputs as `Mode` says.
template <class Mode, class F>
class join_all_core {
  using value_type = typename Mode::template value_t<output_t<F>>;
  using state_type = join_all_state<F, value_type>;
  using entry = typename state_type::entry;
  using values_type = std::vector<value_type>;

 public:
  using output_type = typename Mode::template output_t<values_type>;

  explicit join_all_core(std::vector<F>&& children) noexcept : children_(std::move(children)) {}

  poll_result<output_type> poll(waker& w, const char* who) {
    if (complete_) polled_after_completion(who);
    join_failure<Mode> failure;
    try {
      if (!state_) {
        if (children_.empty()) {
          complete_ = true;
          return Mode::template ready<values_type>();
        }
        state_ = join_state_owner<state_type>(state_type::create(children_));  // the one allocation
        std::vector<F>().swap(children_);  // the moved-from husks and their buffer
        remaining_ = state_->size();
        state_->parent.register_waker(w);
        for (std::size_t i = 0, n = state_->size(); i < n; ++i) {  // the first poll polls every child
          if (!poll_entry(state_->at(i), failure)) break;
        }
      } else {
        state_->parent.register_waker(w);
        join_all_node* node = state_->take_ready();
        while (node != nullptr) {
          join_all_node* next = node->next;  // read before the node is idle: a waker may relink it
          if (node->stage == join_all_node::running) {
            if (!poll_entry(static_cast<entry&>(*node), failure)) break;
            // Still pending: idle again. A wake after the one that queued it may have come
            // during the poll, after the child registered: queue it again for the next poll.
            if (node->stage == join_all_node::running &&
                (node->wake_state.exchange(join_all_node::idle, std::memory_order_acq_rel) & join_all_node::missed) != 0) {
              state_type::wake_node(node);
            }
          }
          node = next;
        }
      }
    } catch (...) {
      // The join is complete; the children still in the block are destroyed with it.
      complete_ = true;
      if (state_) state_->parent.close();
      throw;
    }
    if constexpr (Mode::short_circuits) {
      if (failure.error) {
        complete_ = true;
        state_.reset();  // destroys every other child and value before poll returns
        return Mode::template fail<values_type>(std::move(*failure.error));
      }
    }
    if (remaining_ != 0) return pending;
    complete_ = true;
    return take_values();
  }

 private:
  /// Polls one running child. False when the join must stop (a short-circuiting failure).
  bool poll_entry(entry& e, join_failure<Mode>& failure) {
    borrowed_waker child_waker(state_type::child_waker(e));
    poll_result<output_t<F>> r = e.future.poll(child_waker.get());
    if (r.is_pending()) return true;
    if constexpr (Mode::short_circuits) {
      if (Mode::failed(r.value())) {
        failure.error.emplace(Mode::error(r.value()));
        return false;
      }
    } else {
      (void)failure;
    }
    e.future.~F();  // a finished child is destroyed at once
    e.stage = join_all_node::released;
    ::new (static_cast<void*>(&e.value)) value_type(Mode::value(std::move(r).value()));
    e.stage = join_all_node::finished;
    --remaining_;
    return true;
  }

  poll_result<output_type> take_values() {
    const std::size_t n = state_->size();
    values_type values;
    values.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      entry& e = state_->at(i);
      values.push_back(std::move(e.value));
      e.value.~value_type();
      e.stage = join_all_node::released;
    }
    state_->mark_entries_destroyed();
    state_.reset();
    return Mode::template ready<values_type>(std::move(values));
  }

  std::vector<F> children_;                 // until the first poll
  join_state_owner<state_type> state_;      // from the first poll to completion
  std::size_t remaining_ = 0;
  bool complete_ = false;
};

}  // namespace futura::detail
