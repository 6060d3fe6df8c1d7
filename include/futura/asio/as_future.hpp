// futura/asio/as_future.hpp — the completion token that turns any Asio operation into a future.
//
//   idle(initiation, args) --first poll: initiate--> running(state) --handler ran--> done
//                                                       |--dropped--> terminal cancellation
//
// `sock.async_read_some(buf, futura::as_future)` starts nothing: it stores the initiation and
// its arguments in the returned `async_op_future`. The first poll initiates the operation on the
// polling thread, exactly as calling the initiating function there would; Asio then runs the
// completion handler on the IO object's executor (the handler has no associated executor of its
// own), as for any other token. Output mapping (selected per signature shape):
//
//   void(error_code, T)            -> boost::system::result<T>
//   void(error_code)               -> boost::system::result<void>
//   void(error_code, T1, T2, ...)  -> boost::system::result<std::tuple<T1, T2, ...>>
//   void(T)                        -> T
//   void(T1, T2, ...)              -> std::tuple<T1, T2, ...>
//   void()                         -> futura::unit
//
// On an error the value arguments are dropped (a composed read that failed midway reports only
// the error, not how many bytes it had transferred).
//
// Threads and wakeups: the handler stores the output in heap state shared with the future and
// wakes the waker registered by the last poll (any thread may run the handler).
// Destruction (rule 5): dropping the future before the handler ran emits
// `cancellation_type::terminal` on the operation's cancellation slot, on the IO object's
// executor (inline when the dropping thread already runs it, posted there otherwise). Whether
// the operation honours it, and what is lost, depends on the operation: see the cancel-safety
// table in docs/guide.md. The handler may run after the future is gone: it writes into the
// shared state, which lives until both ends let go, so no freed memory is touched.
// Lifetimes: as with any Asio operation, the IO object and the buffers must stay valid until the
// operation's handler has run, and a dropped future's operation finishes *after* the drop (the
// cancellation and the aborted completion run on the IO object's executor). So either keep them
// alive beyond the future (a session object, the test's stack frame), or let the operation own
// them: `sock.async_read_some(buf, boost::asio::consign(futura::as_future, session_ptr))` keeps
// `session_ptr` alive until the handler has run (the executor is still found through consign).
// Until the dropped operation's (aborted) completion has run, the IO object is still busy with
// it: do not start another operation of the same kind on it before then (Asio allows one
// pending read and one pending write per stream), or the two race for the data. On a
// multi-threaded io_context give the IO object a strand, as Asio requires for per-operation
// cancellation. (Futures polled by `block_on(ctx, f)` are polled outside `ctx`'s handlers, so
// their drops are always posted: they take effect at block_on's next turn of the context.)
// If the io_context is destroyed while the operation is pending (its handler is destroyed
// uncalled), the future throws `future_error(error::broken_promise)`.
// Allocation: one shared state at the first poll, none before; Asio allocates the operation
// (and a composed operation's steps) through the handler's associated allocator. Both come from
// a per-thread cache of freed blocks (detail/recycling_pool.hpp), so in steady state, where each
// operation's blocks are freed before a later one starts on the thread, neither reaches the
// heap. (Asio's cancellation slot takes its handler's memory from Asio's own per-thread cache.)
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/detail/async_op_state.hpp>
#include <futura/asio/detail/completion_handlers.hpp>
#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/combinator/future_ext.hpp>
#include <futura/core/detail/misuse.hpp>

#include <boost/asio/async_result.hpp>

#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

namespace detail {
/// Tags the constructor of `async_op_future` that stores an initiation.
struct store_initiation_t {
  explicit constexpr store_initiation_t() noexcept = default;
};
inline constexpr store_initiation_t store_initiation{};
}  // namespace detail

/// The type of the `futura::as_future` completion token (name it in `async_initiate`).
/// @code
///   auto f = boost::asio::async_initiate<const futura::as_future_t&, void(int)>(
///       [](auto handler) { std::move(handler)(42); }, futura::as_future);   // output int
/// @endcode
struct as_future_t {
  constexpr as_future_t() noexcept = default;
};

/// Completion token: an initiating function given `futura::as_future` returns a lazy future of
/// the operation's outcome instead of starting the operation.
/// @code
///   boost::asio::ip::tcp::socket sock(ctx);
///   std::array<char, 512> buf;
///   auto f = sock.async_read_some(boost::asio::buffer(buf), futura::as_future)
///                .then([](boost::system::result<std::size_t> n) { return n ? *n : 0; });
///   std::size_t got = futura::block_on(ctx, std::move(f));
/// @endcode
inline constexpr as_future_t as_future{};

/// The future returned by an initiating function given `futura::as_future`: it initiates the
/// operation at its first poll and completes with the mapped output of its completion handler
/// (see the top of this header). Dropping it while the operation runs cancels the operation.
/// Name its type with `decltype` when a hand-written future stores one:
/// @code
///   using read_future = decltype(std::declval<tcp::socket&>().async_read_some(
///       boost::asio::mutable_buffer(), futura::as_future));
///   std::optional<read_future> read_;   // emplace at the first poll, reset when done
/// @endcode
template <class Handler, class Initiation, class... InitArgs>
class [[nodiscard]] async_op_future : public future_ext<async_op_future<Handler, Initiation, InitArgs...>> {
 public:
  using output_type = typename Handler::output_type;

  /// Stores the initiation and its arguments (what `async_result::initiate` does).
  template <class I, class... A>
  async_op_future(detail::store_initiation_t, I&& initiation, A&&... args)
      : stage_(std::in_place_type<idle>,
               idle{std::forward<I>(initiation), std::tuple<InitArgs...>(std::forward<A>(args)...)}) {}

  poll_result<output_type> poll(waker& w) {
    if (auto* i = std::get_if<idle>(&stage_)) {
      if (start(*i, w)) return pending;
    }
    if (auto* r = std::get_if<running>(&stage_)) {
      poll_result<output_type> result = detail::poll_in_flight<done>(stage_, *r, w);
      if (result.is_ready()) stage_.template emplace<done>();
      return result;
    }
    detail::polled_after_completion("futura::async_op_future");
  }

 private:
  struct idle {
    Initiation initiation;
    std::tuple<InitArgs...> args;
  };
  using running = detail::op_in_flight<output_type, detail::executor_source_t<Initiation>>;
  struct done {};

  /// Initiates the operation, with `w` registered before. True while it runs: the poll is
  /// pending, and the completion wakes `w`.
  bool start(idle& i, const waker& w) {
    detail::executor_source_t<Initiation> ex = detail::executor_source_of(i.initiation);
    auto* s = new detail::async_op_state<output_type>();  // one reference for us, one for the handler
    s->register_before_start(w);
    try {
      std::apply([&](InitArgs&... args) { std::move(i.initiation)(Handler(s), std::move(args)...); }, i.args);
    } catch (...) {
      s->release();  // the handler, destroyed while unwinding, released its own reference
      stage_.template emplace<done>();
      throw;
    }
    stage_.template emplace<running>(s, std::move(ex));
    return s->started_pending();
  }

  std::variant<idle, running, done> stage_;
};

}  // namespace futura

#include <futura/asio/impl/as_future.hpp>
