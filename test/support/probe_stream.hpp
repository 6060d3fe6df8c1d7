// An instrumented leaf stream shared by the stream suites: the test feeds its items (and its
// end, or an exception) through the controlling end; the stream counts its polls and drops,
// records its last waker, and reports a poll after its end as rule 4's error (so an adapter that
// polls an ended upstream fails the test).
#pragma once

#include <futura/core.hpp>

#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace futura_test {

template <class T>
struct probe_stream_state {
  int polls = 0;
  int drops = 0;
  futura::waker last_waker;
  std::deque<std::optional<T>> queue;  // std::nullopt: the end
  std::exception_ptr error;            // thrown by the next poll, once
  bool ended = false;                  // the end was answered
};

/// The stream end of a probe_stream_source: pending while nothing was fed.
template <class T>
class probe_stream : public futura::stream_ext<probe_stream<T>> {
 public:
  using item_type = T;
  explicit probe_stream(std::shared_ptr<probe_stream_state<T>> s) : state_(std::move(s)) {}
  probe_stream(probe_stream&& o) noexcept : state_(std::move(o.state_)) {}
  probe_stream& operator=(probe_stream&&) = delete;
  ~probe_stream() {
    if (state_) ++state_->drops;
  }

  futura::poll_result<std::optional<T>> poll_next(futura::waker& w) {
    ++state_->polls;
    if (state_->ended) futura::detail::throw_future_error(futura::error::polled_after_completion, "probe_stream");
    state_->last_waker = w;
    if (state_->error) futura::detail::rethrow(std::exchange(state_->error, nullptr));
    if (state_->queue.empty()) return futura::pending;
    std::optional<T> item = std::move(state_->queue.front());
    state_->queue.pop_front();
    state_->ended = !item.has_value();
    return item;
  }

 private:
  std::shared_ptr<probe_stream_state<T>> state_;
};

/// The controlling end: `stream()` makes the leaf (make one per source); `push(v)`, `end()` and
/// `fail()` queue what its next polls answer and wake the last waker it was polled with.
/// Single-threaded: for ordering and count tests.
template <class T>
class probe_stream_source {
 public:
  probe_stream_source() : state_(std::make_shared<probe_stream_state<T>>()) {}

  probe_stream<T> stream() const { return probe_stream<T>(state_); }

  void push(T v) {
    state_->queue.emplace_back(std::move(v));
    state_->last_waker.wake();
  }
  void end() {
    state_->queue.emplace_back(std::nullopt);
    state_->last_waker.wake();
  }
  void fail(const char* what = "probe stream failure") {
    state_->error = std::make_exception_ptr(std::runtime_error(what));
    state_->last_waker.wake();
  }

  int polls() const { return state_->polls; }
  int drops() const { return state_->drops; }
  bool ended() const { return state_->ended; }
  /// Items (and the end) fed but not yet polled out.
  std::size_t queued() const { return state_->queue.size(); }

 private:
  std::shared_ptr<probe_stream_state<T>> state_;
};

/// True when `r` is an item equal to `v`.
template <class T>
bool yields(const futura::poll_result<std::optional<T>>& r, const T& v) {
  return r.is_ready() && r.value().has_value() && *r.value() == v;
}

/// True when `r` is the end of the stream.
template <class T>
bool ends(const futura::poll_result<std::optional<T>>& r) {
  return r.is_ready() && !r.value().has_value();
}

/// The answer of one poll_next: the item, or std::nullopt for the end; pending fails the test.
template <class T>
std::optional<T> next_of(futura::poll_result<std::optional<T>> r) {
  if (r.is_pending()) {
    futura::detail::throw_standard<std::logic_error>(boost::system::errc::invalid_argument,
                                                     "expected a ready poll_next, got pending");
  }
  return r.take();
}

/// Polls `s` until it ends (every poll must be ready) and returns its items.
template <class S>
std::vector<futura::item_t<S>> drain_ready(S& s, futura::waker& w) {
  std::vector<futura::item_t<S>> items;
  while (auto item = next_of(s.poll_next(w))) items.push_back(std::move(*item));
  return items;
}

}  // namespace futura_test
