// Ask several mirrors for the same thing and take the first answer: select over fetches.
//
//   three mirror servers on 127.0.0.1, each answering after its own delay (it changes per round)
//   each round: select(fetch(mirror 0), fetch(mirror 1), fetch(mirror 2)) under block_on
//
// The first fetch to complete wins; select drops the two others before its poll returns, which
// cancels whatever they were doing (most likely waiting for the answer): their connections are
// closed and the mirrors' late answers go nowhere. The example prints who won each round and
// which fetches were cancelled.
#include <futura/asio/accept_stream.hpp>
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/read_lines.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/and_then.hpp>
#include <futura/combinator/select.hpp>
#include <futura/core.hpp>
#include <futura/stream.hpp>

#include <boost/asio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr int mirror_count = 3;
// delay_ms[round][mirror]: a different mirror is fastest in each round.
constexpr int delay_ms[3][mirror_count] = {{40, 5, 80}, {5, 60, 30}, {70, 45, 5}};

// ---- the mirrors ----------------------------------------------------------------------------------

struct mirror_connection {
  explicit mirror_connection(tcp::socket s) : socket(std::move(s)), lines(futura::read_lines(socket, 256)) {}
  tcp::socket socket;
  futura::line_stream<tcp::socket> lines;  // refers to the socket: declared after it
  std::string answer;
};

/// Answers one request line ("GET <what> <delay-ms>") after the delay it names.
auto answer_one(std::shared_ptr<mirror_connection> c, int mirror) {
  return c->lines.next()
      .then([c, mirror](std::optional<boost::system::result<std::string>> line) {
        const std::string request = line && *line ? line->value() : std::string("GET nothing 0");
        const int delay = std::stoi(request.substr(request.rfind(' ') + 1));
        c->answer =
            "mirror " + std::to_string(mirror) + " says: " + request.substr(4, request.find(' ', 4) - 4) + " is 42\n";
        return futura::sleep_for(c->socket.get_executor(), std::chrono::milliseconds(delay)).then([c] {
          return asio::async_write(c->socket, asio::buffer(c->answer), asio::consign(futura::as_future, c));
        });
      })
      .then([](boost::system::result<std::size_t>) {});  // a cancelled client is no error here
}

/// A mirror: answers every connection its acceptor accepts, all at once, until its task is
/// aborted (which drops the stream: the pending accept and the answers in flight are cancelled).
auto mirror_server(tcp::acceptor& acceptor, int mirror) {
  return futura::accept_stream(acceptor)
      .filter_map([](boost::system::result<tcp::socket> accepted) -> std::optional<tcp::socket> {
        if (accepted) return std::move(*accepted);
        return std::nullopt;  // a failed accept: go on accepting
      })
      .for_each_concurrent(0, [mirror](tcp::socket socket) {
        return answer_one(std::make_shared<mirror_connection>(std::move(socket)), mirror);
      });
}

// ---- the client -------------------------------------------------------------------------------------

struct fetch_state {
  explicit fetch_state(asio::io_context& ctx) : socket(ctx), lines(futura::read_lines(socket, 256)) {}
  tcp::socket socket;
  futura::line_stream<tcp::socket> lines;  // refers to the socket: declared after it
  std::string request;
  bool finished = false;
};

/// Prints a line when a fetch is dropped before it finished: what select's losers go through.
struct cancellation_report {
  std::shared_ptr<fetch_state> state;
  int mirror;
  cancellation_report(std::shared_ptr<fetch_state> s, int m) : state(std::move(s)), mirror(m) {}
  cancellation_report(cancellation_report&& o) noexcept : state(std::move(o.state)), mirror(o.mirror) {}
  cancellation_report(const cancellation_report&) = delete;
  cancellation_report& operator=(const cancellation_report&) = delete;
  cancellation_report& operator=(cancellation_report&&) = delete;
  ~cancellation_report() {
    if (state && !state->finished)
      std::printf("    fetch from mirror %d dropped: its operation is cancelled\n", mirror);
  }
};

/// Connect, send the request, read the answer line: a future of result<std::string>.
auto fetch(asio::io_context& ctx, tcp::endpoint mirror_at, int mirror, const std::string& what, int delay) {
  auto s = std::make_shared<fetch_state>(ctx);
  s->request = "GET " + what + " " + std::to_string(delay) + "\n";
  return s->socket.async_connect(mirror_at, asio::consign(futura::as_future, s))
      .and_then(
          [s] { return asio::async_write(s->socket, asio::buffer(s->request), asio::consign(futura::as_future, s)); })
      .and_then([s](std::size_t) {
        return s->lines.next().then([](std::optional<boost::system::result<std::string>> reply) {
          return reply ? *reply : boost::system::result<std::string>(asio::error::eof);  // eof: closed before a line
        });
      })
      .then([s, report = cancellation_report(s, mirror)](boost::system::result<std::string> reply) {
        s->finished = true;
        return reply;
      });
}

template <class Variant>
const boost::system::result<std::string>& winner_of(const Variant& v) {
  return std::visit([](const auto& r) -> const boost::system::result<std::string>& { return r; }, v);
}

}  // namespace

int main() {
  asio::io_context ctx;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<tcp::endpoint> mirrors;
  std::vector<futura::join_handle<futura::unit>> servers;
  for (int m = 0; m < mirror_count; ++m) {
    acceptors.push_back(std::make_unique<tcp::acceptor>(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0)));
    mirrors.push_back(acceptors.back()->local_endpoint());
    servers.push_back(futura::spawn(ctx, mirror_server(*acceptors.back(), m)));
  }

  int failures = 0;
  for (int round = 0; round < 3; ++round) {
    std::printf("round %d: mirrors answer after %d, %d and %d ms\n", round + 1, delay_ms[round][0], delay_ms[round][1],
                delay_ms[round][2]);
    auto first_answer = futura::select(fetch(ctx, mirrors[0], 0, "answer", delay_ms[round][0]),
                                       fetch(ctx, mirrors[1], 1, "answer", delay_ms[round][1]),
                                       fetch(ctx, mirrors[2], 2, "answer", delay_ms[round][2]));
    auto won = futura::block_on(ctx, std::move(first_answer));
    const auto& reply = winner_of(won);
    if (reply) {
      std::printf("  winner: mirror %zu: \"%s\"\n", won.index(), reply->c_str());
    } else {
      std::printf("  mirror %zu failed first: %s\n", won.index(), reply.error().message().c_str());
      ++failures;
    }
  }

  // Stop the mirrors (their pending accepts are cancelled) and let the late answers drain.
  for (auto& s : servers) s.abort();
  if (ctx.stopped()) ctx.restart();
  ctx.run();
  return failures == 0 ? 0 : 1;
}
