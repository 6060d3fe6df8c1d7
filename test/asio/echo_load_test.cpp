// Loopback load: many clients, many round trips each, on a two-thread io_context; every byte
// must come back intact, and the whole thing must stop by itself (no work guard, no stop()).
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/core/detail/config.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
// Every round trip is also raced against a timer that never fires in practice: each one arms
// and cancels a timer on the client's strand under load.
using futura_test::never_in_this_test;

namespace {

constexpr bool sanitized = FUTURA_HAS_ASAN || FUTURA_HAS_TSAN;

// The full load of the brief, scaled down under sanitizers (10x-20x slower) to stay bounded.
constexpr int client_count = sanitized ? 100 : 200;
constexpr int round_trips = sanitized ? 100 : 500;
constexpr std::size_t message_size = 64;

using strand = asio::strand<asio::io_context::executor_type>;
using strand_socket = asio::basic_stream_socket<tcp, strand>;

/// Runs `make(0)`, then `make(1)`, ... `make(n - 1)` one after the other (each a future of
/// `std::size_t`) and sums their outputs: a loop, as a future.
template <class Make>
class repeat_future : public futura::future_ext<repeat_future<Make>> {
  using step_type = std::invoke_result_t<Make&, int>;

 public:
  using output_type = std::size_t;
  repeat_future(int n, Make make) : n_(n), make_(std::move(make)) {}

  futura::poll_result<std::size_t> poll(futura::waker& w) {
    for (;;) {
      if (next_ == n_ && !step_) return total_;
      if (!step_) step_.emplace(make_(next_++));
      futura::poll_result<std::size_t> r = step_->poll(w);
      if (r.is_pending()) return futura::pending;
      total_ += r.value();
      step_.reset();
    }
  }

 private:
  int n_;
  int next_ = 0;
  Make make_;
  std::optional<step_type> step_;
  std::size_t total_ = 0;
};
template <class Make>
repeat_future<Make> repeat(int n, Make make) {
  return {n, std::move(make)};
}

/// The server side of one connection: read what comes, write it back, until the peer closes.
/// The socket and buffer live on the heap: the operations point at them while the future moves.
class echo_session : public futura::future_ext<echo_session> {
  struct connection {
    explicit connection(strand_socket s) : socket(std::move(s)) {}
    strand_socket socket;
    std::array<char, 1024> buffer{};
  };
  using read_future =
      decltype(std::declval<strand_socket&>().async_read_some(asio::mutable_buffer(), futura::as_future));
  using write_future =
      decltype(asio::async_write(std::declval<strand_socket&>(), asio::const_buffer(), futura::as_future));

 public:
  using output_type = std::size_t;  // bytes echoed
  explicit echo_session(strand_socket s) : c_(std::make_unique<connection>(std::move(s))) {}

  futura::poll_result<std::size_t> poll(futura::waker& w) {
    for (;;) {
      if (write_) {
        auto wrote = write_->poll(w);
        if (wrote.is_pending()) return futura::pending;
        write_.reset();
        if (!wrote.value()) return echoed_;
        echoed_ += *wrote.value();
      }
      if (!read_) {
        read_.emplace(
            c_->socket.async_read_some(asio::mutable_buffer(c_->buffer.data(), c_->buffer.size()), futura::as_future));
      }
      auto got = read_->poll(w);
      if (got.is_pending()) return futura::pending;
      read_.reset();
      if (!got.value()) return echoed_;  // eof: the client is done
      write_.emplace(
          asio::async_write(c_->socket, asio::const_buffer(c_->buffer.data(), *got.value()), futura::as_future));
    }
  }

 private:
  std::unique_ptr<connection> c_;
  std::optional<read_future> read_;
  std::optional<write_future> write_;
  std::size_t echoed_ = 0;
};

/// What one client saw.
struct client_report {
  std::size_t bytes = 0;
  int mismatches = 0;
};

/// The bytes client `id` sends in round `round`: different for every client and round.
void fill_message(std::vector<char>& out, int id, int round) {
  std::uint32_t x = static_cast<std::uint32_t>(id) * 2654435761u + static_cast<std::uint32_t>(round) * 40503u + 1u;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
}

/// One client: connect, then `round_trips` times write a message and read it back, each round
/// trip a .then() pipeline raced against a timer. Its socket runs on `ex`, as its task will.
auto make_client(const strand& ex, tcp::endpoint server, int id) {
  struct state {
    state(const strand& ex, int id) : socket(ex), id(id) {}
    strand_socket socket;
    int id;
    std::vector<char> sent = std::vector<char>(message_size);
    std::vector<char> received = std::vector<char>(message_size);
    client_report report;
  };
  auto s = std::make_shared<state>(ex, id);
  return s->socket.async_connect(server, futura::as_future).then([s](boost::system::result<void> connected) {
    if (!connected) throw boost::system::system_error(connected.error(), "connect");
    return repeat(round_trips,
                  [s](int round) {
                    fill_message(s->sent, s->id, round);
                    auto round_trip =
                        asio::async_write(s->socket, asio::buffer(s->sent), futura::as_future)
                            .then([s](boost::system::result<std::size_t> wrote) {
                              if (!wrote) throw boost::system::system_error(wrote.error(), "write");
                              return asio::async_read(s->socket, asio::buffer(s->received), futura::as_future);
                            });
                    return futura::timeout(s->socket.get_executor(), std::move(round_trip), never_in_this_test)
                        .then([s](boost::system::result<boost::system::result<std::size_t>> read) -> std::size_t {
                          if (!read) throw boost::system::system_error(read.error(), "round trip");
                          if (!*read) throw boost::system::system_error(read->error(), "read");
                          if (s->received != s->sent) ++s->report.mismatches;
                          return **read;
                        });
                  })
        .then([s](std::size_t bytes) {
          s->report.bytes = bytes;
          s->socket.shutdown(tcp::socket::shutdown_send);  // the server's session sees eof and ends
          return s->report;
        });
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(echo_load)

BOOST_AUTO_TEST_CASE(many_clients_echo_every_byte_intact_on_a_two_thread_context_and_stop_by_themselves) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const tcp::endpoint server = acceptor.local_endpoint();

  // Server: accept exactly client_count connections, each served by its own task on a strand.
  std::atomic<std::size_t> echoed{0};
  auto accept_loop = repeat(client_count, [&](int) {
    return acceptor.async_accept(asio::make_strand(ctx), futura::as_future)
        .then([&](boost::system::result<strand_socket> accepted) -> std::size_t {
          if (!accepted) throw boost::system::system_error(accepted.error(), "accept");
          auto ex = accepted->get_executor();
          futura::spawn_detached(ex, echo_session(std::move(*accepted)).then([&](std::size_t n) { echoed += n; }));
          return 1;
        });
  });
  auto accepted = futura::spawn(ctx, std::move(accept_loop));

  // Clients: one task each, on its socket's strand, joined here.
  std::vector<futura::join_handle<client_report>> clients;
  clients.reserve(client_count);
  for (int id = 0; id < client_count; ++id) {
    strand ex = asio::make_strand(ctx);
    clients.push_back(futura::spawn(ex, make_client(ex, server, id)));
  }
  auto all = futura::join_all(std::move(clients));

  // Two threads run the context; nothing keeps it alive but the tasks and their operations.
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { ctx.run(); });
  std::vector<client_report> reports = futura::block_on(std::move(all));
  std::size_t accepted_count = futura::block_on(std::move(accepted));
  for (auto& t : threads) t.join();  // returns by itself once every session has ended

  BOOST_TEST(accepted_count == static_cast<std::size_t>(client_count));
  BOOST_REQUIRE(reports.size() == static_cast<std::size_t>(client_count));
  std::size_t bytes = 0;
  int mismatches = 0;
  for (const client_report& r : reports) {
    bytes += r.bytes;
    mismatches += r.mismatches;
  }
  const std::size_t expected = static_cast<std::size_t>(client_count) * round_trips * message_size;
  BOOST_TEST(mismatches == 0);
  BOOST_TEST(bytes == expected);
  BOOST_TEST(echoed.load() == expected);
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_SUITE_END()
