// futura/asio/accept_stream.hpp — the connections an acceptor accepts, as a stream.
//
//   idle --poll, acceptor open: start async_accept--> accepting(accept future)
//   idle --poll, acceptor closed--> end; ended
//   accepting --pending--> pending (the accept's handler wakes the last poll's waker)
//   accepting --a socket--> item(socket); idle
//   accepting --operation_aborted (acceptor closed or cancelled)--> end; ended
//   accepting --any other error (out of descriptors, ...)--> item(error); idle
//   accepting --the poll throws (the context was destroyed)--> ended; the exception propagates
//   ended --poll--> polled_after_completion (rule 4)
//
// `accept_stream(acceptor)` yields `boost::system::result<Socket>`, where Socket is the
// acceptor's protocol socket on the acceptor's executor (what `acceptor.async_accept(token)`
// completes with). One accept runs at a time: the next one starts at the poll after an item, so
// accepting is paced by whoever consumes the stream. The stream refers to the acceptor, which
// must outlive it and the aborted accept of a drop (as for any Asio operation).
//
// Ordering: connections in the order the acceptor accepts them (the kernel's backlog order).
// Threads: poll it from one thread at a time; the accept's handler runs on the acceptor's
// executor and wakes the waker of the last poll. The stream touches the acceptor only inside
// poll_next (to start an accept, and to ask whether it is open) and through the cancellation
// of a drop (on the acceptor's executor); as for any Asio IO object, do not use the acceptor on
// another thread at the same time (closing it from its own executor is the way to stop).
// Destruction: dropping the stream while an accept is pending cancels that accept
// (`as_future`'s drop: terminal cancellation on the acceptor's executor); a connection accepted
// just before the drop, whose handler had not run yet, is closed with it. Once the aborted
// accept's handler has run, nothing is left on the executor.
// Allocation: per accept, what `acceptor.async_accept(futura::as_future)` allocates (its shared
// state and Asio's operation, both from the per-thread recycling cache); nothing else.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/core/detail/detection.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

namespace detail {

template <class Acceptor>
using async_accept_call = decltype(std::declval<Acceptor&>().async_accept(futura::as_future));
template <class Acceptor>
using accepts_with_as_future = is_detected<async_accept_call, Acceptor>;

}  // namespace detail

/// The stream of `accept_stream(acceptor)`: each item is one accepted connection, or the error
/// of one failed accept; the end comes when the acceptor is closed or its accept is cancelled.
/// @code
///   boost::asio::ip::tcp::acceptor acceptor(ctx, {boost::asio::ip::tcp::v4(), 8080});
///   futura::connection_stream<boost::asio::ip::tcp::acceptor> connections = futura::accept_stream(acceptor);
/// @endcode
template <class Acceptor>
class [[nodiscard]] connection_stream : public stream_ext<connection_stream<Acceptor>> {
  static_assert(detail::accepts_with_as_future<Acceptor>::value,
                "futura::accept_stream: the argument must be an Asio acceptor (boost::asio::basic_socket_acceptor) "
                "whose async_accept(token) completes with (error_code, socket)");

  using accept_future = decltype(std::declval<Acceptor&>().async_accept(futura::as_future));

 public:
  /// `boost::system::result<Socket>`: the output of `acceptor.async_accept(futura::as_future)`.
  using item_type = output_t<accept_future>;

  /// Refers to `acceptor`, which must outlive the stream.
  explicit connection_stream(Acceptor& acceptor) noexcept : acceptor_(&acceptor) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (std::holds_alternative<ended>(stage_)) detail::polled_after_completion("futura::accept_stream");
    if (std::holds_alternative<idle>(stage_)) {
      // A closed acceptor would fail every accept at once (bad_descriptor): that is the end.
      if (!acceptor_->is_open()) return finish();
      stage_.template emplace<accepting>(accepting{acceptor_->async_accept(futura::as_future)});
    }
    poll_result<item_type> accepted = detail::poll_in_flight<ended>(stage_, std::get<accepting>(stage_).accept, w);
    if (accepted.is_pending()) return pending;
    stage_.template emplace<idle>();  // finished: the next poll starts the next accept
    item_type r = std::move(accepted).value();
    if (!r && r.error() == boost::asio::error::operation_aborted) return finish();
    return std::optional<item_type>(std::move(r));
  }

 private:
  struct idle {};
  struct accepting {
    accept_future accept;
  };
  struct ended {};

  std::optional<item_type> finish() noexcept {
    stage_.template emplace<ended>();
    return std::nullopt;
  }

  Acceptor* acceptor_;
  std::variant<idle, accepting, ended> stage_;
};

/// A stream of the connections `acceptor` accepts, one accept at a time: each item is a
/// `boost::system::result<Socket>` (an accepted socket, or the error of a failed accept, after
/// which the next poll accepts again); closing or cancelling the acceptor ends it. Dropping it
/// cancels the pending accept.
/// @code
///   boost::asio::io_context ctx;
///   boost::asio::ip::tcp::acceptor acceptor(ctx, {boost::asio::ip::tcp::v4(), 8080});
///   auto served = futura::accept_stream(acceptor).for_each([&](auto socket) {
///     if (socket) futura::spawn_detached(ctx, serve(std::move(*socket)));
///   });
///   futura::block_on(ctx, std::move(served));   // until acceptor.close()
/// @endcode
template <class Acceptor>
connection_stream<Acceptor> accept_stream(Acceptor& acceptor) noexcept {
  return connection_stream<Acceptor>(acceptor);
}

}  // namespace futura
