// The futura side of docs/migrating.md, compiled and run: the code between each pair of
// "docs/migrating.md" marker comments is the snippet the guide shows, character for character
// (the last suite checks it: edit both together). Each other test checks what the guide says the
// rewritten code does: its output, its error paths, and what a drop cancels. Loopback only.
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/futura.hpp>

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using futura_test::drain;
using futura_test::never_in_this_test;
using futura_test::probe;

namespace {

// docs/migrating.md (a) begin
// The socket, the resolver and the buffers live on the heap: Asio points into them while an
// operation runs, and the future that uses them may move between polls (rule 2).
struct fetch_state {
  explicit fetch_state(asio::io_context& ctx) : resolver(ctx), socket(ctx) {}
  tcp::resolver resolver;
  tcp::socket socket;
  std::string request;
  std::string reply;
};

// Resolves `host`, connects, sends `request` and reads one line back, within `deadline`.
// The output is the line without its '\n', or the first error (futura::error::timed_out for the
// deadline).
auto fetch_line(asio::io_context& ctx, const std::string& host, const std::string& port, std::string request,
                std::chrono::steady_clock::duration deadline) {
  auto s = std::make_shared<fetch_state>(ctx);
  s->request = std::move(request);
  // consign: every operation keeps `s` alive until its handler has run, also after a drop.
  auto exchange =
      s->resolver.async_resolve(host, port, asio::consign(futura::as_future, s))
          .and_then([s](const tcp::resolver::results_type& endpoints) {
            return asio::async_connect(s->socket, endpoints, asio::consign(futura::as_future, s));
          })
          .and_then([s](const tcp::endpoint&) {
            return asio::async_write(s->socket, asio::buffer(s->request), asio::consign(futura::as_future, s));
          })
          .and_then([s](std::size_t) {
            return asio::async_read_until(s->socket, asio::dynamic_buffer(s->reply), '\n',
                                          asio::consign(futura::as_future, s));
          })
          .and_then([s](std::size_t n) { return s->reply.substr(0, n - 1); });
  return futura::timeout(ctx, std::move(exchange), deadline)
      .then([](boost::system::result<boost::system::result<std::string>> r) -> boost::system::result<std::string> {
        if (!r) return r.error();  // timed out: `exchange` was dropped, so cancelled
        return *std::move(r);
      });
}
// docs/migrating.md (a) end

// docs/migrating.md (b) begin
// The client library's interface, now returning futura futures (boxed: virtual functions need
// one type).
struct directory {
  virtual ~directory() = default;
  virtual futura::boxed_future<std::string> fetch_user(int id) = 0;
  virtual futura::boxed_future<int> count_orders(int id) = 0;
};

auto summary(directory& dir, int id) {
  auto name =
      dir.fetch_user(id).then([](std::string n) { return n.empty() ? std::string("(unknown)") : std::move(n); });
  return futura::join(std::move(name), dir.count_orders(id)).then([](const std::tuple<std::string, int>& parts) {
    const auto& [user, orders] = parts;
    return user + ": " + std::to_string(orders) + " orders";
  });
}
// docs/migrating.md (b) end

// docs/migrating.md (std::async) begin
unsigned checksum(const std::string& text) {
  unsigned sum = 0;
  for (char c : text) sum = sum * 31U + static_cast<unsigned char>(c);
  return sum;
}

unsigned checksum_on(asio::thread_pool& pool, std::string text) {
  // std::async(std::launch::async, checksum, text).get() becomes:
  auto h = futura::spawn(pool, futura::lazy([text = std::move(text)] { return checksum(text); }));
  return futura::block_on(std::move(h));  // rethrows what checksum threw
}
// docs/migrating.md (std::async) end

// docs/migrating.md (strand) begin
// Tasks spawned on one strand are never polled at once: they share `hits` without a lock, as
// handlers on that strand would.
int count_on_strand(asio::thread_pool& pool, int tasks) {
  auto strand = asio::make_strand(pool);
  int hits = 0;
  std::vector<futura::join_handle<futura::unit>> handles;
  handles.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i)
    handles.push_back(futura::spawn(strand, futura::yield_now().then([&hits] { ++hits; })));
  futura::block_on(futura::join_all(std::move(handles)));
  return hits;
}
// docs/migrating.md (strand) end

// docs/migrating.md (onTimeout) begin
// folly: std::move(f).onTimeout(d, [] { return fallback; })
template <class F>
auto or_fallback(asio::io_context& ctx, F f, std::chrono::milliseconds d, futura::output_t<F> fallback) {
  return futura::timeout(ctx, std::move(f), d).then([fallback](boost::system::result<futura::output_t<F>> r) {
    return r ? *std::move(r) : fallback;
  });
}
// docs/migrating.md (onTimeout) end

// docs/migrating.md (c) begin
// The output is the connected socket, or the last error.
auto connect_with_retry(asio::io_context& ctx, tcp::endpoint server) {
  auto socket = std::make_shared<tcp::socket>(ctx);
  futura::backoff policy;  // an aggregate: set what differs from the defaults
  policy.max_attempts = 5;
  policy.initial_delay = std::chrono::milliseconds(100);
  policy.jitter = false;  // 100 ms, 200 ms, 400 ms, 800 ms
  return futura::retry(
             ctx.get_executor(), policy,
             [socket, server] {
               boost::system::error_code ignored;
               socket->close(ignored);  // a failed connect leaves the socket open
               return socket->async_connect(server, asio::consign(futura::as_future, socket));
             },
             [](const boost::system::error_code& ec) { return ec == asio::error::connection_refused; })
      .and_then([socket] { return std::move(*socket); });
}
// docs/migrating.md (c) end

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The regions of `source` between "// docs/migrating.md (NAME) begin" and "... (NAME) end" lines,
/// by name, without the marker lines.
std::vector<std::pair<std::string, std::string>> marked_snippets(const std::string& source) {
  const std::string marker = "\n// docs/migrating.md (";
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while ((at = source.find(marker, at)) != std::string::npos) {
    const std::size_t name_begin = at + marker.size();
    const std::size_t name_end = source.find(") begin\n", name_begin);
    if (name_end == std::string::npos) break;
    const std::string name = source.substr(name_begin, name_end - name_begin);
    const std::size_t body = name_end + std::string(") begin\n").size();
    const std::size_t end = source.find(marker + name + ") end\n", body);
    if (end == std::string::npos) break;
    out.emplace_back(name, source.substr(body, end + 1 - body));
    at = end + 1;
  }
  return out;
}

/// A loopback server that reads one line and answers `reply`, then closes.
auto serve_one_line(tcp::acceptor& acceptor, std::string reply, std::shared_ptr<std::string> received) {
  auto socket = std::make_shared<tcp::socket>(acceptor.get_executor());
  return acceptor.async_accept(*socket, futura::as_future)
      .and_then([socket, received = std::move(received)] {
        return asio::async_read_until(*socket, asio::dynamic_buffer(*received), '\n', futura::as_future);
      })
      .and_then([socket, reply = std::move(reply)](std::size_t) {
        return asio::async_write(*socket, asio::buffer(reply), futura::as_future);
      });
}

tcp::acceptor loopback_acceptor(asio::io_context& ctx) {
  return tcp::acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
}

std::string port_of(const tcp::acceptor& a) { return std::to_string(a.local_endpoint().port()); }

/// A directory whose answers the test gives through probes (single thread) or promises (threads).
struct probe_directory : directory {
  probe<std::string> user;
  probe<int> orders;
  int calls = 0;
  futura::boxed_future<std::string> fetch_user(int) override {
    ++calls;
    return user.future();
  }
  futura::boxed_future<int> count_orders(int) override {
    ++calls;
    return orders.future();
  }
};

struct promise_directory : directory {
  futura::promise<std::string> user;
  futura::promise<int> orders;
  futura::boxed_future<std::string> fetch_user(int) override { return user.get_future(); }
  futura::boxed_future<int> count_orders(int) override { return orders.get_future(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(migrating_rewrite_a_callback_pyramid)

BOOST_AUTO_TEST_CASE(fetch_line_resolves_connects_writes_and_reads_one_line) {
  asio::io_context ctx;
  tcp::acceptor acceptor = loopback_acceptor(ctx);
  auto received = std::make_shared<std::string>();
  auto both = futura::join(fetch_line(ctx, "127.0.0.1", port_of(acceptor), "ping\n", never_in_this_test),
                           serve_one_line(acceptor, "pong\nrest", received));
  auto [line, served] = futura::block_on(ctx, std::move(both));
  BOOST_REQUIRE(served.has_value());
  BOOST_REQUIRE(line.has_value());
  BOOST_TEST(*line == "pong");
  BOOST_TEST(*received == "ping\n");
  BOOST_TEST(drain(ctx));  // the deadline's timer was cancelled and left no work behind
}

BOOST_AUTO_TEST_CASE(nothing_starts_before_the_first_poll) {
  asio::io_context ctx;
  tcp::acceptor acceptor = loopback_acceptor(ctx);
  acceptor.non_blocking(true);
  {
    auto f = fetch_line(ctx, "127.0.0.1", port_of(acceptor), "ping\n", never_in_this_test);
    BOOST_TEST(drain(ctx));  // no resolve, no timer: nothing was queued
  }
  boost::system::error_code ec;
  tcp::socket s = acceptor.accept(ec);
  BOOST_TEST((ec == asio::error::would_block));  // and nobody connected
}

BOOST_AUTO_TEST_CASE(a_silent_server_gives_timed_out_and_the_dropped_exchange_closes_the_socket) {
  asio::io_context ctx;
  tcp::acceptor acceptor = loopback_acceptor(ctx);
  tcp::socket server(ctx);
  // The server accepts and reads the request but never answers.
  auto silent = acceptor.async_accept(server, futura::as_future);
  auto r = futura::block_on(
      ctx, futura::join(fetch_line(ctx, "127.0.0.1", port_of(acceptor), "ping\n", std::chrono::milliseconds(20)),
                        std::move(silent)));
  BOOST_REQUIRE(std::get<1>(r).has_value());
  BOOST_REQUIRE(std::get<0>(r).has_error());
  BOOST_TEST((std::get<0>(r).error() == futura::error::timed_out));
  BOOST_TEST(drain(ctx));  // the cancelled read's handler ran and released the state
  // The state (and its socket) is gone, so the server reads the request and then end of file.
  std::string request;
  boost::system::error_code ec;
  asio::read(server, asio::dynamic_buffer(request), ec);
  BOOST_TEST((ec == asio::error::eof));
  BOOST_TEST(request == "ping\n");
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_the_error_and_skips_the_rest) {
  asio::io_context ctx;
  std::string port;
  {
    tcp::acceptor closed = loopback_acceptor(ctx);
    port = port_of(closed);
  }  // nobody listens there any more
  auto r = futura::block_on(ctx, fetch_line(ctx, "127.0.0.1", port, "ping\n", never_in_this_test));
  BOOST_REQUIRE(r.has_error());
  BOOST_TEST((r.error() == asio::error::connection_refused));
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_line_cut_by_end_of_file_is_an_error) {
  asio::io_context ctx;
  tcp::acceptor acceptor = loopback_acceptor(ctx);
  auto received = std::make_shared<std::string>();
  auto both = futura::join(fetch_line(ctx, "127.0.0.1", port_of(acceptor), "ping\n", never_in_this_test),
                           serve_one_line(acceptor, "no newline", received));
  auto [line, served] = futura::block_on(ctx, std::move(both));
  BOOST_REQUIRE(served.has_value());
  BOOST_REQUIRE(line.has_error());
  BOOST_TEST((line.error() == asio::error::eof));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(migrating_rewrite_b_then_and_when_all)

BOOST_AUTO_TEST_CASE(summary_joins_both_answers_in_any_order) {
  probe_directory dir;
  futura_test::counting_waker cw;
  futura::waker w = cw.make();
  auto f = summary(dir, 7);
  BOOST_TEST(dir.calls == 2);  // the calls were made, but the futures they returned are lazy
  BOOST_TEST(dir.user.polls() == 0);
  BOOST_TEST(f.poll(w).is_pending());
  BOOST_TEST(dir.user.polls() == 1);
  BOOST_TEST(dir.orders.polls() == 1);
  dir.orders.complete(3);
  BOOST_TEST(f.poll(w).is_pending());
  dir.user.complete("ada");
  auto r = f.poll(w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.take() == "ada: 3 orders");
}

BOOST_AUTO_TEST_CASE(an_empty_name_is_replaced) {
  probe_directory dir;
  dir.user.complete("");
  dir.orders.complete(0);
  BOOST_TEST(futura::block_on(summary(dir, 1)) == "(unknown): 0 orders");
}

BOOST_AUTO_TEST_CASE(a_failure_propagates_and_drops_the_other_request) {
  probe_directory dir;
  futura_test::counting_waker cw;
  {
    auto f = summary(dir, 7);
    futura::waker w = cw.make();
    BOOST_TEST(f.poll(w).is_pending());
    dir.user.fail("no such user");
    BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);
    BOOST_TEST(dir.user.dropped());
  }
  BOOST_TEST(dir.orders.dropped());  // the join completed by throwing; dropping it cancels the rest
  BOOST_TEST(dir.orders.drops() == 1);
  BOOST_TEST(cw.live_clones() == 0);  // and no waker clone leaked
}

BOOST_AUTO_TEST_CASE(answers_set_on_other_threads_wake_block_on) {
  promise_directory dir;
  auto f = summary(dir, 7);
  std::thread orders([p = std::move(dir.orders)]() mutable { p.set_value(12); });
  std::thread user([p = std::move(dir.user)]() mutable { p.set_value("grace"); });
  const std::string text = futura::block_on(std::move(f));
  BOOST_TEST(text == "grace: 12 orders");
  orders.join();
  user.join();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(migrating_rewrite_c_retry)

BOOST_AUTO_TEST_CASE(connects_at_the_first_attempt_when_the_server_listens) {
  asio::io_context ctx;
  tcp::acceptor acceptor = loopback_acceptor(ctx);
  tcp::socket accepted(ctx);
  acceptor.async_accept(accepted, [](boost::system::error_code) {});
  boost::system::result<tcp::socket> socket = futura::block_on(ctx, connect_with_retry(ctx, acceptor.local_endpoint()));
  BOOST_REQUIRE(socket.has_value());
  BOOST_TEST(socket->remote_endpoint().port() == acceptor.local_endpoint().port());
}

BOOST_AUTO_TEST_CASE(gives_up_with_the_last_error_after_five_refused_attempts) {
  asio::io_context ctx;
  tcp::endpoint nobody;
  {
    tcp::acceptor closed = loopback_acceptor(ctx);  // a port that was free a moment ago
    nobody = closed.local_endpoint();
  }
  boost::system::result<tcp::socket> socket = futura::block_on(ctx, connect_with_retry(ctx, nobody));
  BOOST_REQUIRE(!socket.has_value());
  BOOST_TEST(socket.error() == asio::error::connection_refused);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(migrating_table_snippets)

BOOST_AUTO_TEST_CASE(std_async_becomes_spawn_on_a_pool_and_block_on) {
  asio::thread_pool pool(2);
  BOOST_TEST(checksum_on(pool, "futura") == checksum("futura"));
  pool.join();
}

BOOST_AUTO_TEST_CASE(tasks_on_one_strand_never_run_at_once) {
  asio::thread_pool pool(2);
  BOOST_TEST(count_on_strand(pool, 64) == 64);
  pool.join();
}

BOOST_AUTO_TEST_CASE(on_timeout_gives_the_value_in_time_and_the_fallback_late) {
  asio::io_context ctx;
  BOOST_TEST(futura::block_on(ctx, or_fallback(ctx, futura::ready(1), std::chrono::hours(1), -1)) == 1);
  probe<int> never;
  BOOST_TEST(futura::block_on(ctx, or_fallback(ctx, never.future(), std::chrono::milliseconds(1), -1)) == -1);
  BOOST_TEST(never.dropped());
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(block_on_inside_a_handler_of_its_context_throws_logic_error) {
  asio::io_context ctx;
  bool threw = false;
  asio::post(ctx, [&] {
    try {
      futura::block_on(ctx, futura::ready(1));
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  ctx.run();
  BOOST_TEST(threw);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(migrating_guide_text)

BOOST_AUTO_TEST_CASE(every_marked_snippet_is_printed_in_the_guide_as_it_is_here) {
  const std::string this_file = __FILE__;
  const std::string suffix = "test/asio/migrating_examples_test.cpp";
  BOOST_REQUIRE(this_file.size() > suffix.size());
  BOOST_REQUIRE(this_file.compare(this_file.size() - suffix.size(), suffix.size(), suffix) == 0);
  const std::string root = this_file.substr(0, this_file.size() - suffix.size());
  const std::string source = read_text(this_file);
  const std::string guide = read_text(root + "docs/migrating.md");
  BOOST_REQUIRE(!guide.empty());
  const auto snippets = marked_snippets(source);
  BOOST_TEST(snippets.size() == 6U);  // (a), (b), std::async, strand, onTimeout, (c)
  for (const auto& [name, code] : snippets) {
    BOOST_TEST_INFO("snippet " << name);
    BOOST_TEST(guide.find("```cpp\n" + code + "```\n") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
