// futura::read_lines: line endings, EOF, limits, errors, take_buffered, drops.
#include <support/asio_support.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/read_lines.hpp>
#include <futura/stream/for_each.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

BOOST_AUTO_TEST_SUITE(read_lines_suite)

BOOST_AUTO_TEST_CASE(lf_and_crlf_lines) {
  asio::io_context ctx;
  futura_test::loopback_pair p(ctx);
  asio::write(p.client, asio::buffer(std::string("one\r\ntwo\n\nlast")));
  p.client.shutdown(tcp::socket::shutdown_send);
  std::vector<std::string> got;
  futura::block_on(ctx, futura::read_lines(p.server).for_each([&](boost::system::result<std::string> line) {
    BOOST_REQUIRE(line.has_value());
    got.push_back(*line);
  }));
  BOOST_TEST(got == (std::vector<std::string>{"one", "two", "", "last"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
