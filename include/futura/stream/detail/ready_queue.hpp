// futura/stream/detail/ready_queue.hpp — which children of a set of futures were woken since its
// last poll, and when the set's own waker must hear of it: the wake protocol of
// futures_unordered, futures_ordered and the adapters built on them (docs/design.md 2.5b: the
// wake tree's protocol of 2.5, with a stack of woken nodes in place of bits, because a set grows).
//
// Each child sits in a node with a `queued` flag and a link. The shared state holds a stack of
// woken nodes (one atomic head) and the parent's waker (atomic_waker):
//
//   child wake:  queued.exchange(true); if it was false, push the node on the stack (one CAS);
//                if the stack was empty, wake the parent. A node is on the stack at most once,
//                so a wake costs O(1) and the parent is woken once per batch of wakes between
//                two polls.
//   poll:        register the parent's waker, then take the whole stack with one exchange and
//                reverse it (wake order); for each node, clear `queued` before polling its child,
//                so that a wake during the child's poll pushes it again, for the next poll,
//                never this one. (The owner polls the nodes it took earlier first, and takes
//                only when it has none left: futures_set.hpp.)
//
// The poll takes the stack after it registered the parent's waker, so a wake either lands before
// the take (its child is polled now) or finds the stack empty after it (and wakes the new
// waker): no wake is lost (rule 3). Pushing and taking the whole stack never pops a single node,
// so the stack has no ABA problem. Wakes come from any thread; the owner alone takes, links the
// taken nodes and reads what the nodes carry beside these fields.
//
// The state is reference counted: the owner holds one reference and every clone of a child's
// waker another, so a wake that races with the owner's drop still finds the state (rule 7); the
// nodes live as long as the state. A node is reused for another child once its child is gone, so
// an old waker of a reused node wakes the new child spuriously (a spurious poll, harmless).
#pragma once

#include <futura/core/detail/atomic_waker.hpp>
#include <futura/core/detail/chaos.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/waker.hpp>

#include <atomic>

namespace futura::detail {

class ready_queue;

/// What a child's waker points at.
struct ready_node {
  ready_queue* owner = nullptr;
  ready_node* next = nullptr;       // the stack's link, then the owner's (never both at once)
  std::atomic<bool> queued{false};  // on the stack or in the owner's list of taken nodes
  std::atomic<bool> cloned{false};  // a waker of this node was ever cloned (never cleared)
};

/// The shared part of a set: the stack of woken nodes and the parent's waker. Derived states
/// keep the nodes; the last reference deletes through the virtual destructor.
class ready_queue : public intrusive_ref_count<ready_queue> {
 public:
  ready_queue() noexcept = default;
  ready_queue(const ready_queue&) = delete;
  ready_queue& operator=(const ready_queue&) = delete;
  virtual ~ready_queue() = default;

  atomic_waker parent;

  /// Marks `n` woken: pushes it unless it is queued already, and wakes the parent when the
  /// stack was empty. Any thread.
  static void wake_node(ready_node* n) noexcept {
    // A wake that finds the node still queued leaves: the owner polls the child after unqueue.
    // What the waker did before (completing the child's state) reaches that poll through the
    // child's own protocol: the child registers its new waker in the state the waker took the old
    // one from, so either the child sees the completion, or the completion takes the new waker,
    // whose wake then comes after the owner's unqueue (it happens before the new registration)
    // and pushes the node again. So unqueue is a plain release store, not an exchange.
    if (n->queued.exchange(true, std::memory_order_acq_rel)) return;  // queued: the poll will see it
    FUTURA_CHAOS_POINT("ready_queue.wake.claimed");
    n->owner->requeue(n);
  }

  /// Owner only: takes every woken node, in wake order (a chain through `next` ending at `last`;
  /// null if none). The nodes stay `queued` until the owner unqueues them.
  ready_node* take_woken(ready_node*& last) noexcept {
    ready_node* n = head_.exchange(nullptr, std::memory_order_acq_rel);
    FUTURA_CHAOS_POINT("ready_queue.take.taken");
    last = n;  // the first woken, which the reversal puts last
    ready_node* reversed = nullptr;
    while (n != nullptr) {
      ready_node* next = n->next;
      n->next = reversed;
      reversed = n;
      n = next;
    }
    return reversed;
  }

  /// Owner only: puts back on the stack a node it took and did not poll (it is still queued),
  /// waking the parent when the stack was empty, as a wake would.
  void requeue(ready_node* n) noexcept {
    if (push(n)) parent.wake();
  }

  /// Owner only: claims `n` for its queue without a wake (a child pushed to the set). False
  /// when it is queued already (a stale waker of the reused node was faster: the stack has it).
  /// A node whose waker was never cloned has no waker but the owner's borrowed one: nobody else
  /// can queue it, and a plain store does. Only before that borrowed waker was handed to anything:
  /// after a hand-over, use claim_after_handover.
  static bool claim(ready_node* n) noexcept {
    // Relaxed: the first clone of a node's waker is made from the borrowed waker of its poll,
    // inside that poll, so before the owner reads here.
    if (!n->cloned.load(std::memory_order_relaxed)) {
      n->queued.store(true, std::memory_order_relaxed);
      return true;
    }
    return !n->queued.exchange(true, std::memory_order_acq_rel);
  }

  /// Owner only: claims `n` after its borrowed waker was handed to something that may wake it (a
  /// registration may wake it at once, without a clone: atomic_waker.hpp does when a wake is in
  /// flight, and that wake has queued the node). False when it is queued already.
  static bool claim_after_handover(ready_node* n) noexcept {
    return !n->queued.exchange(true, std::memory_order_acq_rel);
  }

  /// Owner only, before polling the child of a taken node: later wakes queue it again.
  static void unqueue(ready_node* n) noexcept { n->queued.store(false, std::memory_order_release); }

  /// The child's waker, borrowed (no reference taken): valid while the owner holds the state.
  static raw_waker child_waker(ready_node* n) noexcept { return {&vtable, n}; }

 private:
  static raw_waker clone(void* p) noexcept {
    auto* n = static_cast<ready_node*>(p);
    n->owner->add_ref();
    if (!n->cloned.load(std::memory_order_relaxed)) n->cloned.store(true, std::memory_order_relaxed);
    return {&vtable, p};
  }
  static void wake_by_ref(void* p) noexcept { wake_node(static_cast<ready_node*>(p)); }
  static void wake(void* p) noexcept {
    wake_by_ref(p);
    drop(p);
  }
  static void drop(void* p) noexcept {
    FUTURA_CHAOS_POINT("ready_queue.release_clone");
    static_cast<ready_node*>(p)->owner->release();
  }
  static constexpr waker_vtable vtable{&clone, &wake, &wake_by_ref, &drop};

  /// Pushes a node this caller owns the queueing of; true when the stack was empty.
  bool push(ready_node* n) noexcept {
    ready_node* head = head_.load(std::memory_order_relaxed);
    do {
      n->next = head;
    } while (!head_.compare_exchange_weak(head, n, std::memory_order_acq_rel, std::memory_order_relaxed));
    return head == nullptr;
  }

  std::atomic<ready_node*> head_{nullptr};
};

}  // namespace futura::detail
