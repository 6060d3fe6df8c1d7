// The non-template half of cancellation_token: the token tree and its waiters
// (futura/sync/detail/token_state.hpp draws the protocol; docs/design.md, "The token tree").
#include <futura/sync/cancellation_token.hpp>

#include <cassert>
#include <mutex>

namespace futura::detail {

token_waiter* token_waiter::make() { return new token_waiter(); }

void token_waiter::destroy_last(token_waiter* w) noexcept { delete w; }

token_node::token_node(token_node* root) noexcept {
  if (root) {
    root->add_ref();
    root_ = token_ref(root);
  }
}

token_node* token_node::make_root() { return new token_node(nullptr); }

token_node* token_node::make_child() {
  auto* child = new token_node(root_ ? root_.get() : this);  // allocated outside the lock
  std::lock_guard<spin_lock> lock(tree_lock());
  FUTURA_CHAOS_POINT("token.child.locked");
  if (cancelled_.load(std::memory_order_relaxed)) {
    // Cancelled nodes are final and unlinked: the child is born cancelled and stays unlinked.
    child->cancelled_.store(true, std::memory_order_relaxed);
    return child;
  }
  child->parent_ = this;
  child->next_sibling_ = first_child_;
  if (first_child_) first_child_->prev_sibling_ = child;
  first_child_ = child;
  return child;
}

void token_node::unlink_from_parent() noexcept {
  if (prev_sibling_) {
    prev_sibling_->next_sibling_ = next_sibling_;
  } else {
    parent_->first_child_ = next_sibling_;
  }
  if (next_sibling_) next_sibling_->prev_sibling_ = prev_sibling_;
  prev_sibling_ = next_sibling_ = nullptr;
  parent_ = nullptr;
}

void token_node::cancel() noexcept {
  if (is_cancelled()) return;
  token_waiter* to_wake = nullptr;  // the waiters taken out of the subtree, each with a reference
  {
    std::lock_guard<spin_lock> lock(tree_lock());
    FUTURA_CHAOS_POINT("token.cancel.locked");
    if (cancelled_.load(std::memory_order_relaxed)) return;  // another cancel of this subtree won
    if (parent_) unlink_from_parent();
    // Depth-first over the subtree, iteratively: descending into a child unlinks it from its
    // parent, so a node whose list is empty is done and the walk climbs back to its parent.
    token_node* node = this;
    for (;;) {
      if (!node->cancelled_.load(std::memory_order_relaxed)) {
        node->cancelled_.store(true, std::memory_order_release);
        while (token_waiter* w = node->first_waiter_) {
          node->first_waiter_ = w->next_;
          w->prev_ = w->next_ = nullptr;
          w->linked_ = false;
          w->add_ref();
          w->wake_next_ = to_wake;
          to_wake = w;
        }
      }
      if (token_node* child = node->first_child_) {
        node->first_child_ = child->next_sibling_;
        if (child->next_sibling_) child->next_sibling_->prev_sibling_ = nullptr;
        child->next_sibling_ = nullptr;
        node = child;  // its parent_ still leads back here
        continue;
      }
      token_node* up = node->parent_;
      node->parent_ = nullptr;
      if (node == this) break;
      node = up;
    }
  }
  // Outside the lock: the waiters are off every list, so only this thread touches their
  // wakers now; a future dropped meanwhile left the waiter to the reference taken above.
  while (token_waiter* w = to_wake) {
    FUTURA_CHAOS_POINT("token.cancel.waking");
    to_wake = w->wake_next_;
    waker taken = std::move(w->waker_);
    w->release();
    std::move(taken).wake_and_drop();
  }
}

bool token_node::register_waiter(token_waiter& waiter, const waker& w) noexcept {
  waker replaced;  // declared before the lock: an old waker is dropped after unlocking
  FUTURA_CHAOS_POINT("token.register.before_lock");  // a cancel may complete here: look again below
  std::lock_guard<spin_lock> lock(tree_lock());
  FUTURA_CHAOS_POINT("token.register.locked");
  if (cancelled_.load(std::memory_order_relaxed)) return false;
  if (!waiter.waker_.will_wake(w)) {
    replaced = std::move(waiter.waker_);
    waiter.waker_ = w;
  }
  if (!waiter.linked_) {
    waiter.linked_ = true;
    waiter.prev_ = nullptr;
    waiter.next_ = first_waiter_;
    if (first_waiter_) first_waiter_->prev_ = &waiter;
    first_waiter_ = &waiter;
  }
  return true;
}

void token_node::unlink_waiter(token_waiter& waiter) noexcept {
  std::lock_guard<spin_lock> lock(tree_lock());
  FUTURA_CHAOS_POINT("token.unlink_waiter.locked");
  if (!waiter.linked_) return;  // never linked, or taken by a cancel (which holds a reference)
  if (waiter.prev_) {
    waiter.prev_->next_ = waiter.next_;
  } else {
    first_waiter_ = waiter.next_;
  }
  if (waiter.next_) waiter.next_->prev_ = waiter.prev_;
  waiter.prev_ = waiter.next_ = nullptr;
  waiter.linked_ = false;
}

void token_node::destroy_last(token_node* n) noexcept {
  token_ref root = std::move(n->root_);  // released last: the root may go with it
  {
    std::lock_guard<spin_lock> lock(root ? root->lock_ : n->lock_);
    FUTURA_CHAOS_POINT("token.drop.locked");
    // No waiter can be linked: every waiting future holds a reference to its node.
    assert(n->first_waiter_ == nullptr);
    if (token_node* parent = n->parent_) {
      // Hand the children to the parent, so that its cancel still reaches them.
      token_node* last = nullptr;
      for (token_node* c = n->first_child_; c; c = c->next_sibling_) {
        c->parent_ = parent;
        last = c;
      }
      if (last) {
        last->next_sibling_ = parent->first_child_;
        if (parent->first_child_) parent->first_child_->prev_sibling_ = last;
        parent->first_child_ = n->first_child_;
        n->first_child_ = nullptr;
      }
      n->unlink_from_parent();
    }
    // Without a parent, the node is the root (whose descendants all hold it) or cancelled
    // (unlinked with its whole subtree): it has no children.
    assert(n->first_child_ == nullptr);
  }
  delete n;
}

std::size_t token_node::registered_children() const noexcept {
  std::lock_guard<spin_lock> lock(tree_lock());
  std::size_t n = 0;
  for (const token_node* c = first_child_; c; c = c->next_sibling_) ++n;
  return n;
}

std::size_t token_node::registered_waiters() const noexcept {
  std::lock_guard<spin_lock> lock(tree_lock());
  std::size_t n = 0;
  for (const token_waiter* w = first_waiter_; w; w = w->next_) ++n;
  return n;
}

}  // namespace futura::detail

namespace futura {

cancellation_token::cancellation_token() : node_(detail::token_node::make_root()) {}

}  // namespace futura
