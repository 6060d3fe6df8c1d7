// The futura demo: a TCP echo server and many concurrent clients on one io_context, written
// as .then() pipelines of Asio operations, each request raced against a deadline.
//
//   server   accept_stream(acceptor) (a spawned task) -> each connection a task of a join_set,
//            on a strand of its own: read header -> read payload -> sleep for the delay the
//            client asked -> write back
//   client   stream of request numbers, for_each (one connection per request):
//            timeout(connect -> write -> read, --timeout-ms) -> check the echo, record latency
//   main     spawn the clients, join_all their handles, block_on while running the context
//
// Every tenth client is slow on purpose: on every other request it asks the server to wait
// three times the deadline before answering, so those requests time out. A time-out drops the
// request's pipeline, which cancels whichever operation was in flight (connect, write or read)
// and closes the connection: that is what "cancellation on drop" looks like from the outside.
//
// Usage: echo [--clients N] [--requests N] [--timeout-ms N] [--threads N] [--help]
#include <futura/asio/accept_stream.hpp>
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/join_set.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/and_then.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/core.hpp>
#include <futura/stream.hpp>

#include <boost/asio.hpp>

#include "command_line.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using strand = asio::strand<asio::io_context::executor_type>;
using strand_socket = asio::basic_stream_socket<tcp, strand>;

namespace {

// ---- options ---------------------------------------------------------------------------------

struct options {
  int clients = 40;
  int requests = 20;
  int timeout_ms = 50;
  int threads = 2;
};

const char* const usage =
    "usage: echo [--clients N] [--requests N] [--timeout-ms N] [--threads N] [--help]\n"
    "  --clients N      concurrent clients (1..10000, default 40)\n"
    "  --requests N     requests per client (1..100000, default 20)\n"
    "  --timeout-ms N   deadline of each request in milliseconds (1..60000, default 50)\n"
    "  --threads N      threads running the io_context, main included (1..64, default 2)\n";

const examples::command_line cli{"echo", usage};

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    std::optional<std::string> value;  // --name=value or --name value
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    int* target = name == "--clients"      ? &o.clients
                  : name == "--requests"   ? &o.requests
                  : name == "--timeout-ms" ? &o.timeout_ms
                  : name == "--threads"    ? &o.threads
                                           : nullptr;
    if (!target) cli.fail("unknown option '" + std::string(argv[i]) + "'");
    if (!value) {
      if (i + 1 == argc) cli.fail("option " + name + " needs a value");
      value = argv[++i];
    }
    const int high = target == &o.clients      ? 10000
                     : target == &o.requests   ? 100000
                     : target == &o.timeout_ms ? 60000
                                               : 64;
    *target = static_cast<int>(cli.number(name, value->c_str(), 1, high));
  }
  return o;
}

// ---- the protocol ---------------------------------------------------------------------------------

// A request is a 4-byte header {payload size, delay in ms; both big-endian 16-bit} and the
// payload; the reply is the payload, sent back after the delay.
using header = std::array<unsigned char, 4>;

header make_header(std::size_t size, int delay_ms) {
  return {static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size & 0xff),
          static_cast<unsigned char>(delay_ms >> 8), static_cast<unsigned char>(delay_ms & 0xff)};
}

struct server_stats {
  std::atomic<long> connections{0};
  std::atomic<long> echoed_bytes{0};
};

/// One server connection: every object its operations use lives here, and each operation owns
/// a reference (asio::consign), so a dropped or failed pipeline never leaves them dangling.
struct server_connection {
  explicit server_connection(strand_socket s) : socket(std::move(s)) {}
  strand_socket socket;
  header head{};
  std::vector<char> payload;
};

auto serve_one(std::shared_ptr<server_connection> c, server_stats& stats) {
  auto& sock = c->socket;
  return asio::async_read(sock, asio::buffer(c->head), asio::consign(futura::as_future, c))
      .and_then([c](std::size_t) {
        c->payload.resize(static_cast<std::size_t>(c->head[0]) << 8 | c->head[1]);
        return asio::async_read(c->socket, asio::buffer(c->payload), asio::consign(futura::as_future, c));
      })
      .and_then([c](std::size_t) {
        const auto delay = std::chrono::milliseconds(c->head[2] << 8 | c->head[3]);
        return futura::sleep_for(c->socket.get_executor(), delay).then([c] {
          return asio::async_write(c->socket, asio::buffer(c->payload), asio::consign(futura::as_future, c));
        });
      })
      .then([c, &stats](boost::system::result<std::size_t> wrote) {
        // A client that timed out has closed the connection: the write fails, and that is fine.
        if (wrote) stats.echoed_bytes += static_cast<long>(*wrote);
      });
}

/// Serves every connection the acceptor accepts, each in a task of `connections` on a strand of
/// its own (the socket moves onto that strand, so its operations and their cancellation run
/// there). Ends when the acceptor is closed; dropping it (aborting the server task) cancels the
/// pending accept, and destroying `connections` aborts the sessions still running.
auto accept_all(tcp::acceptor& acceptor, asio::io_context& ctx, server_stats& stats,
                futura::join_set<futura::unit>& connections) {
  return futura::accept_stream(acceptor).for_each([&](boost::system::result<tcp::socket> accepted) {
    if (!accepted) return;  // out of descriptors, say: accepting goes on
    ++stats.connections;
    strand ex = asio::make_strand(ctx);
    auto c = std::make_shared<server_connection>(strand_socket(ex, tcp::v4(), accepted->release()));
    connections.spawn(ex, serve_one(std::move(c), stats));
  });
}

// ---- the clients ----------------------------------------------------------------------------------

struct client_stats {
  int ok = 0;
  int timed_out = 0;
  int failed = 0;
  int corrupted = 0;
  long bytes = 0;
  std::vector<double> latencies_ms;  // of completed requests
};

/// One request: its own connection and buffers, owned by its operations (asio::consign).
struct exchange {
  exchange(const strand& ex, const std::vector<char>& payload, int delay_ms)
      : socket(ex), request(sizeof(header) + payload.size()), reply(payload.size()) {
    const header h = make_header(payload.size(), delay_ms);
    std::copy(h.begin(), h.end(), request.begin());
    std::copy(payload.begin(), payload.end(), request.begin() + sizeof(header));
  }
  strand_socket socket;
  std::vector<char> request;
  std::vector<char> reply;
  clock_type::time_point started;
};

std::vector<char> make_payload(int client, int request) {
  std::vector<char> p(16 + static_cast<std::size_t>((client * 31 + request * 17) % 240));
  std::uint32_t x = static_cast<std::uint32_t>(client) * 2654435761u + static_cast<std::uint32_t>(request) + 1u;
  for (char& c : p) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return p;
}

auto run_client(const strand& ex, tcp::endpoint server, int id, const options& o) {
  auto stats = std::make_shared<client_stats>();
  const bool slow = id % 10 == 9;
  auto request_numbers =
      futura::stream::repeat_with([n = 0]() mutable { return n++; }).take(static_cast<std::size_t>(o.requests));
  return std::move(request_numbers)
      .for_each([ex, server, id, slow, stats, o](int r) {
        const int delay_ms = slow && r % 2 == 1 ? 3 * o.timeout_ms : 0;
        auto x = std::make_shared<exchange>(ex, make_payload(id, r), delay_ms);
        auto request =
            futura::lazy([x, server] {
              x->started = clock_type::now();
              return x->socket.async_connect(server, asio::consign(futura::as_future, x));
            })
                .and_then([x] {
                  return asio::async_write(x->socket, asio::buffer(x->request), asio::consign(futura::as_future, x));
                })
                .and_then([x](std::size_t) {
                  return asio::async_read(x->socket, asio::buffer(x->reply), asio::consign(futura::as_future, x));
                });
        return futura::timeout(ex, std::move(request), std::chrono::milliseconds(o.timeout_ms))
            .then([x, stats](boost::system::result<boost::system::result<std::size_t>> got) {
              if (!got) {
                ++stats->timed_out;  // the pipeline is gone: its operation was cancelled
              } else if (!*got) {
                ++stats->failed;
              } else if (!std::equal(x->reply.begin(), x->reply.end(), x->request.begin() + sizeof(header))) {
                ++stats->corrupted;
              } else {
                ++stats->ok;
                stats->bytes += static_cast<long>(**got);
                stats->latencies_ms.push_back(
                    std::chrono::duration<double, std::milli>(clock_type::now() - x->started).count());
              }
            });
      })
      .then([stats] { return std::move(*stats); });
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const auto started = clock_type::now();

  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const tcp::endpoint server = acceptor.local_endpoint();
  server_stats sstats;
  futura::join_set<futura::unit> sessions;  // used by the server task, then by main once it ended
  const strand server_ex = asio::make_strand(ctx);
  auto server_task = futura::spawn(server_ex, accept_all(acceptor, ctx, sstats, sessions));

  std::vector<futura::join_handle<client_stats>> clients;
  clients.reserve(static_cast<std::size_t>(o.clients));
  for (int id = 0; id < o.clients; ++id) {
    strand ex = asio::make_strand(ctx);
    clients.push_back(futura::spawn(ex, run_client(ex, server, id, o)));
  }

  // This thread runs the context inside block_on; the others help with ctx.run().
  std::vector<std::thread> helpers;
  for (int i = 1; i < o.threads; ++i) helpers.emplace_back([&ctx] { ctx.run(); });
  std::vector<client_stats> results = futura::block_on(ctx, futura::join_all(std::move(clients)));

  // Stop accepting: close the acceptor on the server task's strand (the pending accept ends, so
  // do the accept stream and the task). Then join every session, in the order they end.
  asio::post(server_ex, [&acceptor] { acceptor.close(); });
  futura::block_on(ctx, std::move(server_task));
  futura::block_on(ctx, futura::loop_fn(futura::unit{}, [&sessions](futura::unit) {
                     return sessions.join_next().then(
                         [](std::optional<futura::unit> joined) -> futura::loop_step<futura::unit, futura::unit> {
                           if (joined) return futura::loop_continue(futura::unit{});
                           return futura::loop_break();
                         });
                   }));
  if (ctx.stopped()) ctx.restart();
  ctx.run();
  for (auto& t : helpers) t.join();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - started).count();

  client_stats total;
  for (client_stats& r : results) {
    total.ok += r.ok;
    total.timed_out += r.timed_out;
    total.failed += r.failed;
    total.corrupted += r.corrupted;
    total.bytes += r.bytes;
    total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  const int requests = o.clients * o.requests;
  const double p50 = percentile(total.latencies_ms, 0.50);
  const double p99 = percentile(total.latencies_ms, 0.99);

  std::printf("futura echo: %d clients x %d requests, deadline %d ms, %d thread%s\n", o.clients, o.requests,
              o.timeout_ms, o.threads, o.threads == 1 ? "" : "s");
  std::printf("  requests  %d: %d ok, %d timed out (cancelled), %d failed, %d corrupted\n", requests, total.ok,
              total.timed_out, total.failed, total.corrupted);
  std::printf(
      "  bytes     %ld echoed back intact (the server wrote %ld on %ld connections, also to clients that\n"
      "            had given up)\n",
      total.bytes, sstats.echoed_bytes.load(), sstats.connections.load());
  std::printf("  latency   p50 %.3f ms, p99 %.3f ms (completed requests)\n", p50, p99);
  std::printf("  elapsed   %.3f s\n", elapsed);
  return total.failed == 0 && total.corrupted == 0 && total.ok + total.timed_out == requests ? 0 : 1;
}
