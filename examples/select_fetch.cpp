// Ask several mirrors for the same thing and take the first answer: select over fetches.
//
//   three mirror servers on 127.0.0.1, each answering after its own delay (it changes per round)
//   each round: select(fetch(mirror 0), fetch(mirror 1), fetch(mirror 2)) under block_on
//
// The first fetch to complete wins; select drops the two others before its poll returns, which
// cancels whatever they were doing (most likely waiting for the answer): their connections are
// closed and the mirrors' late answers go nowhere. The example prints who won each round and
// which fetches were cancelled.
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/and_then.hpp>
#include <futura/combinator/select.hpp>
#include <futura/core.hpp>

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
  explicit mirror_connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::string request;
  std::string answer;
};

/// Answers one request line ("GET <what> <delay-ms>\n") after the delay it names.
auto answer_one(std::shared_ptr<mirror_connection> c, int mirror) {
  return asio::async_read_until(c->socket, asio::dynamic_buffer(c->request), '\n', asio::consign(futura::as_future, c))
      .and_then([c, mirror](std::size_t) {
        const int delay = std::stoi(c->request.substr(c->request.rfind(' ') + 1));
        c->answer = "mirror " + std::to_string(mirror) + " says: " + c->request.substr(4, c->request.find(' ', 4) - 4) +
                    " is 42\n";
        return futura::sleep_for(c->socket.get_executor(), std::chrono::milliseconds(delay)).then([c] {
          return asio::async_write(c->socket, asio::buffer(c->answer), asio::consign(futura::as_future, c));
        });
      })
      .then([](boost::system::result<std::size_t>) {});  // a cancelled client is no error here
}

/// A mirror: accepts connections until its acceptor is cancelled (its task aborted), handing each
/// to a task of its own. A loop, as a future (futura::loop_fn).
auto mirror_server(tcp::acceptor& acceptor, int mirror) {
  return futura::loop_fn(futura::unit{}, [&acceptor, mirror](futura::unit) {
    return acceptor.async_accept(futura::as_future)
        .then([&acceptor,
               mirror](boost::system::result<tcp::socket> accepted) -> futura::loop_step<futura::unit, futura::unit> {
          if (!accepted) return futura::loop_break();
          auto c = std::make_shared<mirror_connection>(std::move(*accepted));
          futura::spawn_detached(acceptor.get_executor(), answer_one(std::move(c), mirror));
          return futura::loop_continue(futura::unit{});
        });
  });
}

// ---- the client -------------------------------------------------------------------------------------

struct fetch_state {
  explicit fetch_state(asio::io_context& ctx) : socket(ctx) {}
  tcp::socket socket;
  std::string request;
  std::string reply;
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
        return asio::async_read_until(s->socket, asio::dynamic_buffer(s->reply), '\n',
                                      asio::consign(futura::as_future, s));
      })
      .and_then([s, report = cancellation_report(s, mirror)](std::size_t n) {
        s->finished = true;
        return s->reply.substr(0, n - 1);
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
