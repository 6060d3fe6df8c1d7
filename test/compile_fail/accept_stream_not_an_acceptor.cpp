// expect: futura::accept_stream: the argument must be an Asio acceptor
#include <boost/asio/ip/tcp.hpp>
#include <futura/asio/accept_stream.hpp>
int main() {
  boost::asio::io_context ctx;
  boost::asio::ip::tcp::socket socket(ctx);
  auto connections = futura::accept_stream(socket);
  (void)connections;
}
