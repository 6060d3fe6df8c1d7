// bench/echo_bench.cpp — W6 echo: loopback TCP echo, 50 clients x 2,000 round trips of 64 bytes,
// server and clients on one io_context run by one thread (4 x 50 in smoke mode).
//
// Every client connects, then writes 64 bytes and reads the 64 bytes echoed back, 2,000 times,
// checking each echo; the server accepts the 50 connections and echoes until the client
// closes. TCP_NODELAY on every socket. A fresh acceptor (and fresh connections) per iteration,
// on an io_context with concurrency hint 1, re-run (restart()) for every iteration.
// Implementations (columns):
//   futura  hand-written futures over futura::as_future operations (async_accept,
//           async_connect, async_write, async_read): one spawned task per client, one per
//           server connection, and one accept loop
//   asio    the same with raw Asio callbacks; sessions and clients are objects owned by the
//           run, callbacks capture `this` (no shared_ptr: the least raw Asio needs)
// Time is per round trip (all clients together); counters: allocs and bytes per round trip.
#include <support/bench.hpp>
#include <support/tasks.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/core.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace {

using futura_bench::add;
using futura_bench::allocations_per_run;
using futura_bench::check;
using futura_bench::config;
using futura_bench::output_of;
using futura_bench::report_allocations;

namespace asio = boost::asio;
using asio::ip::tcp;

const char* const workload = "W6_echo";
constexpr std::size_t message_size = 64;
using message = std::array<char, message_size>;

/// The size of one run.
struct echo_shape {
  int clients;
  int round_trips;  // per client
};

echo_shape shape_of(const benchmark::State& state) {
  return {static_cast<int>(state.range(0)), static_cast<int>(state.range(1))};
}

/// Fills `m` with a pattern that differs per client and per round trip, so a misrouted or stale
/// echo is noticed.
void fill(message& m, int client, int round) {
  for (std::size_t i = 0; i < message_size; ++i)
    m[i] = static_cast<char>((client * 131 + round * 7 + static_cast<int>(i)) & 0x7f);
}

tcp::acceptor make_acceptor(asio::io_context& ctx) {
  tcp::acceptor a(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  a.set_option(tcp::no_delay(true));
  return a;
}

// ---- futura -----------------------------------------------------------------------------------

/// A socket and its buffers, on the heap: Asio keeps pointers into them while an operation
/// runs, and the futures that own them move (rule 2).
struct connection {
  explicit connection(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  message out{};
  message in{};
};

auto write_out(connection& c) { return asio::async_write(c.sock, asio::buffer(c.out), futura::as_future); }
auto read_in(connection& c) { return asio::async_read(c.sock, asio::buffer(c.in), futura::as_future); }
auto echo_back(connection& c) { return asio::async_write(c.sock, asio::buffer(c.in), futura::as_future); }
auto connect_to(connection& c, const tcp::endpoint& server) { return c.sock.async_connect(server, futura::as_future); }
auto accept_on(tcp::acceptor& a) { return a.async_accept(futura::as_future); }

using write_op = decltype(write_out(std::declval<connection&>()));
using read_op = decltype(read_in(std::declval<connection&>()));
using echo_op = decltype(echo_back(std::declval<connection&>()));
using connect_op = decltype(connect_to(std::declval<connection&>(), std::declval<const tcp::endpoint&>()));
using accept_op = decltype(accept_on(std::declval<tcp::acceptor&>()));

/// Server side of one connection: read 64 bytes, write them back, until the client closes.
/// Outputs the number of echoes.
class echo_session : public futura::future_ext<echo_session> {
 public:
  using output_type = int;
  explicit echo_session(tcp::socket s) : conn_(std::make_unique<connection>(std::move(s))), op_(read_in(*conn_)) {}

  futura::poll_result<int> poll(futura::waker& w) {
    for (;;) {
      if (auto* r = std::get_if<read_op>(&op_)) {
        auto n = r->poll(w);
        if (n.is_pending()) return futura::pending;
        if (!n.value()) return echoed_;  // end of stream: the client is done
        op_.emplace<echo_op>(echo_back(*conn_));
      }
      if (auto* e = std::get_if<echo_op>(&op_)) {
        auto n = e->poll(w);
        if (n.is_pending()) return futura::pending;
        if (!n.value()) return -1;
        ++echoed_;
        op_.emplace<read_op>(read_in(*conn_));
      }
    }
  }

 private:
  std::unique_ptr<connection> conn_;
  std::variant<read_op, echo_op> op_;
  int echoed_ = 0;
};

/// Accepts `clients` connections and spawns an echo_session for each; outputs how many.
class accept_loop : public futura::future_ext<accept_loop> {
 public:
  using output_type = int;
  accept_loop(asio::io_context& ctx, tcp::acceptor& a, int clients, std::vector<futura::join_handle<int>>& sessions)
      : ctx_(&ctx), acceptor_(&a), clients_(clients), sessions_(&sessions) {
    op_.emplace(accept_on(a));
  }

  futura::poll_result<int> poll(futura::waker& w) {
    for (;;) {
      auto s = op_->poll(w);
      if (s.is_pending()) return futura::pending;
      if (!s.value()) return -1;
      s.value()->set_option(tcp::no_delay(true));
      sessions_->push_back(futura::spawn(*ctx_, echo_session(std::move(*s.value()))));
      if (++accepted_ == clients_) return accepted_;
      op_.emplace(accept_on(*acceptor_));
    }
  }

 private:
  asio::io_context* ctx_;
  tcp::acceptor* acceptor_;
  int clients_;
  std::vector<futura::join_handle<int>>* sessions_;
  std::optional<accept_op> op_;
  int accepted_ = 0;
};

/// One client: connect, then `round_trips` times write 64 bytes and read the echo, checking it.
/// Outputs the number of good round trips (-1 on an error or a wrong echo).
class echo_client : public futura::future_ext<echo_client> {
 public:
  using output_type = int;
  echo_client(asio::io_context& ctx, const tcp::endpoint& server, int id, int round_trips)
      : conn_(std::make_unique<connection>(tcp::socket(ctx))),
        id_(id),
        round_trips_(round_trips),
        op_(connect_to(*conn_, server)) {}

  futura::poll_result<int> poll(futura::waker& w) {
    for (;;) {
      if (auto* c = std::get_if<connect_op>(&op_)) {
        auto r = c->poll(w);
        if (r.is_pending()) return futura::pending;
        if (!r.value()) return -1;
        conn_->sock.set_option(tcp::no_delay(true));
        start_round();
      }
      if (auto* wr = std::get_if<write_op>(&op_)) {
        auto r = wr->poll(w);
        if (r.is_pending()) return futura::pending;
        if (!r.value()) return -1;
        op_.emplace<read_op>(read_in(*conn_));
      }
      if (auto* rd = std::get_if<read_op>(&op_)) {
        auto r = rd->poll(w);
        if (r.is_pending()) return futura::pending;
        if (!r.value() || conn_->in != conn_->out) return -1;
        if (++done_ == round_trips_) {
          conn_.reset();  // closes the connection: the server's session ends
          return done_;
        }
        start_round();
      }
    }
  }

 private:
  void start_round() {
    fill(conn_->out, id_, done_);
    op_.emplace<write_op>(write_out(*conn_));
  }

  std::unique_ptr<connection> conn_;
  int id_;
  int round_trips_;
  int done_ = 0;
  std::variant<connect_op, write_op, read_op> op_;
};

/// True when every handle completed with `expected`.
bool all_gave(std::vector<futura::join_handle<int>>& handles, int expected, std::size_t count) {
  if (handles.size() != count) return false;
  bool ok = true;
  for (auto& h : handles) ok = output_of(h, -2) == expected && ok;
  return ok;
}

void futura_echo(benchmark::State& state) {
  const echo_shape shape = shape_of(state);
  const auto clients = static_cast<std::size_t>(shape.clients);
  asio::io_context ctx(1);
  bool ok = false;
  auto run = [&] {
    tcp::acceptor acceptor = make_acceptor(ctx);
    const tcp::endpoint server = acceptor.local_endpoint();
    std::vector<futura::join_handle<int>> sessions;
    sessions.reserve(clients);
    auto accepting = futura::spawn(ctx, accept_loop(ctx, acceptor, shape.clients, sessions));
    std::vector<futura::join_handle<int>> client_tasks;
    client_tasks.reserve(clients);
    for (int i = 0; i < shape.clients; ++i)
      client_tasks.push_back(futura::spawn(ctx, echo_client(ctx, server, i, shape.round_trips)));
    ctx.run();
    ctx.restart();
    ok = output_of(accepting, -2) == shape.clients;
    ok = all_gave(client_tasks, shape.round_trips, clients) && ok;
    ok = all_gave(sessions, shape.round_trips, clients) && ok;
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/futura", run);
  for (auto _ : state) run();
  check(state, ok, "W6 futura: every client got every echo right and every session echoed them all");
  report_allocations(state, allocs, static_cast<double>(shape.clients) * shape.round_trips);
}

// ---- raw Asio ---------------------------------------------------------------------------------

struct raw_session {
  explicit raw_session(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  message buf{};
  int echoed = 0;

  void read() {
    asio::async_read(sock, asio::buffer(buf), [this](boost::system::error_code ec, std::size_t) {
      if (!ec) write();
    });
  }
  void write() {
    asio::async_write(sock, asio::buffer(buf), [this](boost::system::error_code ec, std::size_t) {
      if (ec) {
        echoed = -1;
        return;
      }
      ++echoed;
      read();
    });
  }
};

struct raw_server {
  tcp::acceptor* acceptor;
  int clients;
  std::vector<std::unique_ptr<raw_session>> sessions;

  void accept() {
    acceptor->async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      s.set_option(tcp::no_delay(true));
      sessions.push_back(std::make_unique<raw_session>(std::move(s)));
      sessions.back()->read();
      if (static_cast<int>(sessions.size()) < clients) accept();
    });
  }
};

struct raw_client {
  raw_client(asio::io_context& ctx, int id_, int round_trips_) : sock(ctx), id(id_), round_trips(round_trips_) {}
  tcp::socket sock;
  message out{};
  message in{};
  int id;
  int round_trips;
  int done = 0;
  bool failed = false;

  void start(const tcp::endpoint& server) {
    sock.async_connect(server, [this](boost::system::error_code ec) {
      if (ec) {
        failed = true;
        return;
      }
      sock.set_option(tcp::no_delay(true));
      write();
    });
  }
  void write() {
    fill(out, id, done);
    asio::async_write(sock, asio::buffer(out), [this](boost::system::error_code ec, std::size_t) {
      if (ec) {
        failed = true;
        return;
      }
      read();
    });
  }
  void read() {
    asio::async_read(sock, asio::buffer(in), [this](boost::system::error_code ec, std::size_t) {
      if (ec || in != out) {
        failed = true;
        return;
      }
      if (++done == round_trips) {
        sock.close();  // the server's session ends
      } else {
        write();
      }
    });
  }
};

void asio_echo(benchmark::State& state) {
  const echo_shape shape = shape_of(state);
  asio::io_context ctx(1);
  bool ok = false;
  auto run = [&] {
    tcp::acceptor acceptor = make_acceptor(ctx);
    const tcp::endpoint server = acceptor.local_endpoint();
    raw_server srv{&acceptor, shape.clients, {}};
    srv.sessions.reserve(static_cast<std::size_t>(shape.clients));
    srv.accept();
    std::vector<std::unique_ptr<raw_client>> clients;
    for (int i = 0; i < shape.clients; ++i) {
      clients.push_back(std::make_unique<raw_client>(ctx, i, shape.round_trips));
      clients.back()->start(server);
    }
    ctx.run();
    ctx.restart();
    ok = static_cast<int>(srv.sessions.size()) == shape.clients;
    for (auto& c : clients) ok = ok && !c->failed && c->done == shape.round_trips;
    for (auto& s : srv.sessions) ok = ok && s->echoed == shape.round_trips;
  };
  const auto allocs = allocations_per_run(std::string(workload) + "/asio", run);
  for (auto _ : state) run();
  check(state, ok, "W6 asio: every client got every echo right and every session echoed them all");
  report_allocations(state, allocs, static_cast<double>(shape.clients) * shape.round_trips);
}

void register_w6(const config& cfg) {
  const std::int64_t clients = cfg.smoke ? 4 : 50;
  const std::int64_t round_trips = cfg.smoke ? 50 : 2'000;
  add(cfg, workload, "futura", &futura_echo)->Args({clients, round_trips})->ArgNames({"clients", "round_trips"});
  add(cfg, workload, "asio", &asio_echo)->Args({clients, round_trips})->ArgNames({"clients", "round_trips"});
}

const bool registered = futura_bench::add_registrar(&register_w6);

}  // namespace
