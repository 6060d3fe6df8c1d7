// The raw-Asio peer of examples/http_server.cpp: the same HTTP/1.1 keep-alive server on one
// thread, written with callbacks and as little code as serves the same answers to a load
// generator (GET / -> the same page; anything else -> 404; Connection: close honoured).
// bench/http/wrk_compare.py runs wrk against both.
//
// Usage: raw_asio_server [--port N]    prints "listening on 127.0.0.1:PORT"; stops at SIGINT/SIGTERM
#include <boost/asio.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

const std::string page =
    "<!doctype html>\n<html><head><title>futura</title></head>\n"
    "<body><h1>Hello from futura</h1><p>An HTTP/1.1 server written as futures.</p></body></html>\n";

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {}

  void read() {
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, 8192), "\r\n\r\n",
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t head) {
                             if (!ec) self->respond(head);
                           });
  }

 private:
  void respond(std::size_t head_size) {
    const std::string_view head(in_.data(), head_size);
    const std::size_t sp1 = head.find(' ');
    const std::size_t sp2 = head.find(' ', sp1 + 1);
    const std::string_view target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    keep_alive_ = head.find("\r\nConnection: close") == std::string_view::npos &&
                  head.find("\r\nconnection: close") == std::string_view::npos;
    const bool found = target == "/";
    const std::string_view body = found ? std::string_view(page) : std::string_view("Not Found");
    out_ = found ? "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                 : "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n";
    out_ += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out_ += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    out_ += body;
    in_.erase(0, head_size);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec && self->keep_alive_) self->read();
                      });
  }

  tcp::socket socket_;
  std::string in_;
  std::string out_;
  bool keep_alive_ = true;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<session>(std::move(s))->read();
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  if (argc == 3 && std::strcmp(argv[1], "--port") == 0) port = static_cast<unsigned short>(std::atoi(argv[2]));
  asio::io_context ctx(1);
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { ctx.stop(); });
  accept(acceptor);
  ctx.run();
  return 0;
}
