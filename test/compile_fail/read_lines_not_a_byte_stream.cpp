// expect: futura::read_lines: the argument must be an Asio byte stream
#include <boost/asio/ip/tcp.hpp>
#include <futura/asio/read_lines.hpp>
int main() {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::acceptor acceptor(ctx);
  auto lines = futura::read_lines(acceptor);
  (void)lines;
}
