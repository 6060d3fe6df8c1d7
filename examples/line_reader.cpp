// Read lines from a socket, waiting for each under a deadline, without losing a byte.
//
//   talker  (a task)  writes a few lines, then half a line, then goes quiet for a long while
//   reader  (a loop)  timeout(lines.next(), per-line deadline) over read_lines(socket)
//
// When the pause outlasts the deadline, the wait for that line times out: the reader notes it
// and waits again, up to a few times. Dropping `next()` loses nothing: the read in flight
// belongs to the line stream, not to the `next()` future, so the half line already received
// stays in the stream's buffer and the next wait picks up where the last one stopped. (Dropping
// the stream itself would lose the half line: see the cancel-safety table in docs/guide.md.)
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/read_lines.hpp>
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

/// The reader's side: the lines of its socket, each waited for under a deadline.
struct reader_state {
  explicit reader_state(asio::io_context& ctx) : socket(ctx), lines(futura::read_lines(socket, 1024)) {}
  tcp::socket socket;
  futura::line_stream<tcp::socket> lines;  // refers to the socket: declared after it
  int count = 0;
  int late = 0;
};

constexpr int patience = 6;  // deadlines missed in a row before giving up on the peer

/// Waits for lines until the stream ends or the peer has been too slow `patience` times in a row.
auto read_all(std::shared_ptr<reader_state> r) {
  return futura::loop_fn(0, [r = std::move(r)](int missed) {
    return futura::timeout(r->socket.get_executor(), r->lines.next(), line_deadline)
        .then([r, missed](boost::system::result<std::optional<boost::system::result<std::string>>> got)
                  -> futura::loop_step<futura::unit, int> {
          if (!got) {  // timed out: only the wait is dropped, the read goes on inside the stream
            ++r->late;
            std::printf("  no full line within %lld ms: waiting again\n",
                        static_cast<long long>(line_deadline.count()));
            if (missed + 1 == patience) return futura::loop_break();
            return futura::loop_continue(missed + 1);
          }
          if (!*got) {
            std::printf("  end of stream\n");
            return futura::loop_break();
          }
          if (!**got) {
            std::printf("  read failed: %s\n", (*got)->error().message().c_str());
            return futura::loop_break();
          }
          std::printf("  line %d: \"%s\"\n", ++r->count, (*got)->value().c_str());
          return futura::loop_continue(0);
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
        return read_all(r);
      }));
  futura::block_on(ctx, std::move(talking));
  std::printf("%d lines, %d deadlines missed; the line that came in two parts arrived whole\n", r->count, r->late);
  return r->count == 3 && r->late > 0 ? 0 : 1;  // three lines: the third came in two parts
}
