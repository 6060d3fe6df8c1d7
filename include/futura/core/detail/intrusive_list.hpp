// futura/core/detail/intrusive_list.hpp — the library's one intrusive FIFO: nodes linked through
// their own `next` (and `prev`, when the node type has one), owned by one thread at a time.
//
// It is the owner's private list in the protocols that hand nodes over: the sets' taken nodes
// (stream/detail/ready_queue.hpp), a join_set's finished entries, the semaphore's waiters (under
// its lock). It never allocates and never owns: a node must stay alive while it is linked, and
// whoever unlinks it decides what happens to it. Not thread-safe; see docs/design.md §2.
#pragma once

#include <futura/core/detail/detection.hpp>

#include <type_traits>
#include <utility>

namespace futura::detail {

template <class Node>
using prev_member = decltype(std::declval<Node&>().prev);
template <class Node>
using has_prev_link = is_detected<prev_member, Node>;

/// A FIFO of `Node`s through `Node::next` (`Node*`). When `Node` also has `Node* prev`, the list
/// keeps it and any node can be unlinked in constant time.
template <class Node>
class intrusive_list {
  static constexpr bool doubly_linked = has_prev_link<Node>::value;

 public:
  intrusive_list() noexcept = default;
  intrusive_list(intrusive_list&& o) noexcept
      : head_(std::exchange(o.head_, nullptr)), tail_(std::exchange(o.tail_, nullptr)) {}
  intrusive_list& operator=(intrusive_list&& o) noexcept {
    intrusive_list moved(std::move(o));
    swap(moved);
    return *this;
  }
  intrusive_list(const intrusive_list&) = delete;
  intrusive_list& operator=(const intrusive_list&) = delete;

  void swap(intrusive_list& o) noexcept {
    std::swap(head_, o.head_);
    std::swap(tail_, o.tail_);
  }

  bool empty() const noexcept { return head_ == nullptr; }
  Node* front() const noexcept { return head_; }

  /// Links `n` last.
  void push_back(Node* n) noexcept {
    if constexpr (doubly_linked) n->prev = tail_;
    link_last(n, n);
  }

  /// Links the chain `first` .. `last` (already linked through `next`) last (singly linked
  /// nodes only: a chain carries no `prev` links).
  void append(Node* first, Node* last) noexcept {
    static_assert(!doubly_linked,
                  "futura: intrusive_list::append takes a chain of singly linked nodes; push_back "
                  "doubly linked ones one by one");
    link_last(first, last);
  }

  /// Unlinks and returns the first node; null when empty. A singly linked node keeps its stale
  /// `next` (whoever links it next overwrites it); a doubly linked one leaves with both cleared.
  Node* pop_front() noexcept {
    Node* n = head_;
    if (n == nullptr) return nullptr;
    if constexpr (doubly_linked) {
      unlink(n);
    } else {
      head_ = n->next;
      if (head_ == nullptr) tail_ = nullptr;
    }
    return n;
  }

  /// Unlinks `n`, wherever it is in the list (doubly linked nodes only).
  void unlink(Node* n) noexcept {
    static_assert(doubly_linked, "futura: intrusive_list::unlink needs a node type with a `Node* prev` member");
    if (n->prev != nullptr) {
      n->prev->next = n->next;
    } else {
      head_ = n->next;
    }
    if (n->next != nullptr) {
      n->next->prev = n->prev;
    } else {
      tail_ = n->prev;
    }
    n->prev = nullptr;
    n->next = nullptr;
  }

  /// Forgets every node (they are the caller's).
  void reset() noexcept { head_ = tail_ = nullptr; }

 private:
  void link_last(Node* first, Node* last) noexcept {
    last->next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = first;
    } else {
      head_ = first;
    }
    tail_ = last;
  }

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace futura::detail
