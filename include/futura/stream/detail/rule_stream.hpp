// futura/stream/detail/rule_stream.hpp — the classes of the adapters that decide item by item
// with a rule: `skipping_stream` (filter, skip, skip_while: drop some items) and `taking_stream`
// (take, take_while: pass the leading items, then end). Each adapter's header draws its states
// and holds what differs: its rule, its checks, and the name a misuse report gives.
//
// A rule is the adapter's own state and decision, asked in item order on the polling thread:
// - `done()`: no item is decided any more. A skipping stream then passes every item (the upstream
//   is polled as it is); a taking stream then ends without polling the upstream again.
// - `holds(const T&)`: asked of each item before that. A skipping stream drops the item (under
//   the cooperative budget: detail/skipping.hpp); a taking stream passes it, and ends at the
//   first item the rule does not hold for (that item is destroyed).
#pragma once

#include <futura/core/detail/misuse.hpp>
#include <futura/stream/detail/skipping.hpp>
#include <futura/stream/stream_ext.hpp>
#include <futura/stream/stream_traits.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

namespace futura::detail {

/// What both hold: the upstream `S` and the rule, built from the argument the adapter got.
template <class Derived, class S, class Rule>
class rule_stream : public stream_ext<Derived> {
  static_assert(check_stream<S>());

 public:
  using item_type = item_t<S>;

 protected:
  template <class A>
  rule_stream(S s, A&& rule_argument) : s_(std::move(s)), rule_{std::forward<A>(rule_argument)} {}

  S s_;
  Rule rule_;
};

/// filter, skip, skip_while: the upstream's items less those the rule holds for, until it is done.
template <class Derived, class S, class Rule>
class skipping_stream : public rule_stream<Derived, S, Rule> {
 public:
  using skipping_stream::rule_stream::rule_stream;

  poll_result<std::optional<item_t<S>>> poll_next(waker& w) {
    if (this->rule_.done()) return this->s_.poll_next(w);
    return poll_skipping(this->s_, w, [this](const item_t<S>& v) { return this->rule_.holds(v); });
  }
};

/// take, take_while: the upstream's items while the rule holds for them; then the end, after
/// which a poll is misuse, reported with `Derived::name`.
template <class Derived, class S, class Rule>
class taking_stream : public rule_stream<Derived, S, Rule> {
 public:
  using taking_stream::rule_stream::rule_stream;

  poll_result<std::optional<item_t<S>>> poll_next(waker& w) {
    if (ended_) polled_after_completion(Derived::name);
    if (!this->rule_.done()) {
      poll_result<std::optional<item_t<S>>> r = this->s_.poll_next(w);
      if (r.is_pending()) return futura::pending;
      if (r.value() && this->rule_.holds(std::as_const(*r.value()))) return r;
    }
    ended_ = true;
    return std::optional<item_t<S>>();
  }

 private:
  bool ended_ = false;
};

/// When a countdown's `holds` may be asked with nothing left: skip's skipping loop asks item after
/// item within one poll (`each_item`: it checks), take asks only after `done()` said no
/// (`done_first`: the check would be dead code in take's poll).
enum class count_check { each_item, done_first };

/// The rule of skip and take: holds for the first `left` items, then done.
template <count_check Check>
struct countdown_rule {
  bool done() const { return left == 0; }
  template <class T>
  bool holds(const T&) {
    if constexpr (Check == count_check::each_item) {
      if (left == 0) return false;  // counted down within this poll: this item and the rest pass
    }
    --left;
    return true;
  }

  std::size_t left;
};

/// The rule of filter (`Value` false: it holds for the items `pred` rejects, which are dropped)
/// and take_while (`Value` true: it holds for the items `pred` accepts, which pass).
template <class S, class P, bool Value>
struct predicate_is {
  static constexpr bool done() { return false; }
  bool holds(const item_t<S>& v) { return static_cast<bool>(std::invoke(pred, v)) == Value; }

  P pred;
};

}  // namespace futura::detail
