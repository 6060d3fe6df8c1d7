// Helpers shared by the Asio suites (as_future, timeout, timer, block_on_asio, echo_load,
// accept_stream, read_lines).
#pragma once

#include <boost/asio.hpp>

#include <chrono>

namespace futura_test {

// Long enough never to fire while a test runs: such timers are always cancelled, never awaited.
inline constexpr auto never_in_this_test = std::chrono::hours(1);

/// Runs every handler that is ready (also those made ready meanwhile) and tells whether the
/// context has no work left afterwards: the deterministic form of "run() would return at once".
inline bool drain(boost::asio::io_context& ctx) {
  ctx.restart();
  ctx.poll();
  return ctx.stopped();
}

/// Runs `ctx`'s handlers one at a time until `cw` (a counting waker) has been woken `wakes`
/// times; bounded, and true when it was.
template <class CountingWaker>
bool run_until_woken(boost::asio::io_context& ctx, const CountingWaker& cw, int wakes) {
  ctx.restart();
  for (int i = 0; i < 1000 && cw.wakes() < wakes; ++i) {
    if (ctx.run_one() == 0) ctx.restart();
  }
  return cw.wakes() >= wakes;
}

/// A connected TCP pair over 127.0.0.1 (set up synchronously).
struct loopback_pair {
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::ip::tcp::socket client;
  boost::asio::ip::tcp::socket server;
  explicit loopback_pair(boost::asio::io_context& ctx)
      : acceptor(ctx, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)),
        client(ctx),
        server(ctx) {
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

}  // namespace futura_test
