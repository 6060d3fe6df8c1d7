// The completion token futura::as_future: laziness, output mapping per signature shape, IO over
// loopback, error paths, wakers, and cancellation when a future is dropped mid-flight.
#include <support/asio_support.hpp>
#include <support/chaos_gate.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>
#include <support/strict_waker.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::loopback_pair;
using futura_test::never_in_this_test;

namespace {

/// Polls `f` once with a no-op waker: initiates its operation.
template <class F>
void start(F& f) {
  futura::waker w = futura::noop_waker();
  BOOST_REQUIRE(f.poll(w).is_pending());
}

/// What a spied operation's real completion handler saw.
struct spy_log {
  int calls = 0;
  error_code ec;
};

/// An initiation that starts a real operation with a handler that records its completion and
/// forwards it (and the cancellation slot) to the as_future handler: shows that Asio still runs
/// the handler after the future is gone, and with what error.
template <class Executor, class Start>
struct spying_initiation {
  Executor ex;
  Start start_op;
  std::shared_ptr<spy_log> log;

  Executor get_executor() const noexcept { return ex; }

  template <class Handler>
  void operator()(Handler handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    start_op(
        asio::bind_cancellation_slot(slot, [h = std::move(handler), log = log](error_code ec, auto... rest) mutable {
          ++log->calls;
          log->ec = ec;
          std::move(h)(ec, std::move(rest)...);
        }));
  }
};

template <class Signature, class Executor, class Start>
auto spied(Executor ex, std::shared_ptr<spy_log> log, Start start_op) {
  return asio::async_initiate<const futura::as_future_t&, Signature>(
      spying_initiation<Executor, Start>{ex, std::move(start_op), std::move(log)}, futura::as_future);
}

/// Initiates an operation of signature `Signature` that completes (posted to `ctx`) with `args`.
template <class Signature, class... Args>
auto completes_with(asio::io_context& ctx, Args... args) {
  return asio::async_initiate<const futura::as_future_t&, Signature>(
      [&ctx, args...](auto handler) mutable {
        asio::post(ctx, [h = std::move(handler), args...]() mutable { std::move(h)(std::move(args)...); });
      },
      futura::as_future);
}

template <class F>
using out = futura::output_t<F>;

}  // namespace

BOOST_AUTO_TEST_SUITE(as_future_token)

BOOST_AUTO_TEST_CASE(the_token_makes_a_future_of_the_operation) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, std::chrono::milliseconds(1));
  auto f = t.async_wait(futura::as_future);
  static_assert(futura::is_future_v<decltype(f)>);
  static_assert(std::is_same_v<out<decltype(f)>, boost::system::result<void>>);
  boost::system::result<void> r = futura::block_on(ctx, std::move(f));
  BOOST_TEST(r.has_value());
}

BOOST_AUTO_TEST_CASE(the_operation_is_initiated_at_the_first_poll_not_before) {
  asio::io_context ctx;
  int ran = 0;
  auto f = asio::async_initiate<const futura::as_future_t&, void()>(
      [&](auto handler) {
        ++ran;
        asio::post(ctx, std::move(handler));
      },
      futura::as_future);
  BOOST_TEST(ran == 0);
  BOOST_TEST(ctx.poll() == 0u);  // nothing was posted
  start(f);
  BOOST_TEST(ran == 1);
  ctx.restart();
  BOOST_TEST(ctx.poll() == 1u);  // the operation's completion
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
  BOOST_TEST(ran == 1);
}

BOOST_AUTO_TEST_CASE(the_future_has_the_future_ext_methods) {
  asio::io_context ctx;
  auto f = asio::post(ctx, futura::as_future).then([] { return 7; });
  BOOST_TEST(futura::block_on(ctx, std::move(f)) == 7);
}

BOOST_AUTO_TEST_CASE(a_handler_called_inside_the_initiation_completes_the_first_poll) {
  auto f = asio::async_initiate<const futura::as_future_t&, void(int)>([](auto handler) { std::move(handler)(42); },
                                                                       futura::as_future);
  counting_waker cw;
  futura::waker w = cw.make();
  futura::poll_result<int> r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value() == 42);
  BOOST_TEST(cw.live_clones() == 1);  // nothing kept a clone of the waker
}

BOOST_AUTO_TEST_CASE(a_continuation_may_return_a_token_future_which_then_flattens) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, std::chrono::milliseconds(1));
  auto f = asio::post(ctx, futura::as_future).then([&] { return t.async_wait(futura::as_future); });
  static_assert(std::is_same_v<out<decltype(f)>, boost::system::result<void>>);
  BOOST_TEST(futura::block_on(ctx, std::move(f)).has_value());
}

BOOST_AUTO_TEST_CASE(void_maps_to_unit) {
  asio::io_context ctx;
  auto f = asio::post(ctx, futura::as_future);
  static_assert(std::is_same_v<out<decltype(f)>, futura::unit>);
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == futura::unit{}));
}

BOOST_AUTO_TEST_CASE(a_single_value_maps_to_that_value) {
  asio::io_context ctx;
  auto f = completes_with<void(std::string)>(ctx, std::string("forty-two"));
  static_assert(std::is_same_v<out<decltype(f)>, std::string>);
  BOOST_TEST(futura::block_on(ctx, std::move(f)) == "forty-two");
}

BOOST_AUTO_TEST_CASE(several_values_map_to_a_tuple) {
  asio::io_context ctx;
  auto f = completes_with<void(int, std::string)>(ctx, 4, std::string("two"));
  static_assert(std::is_same_v<out<decltype(f)>, std::tuple<int, std::string>>);
  BOOST_TEST((futura::block_on(ctx, std::move(f)) == std::tuple<int, std::string>(4, "two")));
}

BOOST_AUTO_TEST_CASE(an_error_code_alone_maps_to_result_void) {
  asio::io_context ctx;
  auto ok = completes_with<void(error_code)>(ctx, error_code());
  static_assert(std::is_same_v<out<decltype(ok)>, boost::system::result<void>>);
  BOOST_TEST(futura::block_on(ctx, std::move(ok)).has_value());

  auto failed = completes_with<void(error_code)>(ctx, error_code(asio::error::eof));
  boost::system::result<void> r = futura::block_on(ctx, std::move(failed));
  BOOST_TEST(r.has_error());
  BOOST_TEST((r.error() == asio::error::eof));
}

BOOST_AUTO_TEST_CASE(an_error_code_and_a_value_map_to_result_of_the_value) {
  asio::io_context ctx;
  auto ok = completes_with<void(error_code, std::size_t)>(ctx, error_code(), std::size_t{12});
  static_assert(std::is_same_v<out<decltype(ok)>, boost::system::result<std::size_t>>);
  boost::system::result<std::size_t> r = futura::block_on(ctx, std::move(ok));
  BOOST_TEST(r.has_value());
  BOOST_TEST(*r == 12u);

  // On error the value is dropped: only the error is reported.
  auto failed = completes_with<void(error_code, std::size_t)>(ctx, error_code(asio::error::eof), std::size_t{3});
  boost::system::result<std::size_t> e = futura::block_on(ctx, std::move(failed));
  BOOST_TEST(e.has_error());
  BOOST_TEST((e.error() == asio::error::eof));
}

BOOST_AUTO_TEST_CASE(an_error_code_and_several_values_map_to_result_of_a_tuple) {
  asio::io_context ctx;
  auto ok = completes_with<void(error_code, int, std::string)>(ctx, error_code(), 1, std::string("x"));
  static_assert(std::is_same_v<out<decltype(ok)>, boost::system::result<std::tuple<int, std::string>>>);
  auto r = futura::block_on(ctx, std::move(ok));
  BOOST_TEST(r.has_value());
  BOOST_TEST((*r == std::tuple<int, std::string>(1, "x")));

  auto failed =
      completes_with<void(error_code, int, std::string)>(ctx, error_code(asio::error::timed_out), 1, std::string());
  auto e = futura::block_on(ctx, std::move(failed));
  BOOST_TEST((e.error() == asio::error::timed_out));
}

BOOST_AUTO_TEST_CASE(move_only_outputs_are_moved_through) {
  asio::io_context ctx;
  auto f = asio::async_initiate<const futura::as_future_t&, void(error_code, std::unique_ptr<int>)>(
      [&ctx](auto handler) {
        asio::post(ctx, [h = std::move(handler)]() mutable { std::move(h)(error_code(), std::make_unique<int>(5)); });
      },
      futura::as_future);
  boost::system::result<std::unique_ptr<int>> r = futura::block_on(ctx, std::move(f));
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(**r == 5);
}

BOOST_AUTO_TEST_CASE(the_handler_wakes_the_waker_of_the_last_poll_once) {
  asio::io_context ctx;
  auto f = asio::post(ctx, futura::as_future);
  counting_waker first;
  counting_waker second;
  futura::waker w1 = first.make();
  futura::waker w2 = second.make();
  BOOST_TEST(f.poll(w1).is_pending());
  BOOST_TEST(f.poll(w2).is_pending());
  BOOST_TEST(drain(ctx));
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(second.wakes() == 1);
  BOOST_TEST(f.poll(w2).is_ready());
}

BOOST_AUTO_TEST_CASE(the_future_may_move_between_polls) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, std::chrono::milliseconds(1));
  auto f = t.async_wait(futura::as_future);
  start(f);
  auto moved = std::move(f);
  auto again = std::move(moved);
  BOOST_TEST(futura::block_on(ctx, std::move(again)).has_value());
}

BOOST_AUTO_TEST_CASE(polling_after_completion_throws_polled_after_completion) {
  asio::io_context ctx;
  auto f = asio::post(ctx, futura::as_future);
  start(f);
  BOOST_TEST(drain(ctx));
  futura::waker w = futura::noop_waker();
  BOOST_TEST(f.poll(w).is_ready());
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_CASE(an_initiation_that_throws_propagates_from_the_first_poll) {
  auto f = asio::async_initiate<const futura::as_future_t&, void()>(
      [](auto) { throw std::runtime_error("cannot start"); }, futura::as_future);
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::polled_after_completion));
  }
}

BOOST_AUTO_TEST_CASE(a_handler_destroyed_uncalled_makes_the_future_throw_broken_promise) {
  std::optional<asio::io_context> ctx(std::in_place);
  auto f = asio::post(*ctx, futura::as_future);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_TEST(f.poll(w).is_pending());
  ctx.reset();  // destroys the posted handler without calling it
  BOOST_TEST(cw.wakes() == 1);
  try {
    (void)f.poll(w);
    BOOST_FAIL("expected future_error");
  } catch (const futura::future_error& e) {
    BOOST_TEST((e.code() == futura::error::broken_promise));
  }
}

BOOST_AUTO_TEST_CASE(an_initiation_that_throws_leaves_no_clone_of_the_waker) {
  // The first poll registers its waker before it initiates (docs/performance.md, "Change 12"):
  // when the initiation throws, the handler it destroyed wakes that waker once (spurious, and
  // harmless: the poll throws) and nothing keeps a clone.
  auto f = asio::async_initiate<const futura::as_future_t&, void()>(
      [](auto) { throw std::runtime_error("cannot start"); }, futura::as_future);
  futura_test::strict_waker target;
  futura::waker w = target.make();
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
  BOOST_TEST(target.live_clones() == 1);
  BOOST_TEST(target.wakes() <= 1);
  BOOST_TEST(target.underflows() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(as_future_loopback_io)

BOOST_AUTO_TEST_CASE(accept_connect_write_and_read_over_loopback) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client(ctx);

  auto accepted = acceptor.async_accept(futura::as_future);
  static_assert(std::is_same_v<out<decltype(accepted)>, boost::system::result<tcp::socket>>);
  auto connected = client.async_connect(acceptor.local_endpoint(), futura::as_future);
  start(connected);
  boost::system::result<tcp::socket> server = futura::block_on(ctx, std::move(accepted));
  BOOST_REQUIRE(server.has_value());
  BOOST_TEST(futura::block_on(ctx, std::move(connected)).has_value());

  const std::string message = "hello over loopback";
  auto wrote = futura::block_on(ctx, client.async_write_some(asio::buffer(message), futura::as_future));
  BOOST_REQUIRE(wrote.has_value());
  BOOST_TEST(*wrote == message.size());

  std::string got(message.size(), '\0');
  auto read = futura::block_on(ctx, asio::async_read(*server, asio::buffer(got), futura::as_future));
  BOOST_REQUIRE(read.has_value());
  BOOST_TEST(*read == message.size());
  BOOST_TEST(got == message);
}

BOOST_AUTO_TEST_CASE(async_read_with_transfer_exactly_gathers_several_writes) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 10> buf{};
  auto read = asio::async_read(pair.server, asio::buffer(buf), asio::transfer_exactly(6), futura::as_future);
  start(read);
  asio::write(pair.client, asio::buffer("abc", 3));
  BOOST_TEST(drain(ctx) == false);  // three bytes are not enough: still reading
  asio::write(pair.client, asio::buffer("defgh", 5));
  auto n = futura::block_on(ctx, std::move(read));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 6u);
  BOOST_TEST(std::string(buf.data(), 6) == "abcdef");
  // The two bytes past the exact count are still in the socket.
  std::array<char, 2> rest{};
  BOOST_TEST(asio::read(pair.server, asio::buffer(rest)) == 2u);
  BOOST_TEST(std::string(rest.data(), 2) == "gh");
}

BOOST_AUTO_TEST_CASE(async_resolve_of_a_numeric_loopback_address) {
  asio::io_context ctx;
  tcp::resolver resolver(ctx);
  auto r = futura::block_on(ctx, resolver.async_resolve("127.0.0.1", "7", futura::as_future));
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE(!r->empty());
  BOOST_TEST(r->begin()->endpoint().address().to_string() == "127.0.0.1");
  BOOST_TEST(r->begin()->endpoint().port() == 7);
}

BOOST_AUTO_TEST_CASE(connecting_to_a_closed_loopback_port_is_refused) {
  asio::io_context ctx;
  tcp::endpoint closed;
  {
    tcp::acceptor a(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    closed = a.local_endpoint();
  }  // closed: nothing listens there any more
  tcp::socket s(ctx);
  boost::system::result<void> r = futura::block_on(ctx, s.async_connect(closed, futura::as_future));
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST((r.error() == asio::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(an_operation_cancelled_by_its_io_object_reports_operation_aborted) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 8> buf{};
  auto read = pair.server.async_read_some(asio::buffer(buf), futura::as_future);
  start(read);
  pair.server.cancel();
  auto r = futura::block_on(ctx, std::move(read));
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST((r.error() == asio::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(the_peer_closing_reports_eof) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 8> buf{};
  auto read = pair.server.async_read_some(asio::buffer(buf), futura::as_future);
  start(read);
  pair.client.close();
  auto r = futura::block_on(ctx, std::move(read));
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST((r.error() == asio::error::eof));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(as_future_drop_cancels)

BOOST_AUTO_TEST_CASE(a_future_dropped_before_its_first_poll_starts_nothing) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 8> buf{};
  { auto read = pair.server.async_read_some(asio::buffer(buf), futura::as_future); }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_dropped_read_some_is_cancelled_and_the_next_read_gets_all_the_data) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  auto log = std::make_shared<spy_log>();
  std::array<char, 32> buf{};
  {
    auto read = spied<void(error_code, std::size_t)>(pair.server.get_executor(), log, [&](auto handler) {
      pair.server.async_read_some(asio::buffer(buf), std::move(handler));
    });
    start(read);
  }  // dropped before any data arrived: the cancellation is posted to the socket's executor
  BOOST_TEST(log->calls == 0);
  BOOST_TEST(drain(ctx));  // the cancellation ran, the read completed, no work is left
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));

  const std::string message = "all of it";
  asio::write(pair.client, asio::buffer(message));
  std::string got(message.size(), '\0');
  auto n = futura::block_on(ctx, asio::async_read(pair.server, asio::buffer(got), futura::as_future));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(got == message);
}

BOOST_AUTO_TEST_CASE(a_dropped_composed_read_is_cancelled_and_the_socket_stays_usable) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  auto log = std::make_shared<spy_log>();
  std::array<char, 8> buf{};
  {
    auto read = spied<void(error_code, std::size_t)>(pair.server.get_executor(), log, [&](auto handler) {
      asio::async_read(pair.server, asio::buffer(buf), asio::transfer_exactly(8), std::move(handler));
    });
    start(read);
  }
  BOOST_TEST(drain(ctx));
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));

  asio::write(pair.client, asio::buffer("12345678", 8));
  auto n = futura::block_on(ctx, asio::async_read(pair.server, asio::buffer(buf), futura::as_future));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(std::string(buf.data(), 8) == "12345678");
}

BOOST_AUTO_TEST_CASE(a_dropped_write_is_cancelled_and_the_socket_stays_usable) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  pair.client.set_option(asio::socket_base::send_buffer_size(4096));
  pair.server.set_option(asio::socket_base::receive_buffer_size(4096));
  // More than both socket buffers can hold while the peer does not read: the write pends.
  std::vector<char> big(8 * 1024 * 1024, 'x');
  auto log = std::make_shared<spy_log>();
  std::size_t written_before_drop = 0;
  {
    auto write = spied<void(error_code, std::size_t)>(pair.client.get_executor(), log, [&](auto handler) {
      auto slot = asio::get_associated_cancellation_slot(handler);
      asio::async_write(pair.client, asio::buffer(big),
                        asio::bind_cancellation_slot(
                            slot, [&written_before_drop, h = std::move(handler)](error_code ec, std::size_t n) mutable {
                              written_before_drop = n;
                              std::move(h)(ec, n);
                            }));
    });
    start(write);
    BOOST_TEST(!drain(ctx));  // still writing: the peer is not reading
  }
  BOOST_TEST(drain(ctx));
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));
  BOOST_TEST(written_before_drop < big.size());

  // The bytes written before the drop reached the peer; the socket still carries new writes.
  std::vector<char> received(written_before_drop + 3);
  auto read = asio::async_read(pair.server, asio::buffer(received), futura::as_future);
  start(read);  // drains the full socket buffers while the next write runs
  auto wrote = futura::block_on(ctx, asio::async_write(pair.client, asio::buffer("END", 3), futura::as_future));
  BOOST_REQUIRE(wrote.has_value());
  auto n = futura::block_on(ctx, std::move(read));
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(std::string(received.end() - 3, received.end()) == "END");
}

BOOST_AUTO_TEST_CASE(a_dropped_accept_is_cancelled_and_the_next_accept_gets_the_connection) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  auto log = std::make_shared<spy_log>();
  {
    auto accept = spied<void(error_code, tcp::socket)>(
        acceptor.get_executor(), log, [&](auto handler) { acceptor.async_accept(std::move(handler)); });
    start(accept);
  }
  BOOST_TEST(drain(ctx));
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));

  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  auto server = futura::block_on(ctx, acceptor.async_accept(futura::as_future));
  BOOST_REQUIRE(server.has_value());
  BOOST_TEST(server->remote_endpoint() == client.local_endpoint());
}

BOOST_AUTO_TEST_CASE(a_dropped_connect_is_cancelled_and_the_socket_can_connect_again) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client(ctx);
  auto log = std::make_shared<spy_log>();
  {
    auto connect = spied<void(error_code)>(client.get_executor(), log, [&](auto handler) {
      client.async_connect(acceptor.local_endpoint(), std::move(handler));
    });
    start(connect);
  }
  BOOST_TEST(drain(ctx));
  BOOST_TEST(log->calls == 1);
  // A loopback connect may complete before the cancellation runs; either way the handler ran
  // once and the socket is usable afterwards.
  BOOST_TEST((log->ec == asio::error::operation_aborted || !log->ec));
  if (log->ec) {
    client.close();
    auto again = futura::block_on(ctx, client.async_connect(acceptor.local_endpoint(), futura::as_future));
    BOOST_REQUIRE(again.has_value());
  }
  // The kernel may have queued the abandoned attempt too: take the connection of this socket.
  tcp::socket server = acceptor.accept();
  if (server.remote_endpoint() != client.local_endpoint()) server = acceptor.accept();
  BOOST_REQUIRE(server.remote_endpoint() == client.local_endpoint());
  asio::write(client, asio::buffer("ok", 2));
  std::array<char, 2> buf{};
  BOOST_TEST(asio::read(server, asio::buffer(buf)) == 2u);
}

BOOST_AUTO_TEST_CASE(a_dropped_timer_wait_is_cancelled_and_leaves_no_work) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, never_in_this_test);
  auto log = std::make_shared<spy_log>();
  {
    auto wait = spied<void(error_code)>(t.get_executor(), log, [&](auto handler) { t.async_wait(std::move(handler)); });
    start(wait);
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(drain(ctx));
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(the_plain_token_cancels_a_dropped_read_too) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  std::array<char, 8> buf{};
  {
    auto read = pair.server.async_read_some(asio::buffer(buf), futura::as_future);
    start(read);
    BOOST_TEST(!drain(ctx));
  }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_drop_on_the_executors_thread_cancels_inline) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, never_in_this_test);
  auto log = std::make_shared<spy_log>();
  auto make_wait = [&] {
    return spied<void(error_code)>(t.get_executor(), log, [&](auto h) { t.async_wait(std::move(h)); });
  };
  std::optional<decltype(make_wait())> wait(make_wait());
  start(*wait);
  std::size_t still_pending_after_drop = 99;
  asio::post(ctx, [&] {
    wait.reset();
    // Dispatched inline: the wait was cancelled before this handler returned, so the timer has
    // nothing pending any more (a posted cancellation would have left it pending here).
    still_pending_after_drop = t.cancel();
  });
  BOOST_TEST(drain(ctx));
  BOOST_TEST(still_pending_after_drop == 0u);
  BOOST_TEST(log->calls == 1);
  BOOST_TEST((log->ec == asio::error::operation_aborted));
}

BOOST_AUTO_TEST_CASE(consign_keeps_the_io_object_alive_until_a_dropped_operation_has_finished) {
  asio::io_context ctx;
  loopback_pair pair(ctx);
  // The socket and the buffer are owned by the operation only: the test keeps weak references.
  auto socket = std::make_shared<tcp::socket>(std::move(pair.server));
  auto buffer = std::make_shared<std::array<char, 16>>();
  std::weak_ptr<tcp::socket> weak_socket = socket;
  std::weak_ptr<std::array<char, 16>> weak_buffer = buffer;
  auto read = socket->async_read_some(asio::buffer(*buffer), asio::consign(futura::as_future, socket, buffer));
  start(read);
  socket.reset();
  buffer.reset();
  std::thread dropper([&] {
    auto dropped = std::move(read);  // off the executor: the cancellation is posted to it
  });
  dropper.join();
  BOOST_TEST(!weak_socket.expired());  // the pending operation still owns them
  BOOST_TEST(!weak_buffer.expired());
  ctx.restart();
  // Two handlers: the posted cancellation (the executor was found through consign), then the
  // aborted read. An inline cancellation would have left only the second.
  BOOST_TEST(ctx.poll() == 2u);
  BOOST_TEST(ctx.stopped());
  BOOST_TEST(weak_socket.expired());  // released with the handler
  BOOST_TEST(weak_buffer.expired());
}

BOOST_AUTO_TEST_CASE(the_executor_is_found_through_asio_token_adapters) {
  using strand_type = asio::strand<asio::io_context::executor_type>;
  struct initiation_on_a_strand {
    strand_type ex;
    strand_type get_executor() const noexcept { return ex; }
  };
  struct initiation_without_executor {};
  using consigned = asio::async_result<asio::consign_t<futura::as_future_t, int>, void(error_code)>;
  static_assert(
      std::is_same_v<futura::detail::initiation_executor<consigned::init_wrapper<initiation_on_a_strand>>::type,
                     strand_type>);
  static_assert(
      std::is_same_v<futura::detail::initiation_executor<consigned::init_wrapper<initiation_without_executor>>::type,
                     futura::detail::no_executor>);
  using appended = asio::async_result<asio::append_t<futura::as_future_t, int>, void(error_code)>;
  static_assert(
      std::is_same_v<futura::detail::initiation_executor<appended::init_wrapper<initiation_on_a_strand>>::type,
                     strand_type>);
  asio::io_context ctx;
  strand_type strand = asio::make_strand(ctx);
  consigned::init_wrapper<initiation_on_a_strand> wrapped(initiation_on_a_strand{strand});
  BOOST_TEST((futura::detail::initiation_executor<decltype(wrapped)>::get(wrapped) == strand));
}

BOOST_AUTO_TEST_CASE(a_completed_operation_posts_no_cancellation_when_dropped) {
  asio::io_context ctx;
  auto f = asio::post(ctx, futura::as_future);
  start(f);
  BOOST_TEST(drain(ctx));  // the handler ran, the result waits in the state
  { auto dropped = std::move(f); }
  ctx.restart();
  BOOST_TEST(ctx.poll() == 0u);  // nothing was posted by the drop
}

BOOST_AUTO_TEST_CASE(a_drop_releases_the_registered_waker_at_once) {
  asio::io_context ctx;
  asio::steady_timer t(ctx, never_in_this_test);
  counting_waker cw;
  futura::waker w = cw.make();
  {
    auto wait = t.async_wait(futura::as_future);
    BOOST_TEST(wait.poll(w).is_pending());
    BOOST_TEST(cw.live_clones() == 2);  // ours and the one the state keeps
  }
  BOOST_TEST(cw.live_clones() == 1);  // released before the operation's handler has run
  BOOST_TEST(drain(ctx));
  BOOST_TEST(cw.wakes() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(as_future_threads)

BOOST_AUTO_TEST_CASE(a_handler_on_another_thread_wakes_a_future_blocked_on_elsewhere) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread io([&] { ctx.run(); });
  for (int i = 0; i < 200; ++i) {
    auto r = futura::block_on(asio::post(ctx, futura::as_future).then([i] { return i; }));
    BOOST_REQUIRE(r == i);
  }
  guard.reset();
  io.join();
}

#if FUTURA_CHAOS_ENABLED
// The first poll initiates with its waker already registered, then asks whether the operation
// still runs. Here the operation completes on the io thread in between: its handler wakes the
// waker of the first poll, and that poll, seeing the operation finished, is ready at once.
BOOST_AUTO_TEST_CASE(an_operation_that_completes_on_another_thread_during_its_first_poll_is_ready_and_woken_once) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  futura_test::joining_thread io([&] { ctx.run(); });
  futura_test::strict_waker target;
  futura_test::chaos_gates gates;
  futura_test::chaos_gate& started = gates.add("async_op.started");
  auto f = asio::post(ctx, futura::as_future);
  bool ready = false;
  futura_test::joining_thread poller([&] {
    started.bind_this_thread();
    futura::waker w = target.make();
    ready = f.poll(w).is_ready();
  });
  BOOST_REQUIRE_MESSAGE(futura_test::reached_within(started), "async_op.started never reached");
  BOOST_REQUIRE_MESSAGE(futura_test::wait_until([&] { return target.wakes() == 1; }),
                        "the completion never woke the poll's waker");
  started.open();
  poller.join();
  BOOST_TEST(ready);
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(target.live_clones() == 0);
  guard.reset();
}
#endif

BOOST_AUTO_TEST_CASE(drops_racing_with_completions_on_another_thread_are_safe) {
  // Each timer is due at once, so its completion on the io thread races with the drop (and the
  // cancellation it posts) here; whichever wins, nothing leaks and nothing is touched after free.
  asio::io_context ctx;
  auto strand = asio::make_strand(ctx);
  auto guard = asio::make_work_guard(ctx);
  std::thread io([&] { ctx.run(); });
  std::atomic<int> handlers{0};
  for (int i = 0; i < 300; ++i) {
    auto t =
        std::make_shared<asio::basic_waitable_timer<std::chrono::steady_clock,
                                                    asio::wait_traits<std::chrono::steady_clock>, decltype(strand)>>(
            strand, std::chrono::steady_clock::now());
    auto log = std::make_shared<spy_log>();
    {
      // The timer is kept alive by the handler chain until it has completed.
      auto wait = spied<void(error_code)>(strand, log, [t, &handlers](auto h) {
        auto slot = asio::get_associated_cancellation_slot(h);
        t->async_wait(asio::bind_cancellation_slot(slot, [t, &handlers, h = std::move(h)](error_code ec) mutable {
          ++handlers;
          std::move(h)(ec);
        }));
      });
      futura::waker w = futura::noop_waker();
      (void)wait.poll(w);  // initiates; the timer may already have fired on the io thread
    }
  }
  guard.reset();
  io.join();
  BOOST_TEST(handlers.load() == 300);
}

BOOST_AUTO_TEST_SUITE_END()
