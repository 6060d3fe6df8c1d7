// futura/combinator/detail/join_all_core.hpp — the algorithm of join_all and try_join_all (n children of
// one type, n known at run time).
//
// One heap block, made at the first poll, holds a header (reference count, the parent's waker
// slot), one 4-byte id per child (its index, which leads its waker back to the block), one entry
// per child (the child future or, once it is done, its value, in the same storage), and the wake
// tree of the n children (wake_tree.hpp: the parent is woken once per batch of child wakes; a
// poll polls each woken child once, in input order). The ids are apart from the entries so that
// a wake reads only the dense id array and the tree, never the child's entry: children complete
// in any order, and an entry is a cache line of its own once children are large
// (docs/performance.md, W5).
//
// So a poll polls at most n children, each at most once, and n children each woken once cost
// O(n) in total: one atomic per wake, and one exchange per 64 woken children. A child's waker
// clone made during the join's poll (a child registering) is a reference the join lends without
// an atomic operation (lending_ref_count, core/detail/ref_count.hpp). Waking a child
// that has finished only costs the parent a spurious poll. Wakers may outlive the join (rule 7):
// the block stays until the last reference goes; the children and values in it are destroyed
// by the join (when complete or dropped) regardless.
#pragma once

#include <futura/combinator/detail/join_core.hpp>
#include <futura/combinator/detail/wake_tree.hpp>
#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace futura::detail {

/// What a join_all entry's storage holds; owner only (a waker never reads an entry).
struct join_all_node {
  enum stage_type : std::uint8_t { running, finished, released };

  std::uint8_t stage = released;
};

/// The heap block of a join_all of futures `F` keeping values `V`.
template <class F, class V>
class join_all_state : public lending_ref_count<join_all_state<F, V>> {
  friend class lending_ref_count<join_all_state<F, V>>;

 public:
  struct entry : join_all_node {
    entry() noexcept {}
    ~entry() {}  // the owner destroys the member that `stage` names
    union {
      F future;
      V value;
    };
  };

  /// One allocation: header + one id and one entry per child + the woken tree; the children
  /// are moved in (the vector's elements are left moved-from). One reference, the owner's.
  static join_all_state* create(std::vector<F>& children) {
    const std::size_t n = children.size();
    if (n > std::numeric_limits<std::uint32_t>::max()) {
      throw_standard<std::length_error>(boost::system::errc::value_too_large,
                                        "futura::join_all: more than 2^32 - 1 futures");
    }
    const std::size_t tree_words = wake_tree::words_for(n);
    void* block = allocate(tree_offset_for(n) + tree_words * sizeof(std::atomic<std::uint64_t>));
    auto* s = ::new (block) join_all_state(n);
    wake_tree::construct(s->woken(), tree_words);
    std::uint32_t* ids = s->ids();
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::uint32_t>(i);
    entry* e = s->entries();
    std::size_t built = 0;
    FUTURA_TRY {
      for (; built < n; ++built) {
        ::new (static_cast<void*>(&e[built])) entry();
        ::new (static_cast<void*>(&e[built].future)) F(std::move(children[built]));
        e[built].stage = join_all_node::running;
      }
    }
    FUTURA_CATCH_ALL {
      for (std::size_t i = 0; i < built; ++i) e[i].future.~F();
      s->~join_all_state();
      deallocate(block);
      FUTURA_RETHROW;
    }
    return s;
  }

  join_all_state(const join_all_state&) = delete;
  join_all_state& operator=(const join_all_state&) = delete;

  std::size_t size() const noexcept { return size_; }
  entry& at(std::size_t i) noexcept { return entries()[i]; }

  /// Child i's waker, borrowed (no reference taken): valid while the owner holds the block.
  raw_waker child_waker(std::size_t i) noexcept { return {&vtable, &ids()[i]}; }

  /// Owner only: takes every woken child and calls fn(i) for each, in input order, until fn
  /// returns false.
  template <class Fn>
  void take_woken(Fn&& fn) {
    tree_.take(woken(), fn);
  }

  atomic_waker parent;

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

  /// The join is finished or destroyed: destroy what it still holds, release the parent's
  /// waker (later child wakes find the slot empty), drop its reference.
  void release_owner() noexcept {
    destroy_entries();
    (void)parent.take();
    this->release_owner_refs();
  }

 private:
  explicit join_all_state(std::size_t n) noexcept : size_(n), tree_(n) {}
  ~join_all_state() = default;

  static constexpr std::size_t block_alignment() noexcept {
    return alignof(join_all_state) > alignof(entry) ? alignof(join_all_state) : alignof(entry);
  }
  static constexpr bool over_aligned() noexcept { return block_alignment() > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }
  static constexpr std::size_t round_up(std::size_t x, std::size_t a) noexcept { return (x + a - 1) / a * a; }
  static constexpr std::size_t ids_offset() noexcept {
    return round_up(sizeof(join_all_state), alignof(std::uint32_t));
  }
  static constexpr std::size_t entries_offset_for(std::size_t n) noexcept {
    return round_up(ids_offset() + n * sizeof(std::uint32_t), alignof(entry));
  }
  static constexpr std::size_t tree_offset_for(std::size_t n) noexcept {
    return round_up(entries_offset_for(n) + n * sizeof(entry), alignof(std::atomic<std::uint64_t>));
  }
  static void* allocate(std::size_t bytes) {
    if constexpr (over_aligned()) {
      return ::operator new (bytes, std::align_val_t{block_alignment()});
    } else {
      return ::operator new(bytes);
    }
  }
  static void deallocate(void* block) noexcept {
    if constexpr (over_aligned()) {
      ::operator delete (block, std::align_val_t{block_alignment()});
    } else {
      ::operator delete(block);
    }
  }

  std::uint32_t* ids() noexcept {
    return reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(this) + ids_offset());
  }
  entry* entries() noexcept {
    return reinterpret_cast<entry*>(reinterpret_cast<char*>(this) + entries_offset_for(size_));
  }
  std::atomic<std::uint64_t>* woken() noexcept {
    return reinterpret_cast<std::atomic<std::uint64_t>*>(reinterpret_cast<char*>(this) + tree_offset_for(size_));
  }
  /// A waker's data is its child's id: the id array starts at a fixed offset from the header.
  static join_all_state* owner_of(std::uint32_t* id) noexcept {
    std::uint32_t* first = id - *id;
    return reinterpret_cast<join_all_state*>(reinterpret_cast<char*>(first) - ids_offset());
  }

  static void destroy_last(join_all_state* s) noexcept {
    // Entries hold nothing any more (the owner destroyed them); ids and words are trivial.
    s->~join_all_state();
    deallocate(s);
  }

  static raw_waker clone(void* p) noexcept {
    owner_of(static_cast<std::uint32_t*>(p))->add_clone_ref();  // lent, in the owner's poll
    return {&vtable, p};
  }
  static void wake_by_ref(void* p) noexcept {
    auto* id = static_cast<std::uint32_t*>(p);
    join_all_state* s = owner_of(id);
    FUTURA_CHAOS_POINT("join_all.wake.begin");
    if (s->tree_.set(s->woken(), *id)) s->parent.wake();
  }
  static void wake(void* p) noexcept {
    wake_by_ref(p);
    drop(p);
  }
  static void drop(void* p) noexcept {
    FUTURA_CHAOS_POINT("join_all.release_clone");
    owner_of(static_cast<std::uint32_t*>(p))->release();
  }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  // References (lending_ref_count): the owner's, and one per clone of a child's waker (lent by
  // the owner when the clone is made in its poll).
  std::size_t size_;
  wake_tree tree_;
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
    FUTURA_TRY {
      if (!state_) {
        if (children_.empty()) {
          complete_ = true;
          return Mode::template ready<values_type>();
        }
        state_ = join_state_owner<state_type>(state_type::create(children_));  // the one allocation
        std::vector<F>().swap(children_);                                      // the moved-from husks and their buffer
        remaining_ = state_->size();
        state_->parent.register_waker(w);
        typename state_type::poll_scope lending(*state_.get());
        for (std::size_t i = 0, n = state_->size(); i < n; ++i) {  // the first poll polls every child
          if (!poll_entry(i, failure)) break;
        }
      } else {
        state_->parent.register_waker(w);
        typename state_type::poll_scope lending(*state_.get());
        state_->take_woken(
            [&](std::size_t i) { return state_->at(i).stage != join_all_node::running || poll_entry(i, failure); });
      }
    }
    FUTURA_CATCH_ALL {
      // The join is complete; the children still in the block are destroyed with it, the
      // parent's waker now (release_owner takes it again later, and finds the slot empty).
      complete_ = true;
      if (state_) (void)state_->parent.take();
      FUTURA_RETHROW;
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
  /// Polls running child i. False when the join must stop (a short-circuiting failure).
  bool poll_entry(std::size_t i, join_failure<Mode>& failure) {
    entry& e = state_->at(i);
    borrowed_waker child_waker(state_->child_waker(i));
    poll_result<output_t<F>> r = e.future.poll(child_waker.get());
    if (r.is_pending()) return true;
    if (failure.record(r.value())) return false;
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

  std::vector<F> children_;             // until the first poll
  join_state_owner<state_type> state_;  // from the first poll to completion
  std::size_t remaining_ = 0;
  bool complete_ = false;
};

}  // namespace futura::detail
