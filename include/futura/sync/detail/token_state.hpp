// futura/sync/detail/token_state.hpp — the shared state of cancellation tokens: one node per
// token (copies share it), linked into a tree under one lock per tree (docs/design.md, "The
// token tree").
//
//   node: live --cancel() (this node or an ancestor)--> cancelled (final)
//
// Links. Every node of a tree holds a reference to the tree's root node, whose spin lock guards
// every link of the tree: parent, children and siblings, and each node's list of waiters (the
// pending futures waiting for its cancellation). A node holds no reference to its parent, so a
// dropped child costs its parent nothing: when a node's last reference goes, it unlinks itself
// and hands its children to its own parent. Only the root stays in memory while descendants
// live (each keeps the lock it needs).
//
// Cancel. Under the lock, the node unlinks itself from its parent, then walks its subtree
// without recursion (descend into the first child, unlinking it; climb when a node has no child
// left), marks each node cancelled and moves its waiters onto the canceller's own list, taking a
// reference to each. After the lock, it wakes them and drops those references. A cancelled node
// is never linked again: its new children start cancelled, and nothing can cancel it twice.
//
// Waiters. A waiter is the heap half of a pending `cancelled()` or `with_cancellation` future
// (rule 2: the future moves, the waiter does not). Its waker is written under the lock while the
// node is live; once the node is cancelled only the canceller holding the waiter touches it.
// Wakers are cloned under the lock but never woken or dropped there: dropping a waker may
// destroy a task, whose futures may lock this tree again.
#pragma once

#include <futura/core/detail/ref_count.hpp>
#include <futura/core/detail/spin_lock.hpp>
#include <futura/core/waker.hpp>

#include <atomic>
#include <cstddef>

namespace futura::detail {

class token_node;

/// The heap half of a future that waits for a token's cancellation: its waker and its place in
/// its node's waiter list. Reference counted: the future holds one reference; a canceller holds
/// another from the moment it takes the waiter out of the list until it has woken it.
class token_waiter : public intrusive_ref_count<token_waiter> {
 public:
  /// A new waiter holding one reference (the future's).
  static token_waiter* make();

  token_waiter(const token_waiter&) = delete;
  token_waiter& operator=(const token_waiter&) = delete;

 private:
  friend class token_node;
  friend class intrusive_ref_count<token_waiter>;
  token_waiter() = default;
  ~token_waiter() = default;
  static void destroy_last(token_waiter* w) noexcept;  // in the library, where it was made

  waker waker_;                        // see the top of this header for who may touch it when
  token_waiter* prev_ = nullptr;       // the node's waiter list (under the tree lock)
  token_waiter* next_ = nullptr;       //
  token_waiter* wake_next_ = nullptr;  // the canceller's list of waiters to wake (its own)
  bool linked_ = false;                // in the node's waiter list (under the tree lock)
};

/// One token's state: the cancelled flag, its links in the tree, and its waiters.
class token_node : public intrusive_ref_count<token_node> {
 public:
  /// A new root node (a new tree) holding one reference.
  static token_node* make_root();
  /// A new node holding one reference, child of this one: linked under it, or cancelled
  /// already when this one is.
  token_node* make_child();

  token_node(const token_node&) = delete;
  token_node& operator=(const token_node&) = delete;

  /// Cancels this node and its whole subtree, then wakes their waiters (outside the lock).
  /// Any thread; idempotent.
  void cancel() noexcept;
  bool is_cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  /// Links `waiter` into this node's list (once) with a clone of `w` (when its waker differs),
  /// so that cancel() wakes it. False when the node is cancelled: nothing was registered then.
  bool register_waiter(token_waiter& waiter, const waker& w) noexcept;
  /// Takes `waiter` out of this node's list if it is there (the future completes or is dropped).
  void unlink_waiter(token_waiter& waiter) noexcept;

  /// The children linked under this node now (for tests: dropped children unlink themselves).
  std::size_t registered_children() const noexcept;
  /// The waiters linked to this node now (for tests: dropped futures unlink their waiters).
  std::size_t registered_waiters() const noexcept;

 private:
  friend class intrusive_ref_count<token_node>;
  explicit token_node(token_node* root) noexcept;
  ~token_node() = default;
  static void destroy_last(token_node* n) noexcept;  // unlinks, then deletes

  spin_lock& tree_lock() const noexcept { return root_ ? root_->lock_ : lock_; }
  void unlink_from_parent() noexcept;  // under the tree lock

  std::atomic<bool> cancelled_{false};  // written under the tree lock, read anywhere
  mutable spin_lock lock_;              // the tree's lock: used on the root node only
  ref_ptr<token_node> root_;            // null on the root itself
  token_node* parent_ = nullptr;        // under the tree lock, as every link below
  token_node* first_child_ = nullptr;
  token_node* prev_sibling_ = nullptr;
  token_node* next_sibling_ = nullptr;
  token_waiter* first_waiter_ = nullptr;
};

/// One reference to a token's node (null for an empty, moved-from token).
using token_ref = ref_ptr<token_node>;

/// The waiting half shared by `cancelled_future` and `with_cancellation_future`: a reference to
/// the node and the waiter, allocated at the first poll that has to wait and kept until the
/// future completes or is dropped. Move-only; a moved-from wait is complete.
class token_wait {
 public:
  explicit token_wait(token_ref node) noexcept : node_(std::move(node)) {}
  token_wait(token_wait&& o) noexcept : node_(std::move(o.node_)), waiter_(o.waiter_) { o.waiter_ = nullptr; }
  token_wait& operator=(token_wait&& o) noexcept {
    if (this != &o) {
      release();
      node_ = std::move(o.node_);
      waiter_ = o.waiter_;
      o.waiter_ = nullptr;
    }
    return *this;
  }
  ~token_wait() { release(); }

  /// False once the future completed (or this was moved from).
  bool active() const noexcept { return static_cast<bool>(node_); }
  bool is_cancelled() const noexcept { return node_->is_cancelled(); }

  /// Registers `w` to be woken by a cancel; true when the token is cancelled instead (nothing
  /// registered). May throw std::bad_alloc at the first registration.
  bool register_or_cancelled(const waker& w) {
    if (node_->is_cancelled()) return true;
    if (!waiter_) waiter_ = token_waiter::make();
    return !node_->register_waiter(*waiter_, w);
  }

  /// Unlinks and frees the waiter (if any) and drops the node reference: completion and drop.
  void release() noexcept {
    if (waiter_) {
      node_->unlink_waiter(*waiter_);
      waiter_->release();
      waiter_ = nullptr;
    }
    node_.reset();
  }

 private:
  token_ref node_;
  token_waiter* waiter_ = nullptr;  // one reference, or null before the first wait
};

}  // namespace futura::detail
