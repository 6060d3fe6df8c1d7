// futura/stream/detail/concurrent_for_each.hpp — the future of `for_each_concurrent(limit, f)` and
// `try_for_each_concurrent(limit, f)`: a stream's items turned into futures by `f`, up to `limit`
// of them running at once in a set (futures_set.hpp), until the stream ends and every future is
// done.
//
//   pulling --room and an item v: Mode::start pushes f(v)--> pulling (same poll)
//   pulling --no room / upstream pending / ended--> polling the woken children
//   a child is ready: Mode::failure(its output)? --no--> pulling (there is room again)
//                                                --yes--> done with that output
//   upstream ended and no child left --> done with output_type() (unit, or a result's value)
//   anything throws --> every child dropped, the exception; done
//
// `Mode` (below, one per public header): `check<S, F>()` (the argument checks), `child_t<F, T>`, `output_t<T>`, `name`,
// `start(f, item, set)` (pushes f's future, or returns an early output: a try stream's error),
// `failure(child_output)` (an output that ends the future, or nothing).
// The upstream is polled at most once per poll after it answered pending (its wake brings the
// poll back); pulled items and pending children count against one cooperative budget.
#pragma once

#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/coop_budget.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/result_traits.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/detail/futures_set.hpp>
#include <futura/stream/detail/result_items.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace futura::detail {

template <class S, class F, class Mode>
class [[nodiscard]] concurrent_for_each_future : public future_ext<concurrent_for_each_future<S, F, Mode>> {
  using child_type = typename Mode::template child_t<F, item_t<S>>;
  using set_type = futures_set<child_type, no_kept_output>;

 public:
  using output_type = typename Mode::template output_t<item_t<S>>;

  concurrent_for_each_future(S s, std::size_t limit, F f) : f_(std::move(f)), s_(std::move(s)), limit_(limit) {}

  poll_result<output_type> poll(waker& w) {
    if (done_) polled_after_completion(Mode::name);
    coop_meter meter;
    FUTURA_TRY {
      set_.start_poll();
      bool upstream_pending = false;
      for (;;) {
        while (!upstream_ended_ && !upstream_pending && (limit_ == 0 || set_.live() < limit_)) {
          poll_result<std::optional<item_t<S>>> r = s_.poll_next(w);
          if (r.is_pending()) {
            upstream_pending = true;
          } else if (!r.value()) {
            upstream_ended_ = true;
          } else {
            if (std::optional<output_type> early = Mode::start(f_, std::move(*r.value()), set_)) {
              return finish(std::move(*early));
            }
            if (meter.spend()) return coop_meter::yield(w);  // the pushed children run at the next poll
          }
        }
        if (set_.live() == 0) {
          if (upstream_ended_) return finish(output_type());
          return pending;  // the upstream is pending: its wake reaches w
        }
        poll_result<typename set_type::finished_child> r = set_.poll_woken(w, meter);
        if (r.is_pending()) return pending;
        set_.release(r.value().where);
        if (std::optional<output_type> failed = Mode::failure(r.value().value)) return finish(std::move(*failed));
        if (meter.spend()) return coop_meter::yield(w);
      }
    }
    FUTURA_CATCH_ALL {
      done_ = true;
      set_.clear();  // a failure finishes the future: the other children are dropped now
      FUTURA_RETHROW;
    }
  }

 private:
  poll_result<output_type> finish(output_type out) {
    done_ = true;
    set_.clear();  // the children still running (after a failure) are dropped before poll returns
    return poll_result<output_type>(std::in_place, std::move(out));
  }

  // Declared first so that it is destroyed last: a running future may use what f captured.
  F f_;
  S s_;
  set_type set_;
  std::size_t limit_;  // 0: no limit
  bool upstream_ended_ = false;
  bool done_ = false;
};

/// for_each_concurrent's mode (detail/concurrent_for_each.hpp): every output ignored.
struct for_each_concurrent_mode {
  static constexpr const char* name = "futura::stream::for_each_concurrent";
  template <class S, class F>
  static constexpr bool check() {
    static_assert(check_stream<S>());
    constexpr bool callable = std::is_invocable_v<F&, item_t<S>&&>;
    static_assert(callable,
                  "futura: .for_each_concurrent(limit, f): f must be callable with the stream's item (item_t<S>&&)");
    if constexpr (callable) {
      constexpr bool returns_future = is_future_v<std::invoke_result_t<F&, item_t<S>&&>>;
      static_assert(returns_future,
                    "futura: .for_each_concurrent(limit, f): f must return a future (for plain functions use "
                    ".for_each(f))");
      return returns_future;
    }
    return false;
  }
  template <class F, class T>
  using child_t = std::invoke_result_t<F&, T&&>;
  template <class T>
  using output_t = unit;

  template <class F, class T, class Set>
  static std::optional<unit> start(F& f, T&& item, Set& set) {
    set.push(std::invoke(f, std::forward<T>(item)));
    return std::nullopt;
  }
  template <class Out>
  static std::optional<unit> failure(const Out&) noexcept {
    return std::nullopt;
  }
};

/// try_for_each_concurrent's mode (detail/concurrent_for_each.hpp): the first error ends it.
struct try_for_each_concurrent_mode {
  static constexpr const char* name = "futura::stream::try_for_each_concurrent";
  template <class S, class F>
  static constexpr bool check() {
    static_assert(check_stream<S>());
    if constexpr (!check_result_items<try_for_each_concurrent_mode, item_t<S>>()) {
      return false;
    } else if constexpr (!value_call<F, result_value_t<item_t<S>>>::callable) {
      static_assert(dependent_false<S, F>,
                    "futura: .try_for_each_concurrent(limit, f): f must be callable with the items' value T (with "
                    "nothing for result<void, E>)");
      return false;
    } else {
      using child = child_t<F, item_t<S>>;
      if constexpr (!is_future_v<child>) {
        static_assert(
            dependent_false<S, F>,
            "futura: .try_for_each_concurrent(limit, f): f must return a future of boost::system::result<U, E>");
        return false;
      } else {
        constexpr bool same_error = is_result_v<futura::output_t<child>> &&
                                    std::is_same_v<result_error_t<futura::output_t<child>>, result_error_t<item_t<S>>>;
        static_assert(same_error,
                      "futura: .try_for_each_concurrent(limit, f): f's future must output boost::system::result<U, E> "
                      "with the stream's error type E (convert it with .map_err())");
        return same_error;
      }
    }
  }
  template <class F, class R>
  using child_t = std::decay_t<typename value_call<F, result_value_t<R>>::raw_result>;
  template <class R>
  using output_t = boost::system::result<void, result_error_t<R>>;

  template <class F, class R, class Set>
  static std::optional<output_t<R>> start(F& f, R&& item, Set& set) {
    if (item.has_error()) return output_t<R>(boost::system::in_place_error, item.error());
    set.push(value_call<F, result_value_t<R>>::invoke(f, item));
    return std::nullopt;
  }
  template <class Out>
  static std::optional<boost::system::result<void, result_error_t<Out>>> failure(const Out& out) {
    if (!out.has_error()) return std::nullopt;
    return boost::system::result<void, result_error_t<Out>>(boost::system::in_place_error, out.error());
  }
};

/// The method of stream_ext: checks the arguments as `Mode` says, then makes the future (so that a
/// misuse stops at one message).
template <class Mode, class S, class F>
auto start_concurrent_for_each(S&& s, std::size_t limit, F&& f) {
  using stream_type = std::decay_t<S>;
  if constexpr (Mode::template check<stream_type, std::decay_t<F>>()) {
    return concurrent_for_each_future<stream_type, std::decay_t<F>, Mode>(std::forward<S>(s), limit,
                                                                          std::forward<F>(f));
  }
}

}  // namespace futura::detail
