// Read lines from a socket, giving each line a deadline.
//
//   talker  (a task)  writes a few lines, then half a line, then goes quiet for a long while
//   reader  (a loop)  timeout(async_read_until('\n'), per-line deadline) for every line
//
// When the pause outlasts the deadline, the read of that line times out: the reader gives up on
// the slow peer, and the pending read is cancelled. Nothing it had received is lost: the half
// line is in the reader's dynamic buffer once the cancelled read has finished (its handler runs
// a little after the drop, on the socket's executor; until then the socket and the buffer are
// still in use by it, which is why the read owns them through asio::consign, and why the reader
// does not start another read right away). See the cancel-safety table in docs/guide.md.
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/asio/timer.hpp>
#include <futura/core.hpp>

#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

constexpr auto line_deadline = milliseconds(100);

// What the talker sends: (pause before, text). The pause before "dle..." outlasts the deadline.
const std::vector<std::pair<milliseconds, std::string>> script = {
    {milliseconds(0), "hello\n"},
    {milliseconds(10), "a second line\n"},
    {milliseconds(10), "a line cut in the mid"},
    {milliseconds(400), "dle, finished too late\n"},
};

/// The talker's side: accept one connection, then play the script (a stream of lines, each
/// written after its pause, one at a time) and close its sending side.
auto talker(tcp::acceptor& acceptor) {
  return acceptor.async_accept(futura::as_future).then([&acceptor](boost::system::result<tcp::socket> accepted) {
    // On the heap: the writes point at it while the futures move.
    auto socket = std::make_shared<tcp::socket>(accepted ? std::move(*accepted) : tcp::socket(acceptor.get_executor()));
    const std::size_t lines = accepted ? script.size() : 0;
    return futura::stream::iter(script)
        .take(lines)
        .for_each([&acceptor, socket](std::pair<milliseconds, std::string> line) {
          auto text = std::make_shared<std::string>(std::move(line.second));
          return futura::sleep_for(acceptor.get_executor(), line.first).then([socket, text] {
            return asio::async_write(*socket, asio::buffer(*text), asio::consign(futura::as_future, text));
          });
        })
        .then([socket] {
          if (socket->is_open()) socket->shutdown(tcp::socket::shutdown_send);  // the reader sees eof
        });
  });
}

/// The reader's side: one line at a time, each under a deadline.
struct reader_state {
  explicit reader_state(asio::io_context& ctx) : socket(ctx) {}
  tcp::socket socket;
  std::string pending;  // what arrived but is not a full line yet: survives a time-out
  int lines = 0;
  int timeouts = 0;
};

auto read_line(std::shared_ptr<reader_state> r) {
  auto read =
      asio::async_read_until(r->socket, asio::dynamic_buffer(r->pending), '\n', asio::consign(futura::as_future, r));
  return futura::timeout(r->socket.get_executor(), std::move(read), line_deadline)
      .then([r](boost::system::result<boost::system::result<std::size_t>> got) {
        if (!got) {  // timed out: the read is being cancelled
          ++r->timeouts;
          std::printf("  no full line within %lld ms: giving up on this peer (the read is cancelled)\n",
                      static_cast<long long>(line_deadline.count()));
          return false;
        }
        if (!*got) {
          std::printf("  end of stream: %s\n", got->error().message().c_str());
          return false;
        }
        const std::size_t n = **got;
        std::printf("  line %d: \"%s\"\n", ++r->lines, r->pending.substr(0, n - 1).c_str());
        r->pending.erase(0, n);
        return true;
      });
}

/// Keeps reading lines while read_line says so: a loop, as a future (futura::loop_fn).
auto read_lines(std::shared_ptr<reader_state> r) {
  return futura::loop_fn(futura::unit{}, [r = std::move(r)](futura::unit) {
    return read_line(r).then([](bool more) -> futura::loop_step<futura::unit, futura::unit> {
      if (more) return futura::loop_continue(futura::unit{});
      return futura::loop_break();
    });
  });
}

}  // namespace

int main() {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  auto talking = futura::spawn(ctx, talker(acceptor));

  auto r = std::make_shared<reader_state>(ctx);
  std::printf("reading lines, each within %lld ms:\n", static_cast<long long>(line_deadline.count()));
  futura::block_on(
      ctx,
      r->socket.async_connect(acceptor.local_endpoint(), futura::as_future).then([r](boost::system::result<void> c) {
        if (!c) throw boost::system::system_error(c.error(), "connect");
        return read_lines(r);
      }));
  // Let the talker finish; meanwhile the cancelled read's handler runs and settles the buffer.
  futura::block_on(ctx, std::move(talking));
  std::printf("%d full lines; kept in the reader's buffer, not lost: \"%s\"\n", r->lines, r->pending.c_str());
  return r->lines >= 2 ? 0 : 1;
}
