// A small HTTP/1.1 server with keep-alive, on one thread, written as futures.
//
//   accept_stream(acceptor)                     every connection, until the acceptor is closed
//     .for_each_concurrent(limit, serve)        up to `limit` connections at once
//   serve(connection) = loop {                  one request per iteration, while kept alive
//       read_head    read_lines: request line, then header lines up to the empty line
//       read_body    Content-Length bytes (the bytes read_lines had buffered, then the socket)
//       respond      async_write of the whole response
//   }
//
//   SIGINT/SIGTERM --> close the acceptor       the accept stream ends: no new connections
//                      cancel `shutdown`        idle keep-alive connections close
//                      wait `--grace-ms`        requests in flight finish and close...
//                      (or until a second signal)
//                      then drop what is left   ...or are cancelled: a dropped future cancels its IO
//
// GET / answers a fixed page; /echo answers with the request's body (any method); anything else
// is 404. A malformed request or an oversized header line gets 400, a body over the limit 413,
// a request that stalls past `--request-ms` 408; each then closes the connection, and the server
// goes on serving the others. A connection idle for `--idle-ms` between requests is closed.
//
// It prints "listening on 127.0.0.1:PORT" when it is ready (port 0: the kernel picks one) and,
// when it stops, what it served.
//
// Usage: http_server [--port N] [--limit N] [--idle-ms N] [--request-ms N] [--grace-ms N] [--help]
#include <futura/asio/accept_stream.hpp>
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/read_lines.hpp>
#include <futura/asio/timer.hpp>
#include <futura/combinator/either.hpp>
#include <futura/core.hpp>
#include <futura/stream.hpp>
#include <futura/sync/cancellation_token.hpp>
#include <futura/sync/with_cancellation.hpp>

#include <boost/asio.hpp>

#include "command_line.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// ---- options ---------------------------------------------------------------------------------

struct options {
  unsigned short port = 8080;
  std::size_t limit = 1000;        // connections served at once
  milliseconds idle{5000};         // between two requests of a connection
  milliseconds request{5000};      // from a request's first line to its last body byte
  milliseconds grace{2000};        // for requests in flight at shutdown
  std::size_t max_line = 8192;     // bytes in the request line or one header line
  std::size_t max_body = 1 << 20;  // bytes of a request body
};

const char* const usage =
    "usage: http_server [--port N] [--limit N] [--idle-ms N] [--request-ms N] [--grace-ms N] [--help]\n"
    "  --port N         TCP port on 127.0.0.1 (0: any free port; default 8080)\n"
    "  --limit N        connections served at once (default 1000)\n"
    "  --idle-ms N      close a connection idle this long between requests (default 5000)\n"
    "  --request-ms N   answer 408 to a request not received in full this long after it began (default 5000)\n"
    "  --grace-ms N     at SIGINT/SIGTERM, time left to requests in flight (default 2000)\n";

const examples::command_line cli{"http_server", usage};

options parse_options(int argc, char** argv) {
  options o;
  int i = 1;
  while (i < argc) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--help") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--port") {
      o.port = static_cast<unsigned short>(cli.number(arg, value, 0, 65535));
    } else if (arg == "--limit") {
      o.limit = static_cast<std::size_t>(cli.number(arg, value, 1, 100000));
    } else if (arg == "--idle-ms") {
      o.idle = milliseconds(cli.number(arg, value, 1, 3600000));
    } else if (arg == "--request-ms") {
      o.request = milliseconds(cli.number(arg, value, 1, 3600000));
    } else if (arg == "--grace-ms") {
      o.grace = milliseconds(cli.number(arg, value, 0, 3600000));
    } else {
      cli.fail("unknown option '" + arg + "'");
    }
    i += 2;  // the option and its value
  }
  return o;
}

// ---- what the server counts ------------------------------------------------------------------

struct statistics {
  std::size_t connections = 0;  // accepted
  std::size_t open = 0;         // not yet closed
  std::size_t requests = 0;     // answered 2xx or 404
  std::size_t rejected = 0;     // answered 400, 408, 413 or 501
  std::size_t failed_accepts = 0;
};

// ---- one connection --------------------------------------------------------------------------

using line_stream = futura::line_stream<tcp::socket>;
using line_item = std::optional<boost::system::result<std::string>>;

/// How reading a request ended.
enum class head_outcome {
  complete,  // request line and headers read: answer it
  close,     // the peer closed or reset, or the server shuts down: close quietly
  rejected,  // malformed or oversized: answer `status`, then close
};

/// What one request asked for, as far as this server cares.
struct request {
  std::string method;
  std::string target;
  bool keep_alive = true;
  std::size_t content_length = 0;
  bool expects_continue = false;  // "Expect: 100-continue": the client waits for a go-ahead
  int status = 0;                 // of a rejected request
  std::string body;
};

/// A connection and everything its requests use. It lives on the heap, shared by the futures
/// that serve it and by each of its operations in flight (asio::consign): the socket and the
/// buffers stay put while those futures move, and an operation cancelled by a drop still finds
/// them until its handler has run.
struct connection {
  connection(tcp::socket s, const options& o, statistics& st, futura::cancellation_token shutdown_token)
      : socket(std::make_shared<tcp::socket>(std::move(s))),
        lines(futura::read_lines(socket, o.max_line)),
        opts(o),
        stats(st),
        shutdown(std::move(shutdown_token)),
        deadline(clock_type::now() + o.idle) {
    ++stats.connections;
    ++stats.open;
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { --stats.open; }

  // Shared with the line reader, which keeps it for its read in flight: a connection may go
  // while a read runs, and the cancelled read still finds its socket.
  std::shared_ptr<tcp::socket> socket;
  line_stream lines;
  const options& opts;
  statistics& stats;
  futura::cancellation_token shutdown;
  // When the watchdog closes the connection: `--idle-ms` after the last answer, or `--request-ms`
  // after a request's first line. Moving it costs nothing: the watchdog's timer is set once per
  // period, not once per request.
  clock_type::time_point deadline;
  bool in_request = false;
  request req;
  std::string carry;  // bytes received after a head: its body, maybe the next request
  std::string response;
};

using connection_ptr = std::shared_ptr<connection>;

/// ASCII case-insensitive equality (header names and these values ignore case), without a copy:
/// it runs for every header of every request.
bool equals_ignoring_case(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Ends the head with `status`.
head_outcome reject(request& r, int status) {
  r.status = status;
  return head_outcome::rejected;
}

/// Parses "METHOD SP target SP HTTP/1.x".
head_outcome parse_request_line(request& r, std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) return reject(r, 400);
  const std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.0") {
    r.keep_alive = false;
  } else if (version != "HTTP/1.1") {
    return reject(r, 400);
  }
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  for (char ch : r.method) {
    if (!std::isupper(static_cast<unsigned char>(ch))) return reject(r, 400);
  }
  return head_outcome::complete;
}

/// Parses "Name: value" for the headers this server acts on.
head_outcome parse_header(request& r, std::string_view line, std::size_t max_body) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return reject(r, 400);
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (equals_ignoring_case(name, "content-length")) {
    if (value.empty() || value.size() > 12 || value.find_first_not_of("0123456789") != std::string_view::npos) {
      return reject(r, 400);
    }
    r.content_length = std::stoull(std::string(value));
    if (r.content_length > max_body) return reject(r, 413);
  } else if (equals_ignoring_case(name, "connection")) {
    if (equals_ignoring_case(value, "close")) r.keep_alive = false;
    if (equals_ignoring_case(value, "keep-alive")) r.keep_alive = true;
  } else if (equals_ignoring_case(name, "expect")) {
    if (!equals_ignoring_case(value, "100-continue")) return reject(r, 417);
    r.expects_continue = true;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    return reject(r, 501);  // chunked bodies are not supported here
  }
  return head_outcome::complete;
}

/// What a line that could not be read means: the end of the connection, or a line too long.
head_outcome no_line(request& r, const line_item& item) {
  if (item && item->error() == asio::error::message_size) return reject(r, 400);
  return head_outcome::close;
}

/// Takes a request's first line: starts the request (its deadline, its fields) and says whether
/// its headers are to be read (complete) or not.
head_outcome start_request(connection& c, const boost::system::result<line_item>& got) {
  if (!got) return head_outcome::close;  // the server shuts down, and this connection is idle
  const line_item& item = *got;
  if (!item || !*item) return no_line(c.req, item);
  c.in_request = true;
  c.deadline = clock_type::now() + c.opts.request;
  return parse_request_line(c.req, **item);
}

using head_step = futura::loop_step<head_outcome, connection_ptr>;

/// Reads header lines up to the empty line that ends the head.
auto read_headers(connection_ptr c) {
  return futura::loop_fn(std::move(c), [](connection_ptr c) {
    return c->lines.next().then([c](line_item item) -> head_step {
      if (!item || !*item) return futura::loop_break(no_line(c->req, item));
      if (item->value().empty()) return futura::loop_break(head_outcome::complete);
      const head_outcome parsed = parse_header(c->req, item->value(), c->opts.max_body);
      if (parsed != head_outcome::complete) return futura::loop_break(parsed);
      return futura::loop_continue(std::move(c));
    });
  });
}

/// Reads a request's head: waits for its first line while the connection is idle (a shutdown
/// ends that wait: the connection closes), then reads its headers, unless the first line
/// already ended it.
auto read_head(const connection_ptr& c) {
  c->req = request{};
  return futura::with_cancellation(c->shutdown, c->lines.next()).then([c](boost::system::result<line_item> first) {
    const head_outcome started = start_request(*c, first);
    return futura::branch(
        started == head_outcome::complete, [&] { return read_headers(c); }, [started] { return started; });
  });
}

/// Keeps the bytes of the body and gives the bytes after it (the start of the next request, when
/// the client pipelines) back to a fresh line reader.
head_outcome keep_body(connection& c) {
  c.req.body = c.carry.substr(0, c.req.content_length);
  c.lines = futura::read_lines(c.socket, c.opts.max_line, c.carry.substr(c.req.content_length));
  c.carry.clear();
  return head_outcome::complete;
}

/// Reads the rest of the body from the socket, after a "100 Continue" if the client waits for
/// one.
auto read_rest_of_body(const connection_ptr& c) {
  const std::size_t missing = c->req.content_length - c->carry.size();
  auto read = [c, missing] {
    return asio::async_read(*c->socket, asio::dynamic_buffer(c->carry), asio::transfer_exactly(missing),
                            asio::consign(futura::as_future, c));
  };
  static const std::string go_ahead = "HTTP/1.1 100 Continue\r\n\r\n";
  return futura::branch(
             c->req.expects_continue,
             [&] {
               return asio::async_write(*c->socket, asio::buffer(go_ahead), asio::consign(futura::as_future, c))
                   .and_then([read](std::size_t) { return read(); });
             },
             read)
      .then([c](boost::system::result<std::size_t> got) {
        if (!got) return head_outcome::close;  // the peer went away mid-body
        return keep_body(*c);
      });
}

/// The body of a complete head: what read_lines had already received after the head, then the
/// rest from the socket (nothing to read when the head has no body, or the whole body came with it).
auto read_body(const connection_ptr& c, head_outcome outcome) {
  const bool has_body = outcome == head_outcome::complete && c->req.content_length > 0;
  if (has_body) c->carry = c->lines.take_buffered();
  return futura::branch(
      has_body && c->carry.size() < c->req.content_length, [&] { return read_rest_of_body(c); },
      [&] { return has_body ? keep_body(*c) : outcome; });
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 417:
      return "Expectation Failed";
    case 501:
      return "Not Implemented";
    default:
      return "Error";
  }
}

const std::string page =
    "<!doctype html>\n<html><head><title>futura</title></head>\n"
    "<body><h1>Hello from futura</h1><p>An HTTP/1.1 server written as futures.</p></body></html>\n";

/// Appends a response head and body to `out`.
void append_response(std::string& out, int status, std::string_view type, std::string_view body, bool keep_alive,
                     bool with_body) {
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason(status);
  out += "\r\nContent-Type: ";
  out += type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  if (with_body) out += body;
}

/// Puts the answer to the request in c->response (nothing when the connection closes quietly).
void build_response(connection& c, head_outcome outcome) {
  c.response.clear();
  if (outcome == head_outcome::close) return;
  request& r = c.req;
  if (c.shutdown.is_cancelled()) r.keep_alive = false;
  if (outcome == head_outcome::rejected) {
    r.keep_alive = false;  // what follows a bad request cannot be trusted to be a request
    ++c.stats.rejected;
    append_response(c.response, r.status, "text/plain", reason(r.status), false, true);
    return;
  }
  ++c.stats.requests;
  const bool with_body = r.method != "HEAD";
  if (r.target == "/echo") {
    append_response(c.response, 200, "application/octet-stream", r.body, r.keep_alive, with_body);
  } else if (r.target == "/" && (r.method == "GET" || r.method == "HEAD")) {
    append_response(c.response, 200, "text/html", page, r.keep_alive, with_body);
  } else {
    append_response(c.response, 404, "text/plain", reason(404), r.keep_alive, with_body);
  }
}

/// One request and its answer; goes on to the next request while the connection is kept alive.
auto exchange(connection_ptr c) {
  return read_head(c)
      .then([c](head_outcome outcome) { return read_body(c, outcome); })
      .then([c](head_outcome outcome) {
        build_response(*c, outcome);
        return futura::branch(
            !c->response.empty(),
            [&] {
              return asio::async_write(*c->socket, asio::buffer(c->response), asio::consign(futura::as_future, c));
            },
            [] { return boost::system::result<std::size_t>(0); });
      })
      .then([c](boost::system::result<std::size_t> written) -> futura::loop_step<futura::unit, connection_ptr> {
        c->in_request = false;
        c->deadline = clock_type::now() + c->opts.idle;
        if (!written || c->response.empty() || !c->req.keep_alive || c->shutdown.is_cancelled()) {
          return futura::loop_break(futura::unit{});
        }
        return futura::loop_continue(c);
      });
}

/// Completes when the connection's deadline has passed: sleeps until the deadline, and again
/// if the requests moved it meanwhile. A request moves it earlier when `--request-ms` is shorter
/// than `--idle-ms`; sleeping at most the shorter of the two at a time wakes the watchdog in
/// time for any deadline a request can set while it sleeps.
auto watchdog(connection_ptr c) {
  return futura::loop_fn(std::move(c), [](connection_ptr c) {
    const auto at = std::min(c->deadline, clock_type::now() + std::min(c->opts.idle, c->opts.request));
    return futura::sleep_until(c->socket->get_executor(), at)
        .then([c]() -> futura::loop_step<futura::unit, connection_ptr> {
          if (clock_type::now() >= c->deadline) return futura::loop_break(futura::unit{});
          return futura::loop_continue(c);
        });
  });
}

/// The requests of a connection, one after another, while it is kept alive.
auto serve_requests(connection_ptr c) {
  return futura::loop_fn(std::move(c), [](connection_ptr c) { return exchange(std::move(c)); });
}

/// After the watchdog ended a connection: answers 408 if a request had begun, else nothing.
auto answer_if_stalled(const connection_ptr& c, bool watchdog_won) {
  const bool stalled = watchdog_won && c->in_request;
  if (stalled) {
    c->response.clear();
    ++c->stats.rejected;
    append_response(c->response, 408, "text/plain", reason(408), false, true);
  }
  return futura::branch(
      stalled,
      [&] { return asio::async_write(*c->socket, asio::buffer(c->response), asio::consign(futura::as_future, c)); },
      [] { return boost::system::result<std::size_t>(0); });
}

/// Serves a connection until it closes: its requests raced against its watchdog. When the
/// watchdog wins, select drops the requests' future (its IO is cancelled).
auto serve(connection_ptr c) {
  return futura::select_biased(serve_requests(c), watchdog(c))     // the requests first: a ready
      .then([c](std::variant<futura::unit, futura::unit> ended) {  // answer beats the deadline
        return answer_if_stalled(c, ended.index() == 1);
      });
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it is printed, also into a pipe
  statistics stats;                          // before the context: handlers it destroys may still hold connections
  asio::io_context ctx(1);
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), opts.port));
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));

  futura::cancellation_token shutdown;
  asio::signal_set signals(ctx, SIGINT, SIGTERM);

  // The first signal stops accepting and tells idle connections to close.
  auto on_signal = signals.async_wait(futura::as_future).then([&](boost::system::result<int> signal) {
    if (signal)
      std::printf("signal %d: shutting down (grace %lld ms)\n", *signal, static_cast<long long>(opts.grace.count()));
    acceptor.close();
    shutdown.cancel();
  });

  auto serve_all = futura::accept_stream(acceptor)
                       .filter_map([&](boost::system::result<tcp::socket> accepted) -> std::optional<tcp::socket> {
                         if (accepted) return std::move(*accepted);
                         ++stats.failed_accepts;
                         std::fprintf(stderr, "accept failed: %s\n", accepted.error().message().c_str());
                         return std::nullopt;
                       })
                       .for_each_concurrent(opts.limit, [&](tcp::socket socket) {
                         return serve(std::make_shared<connection>(std::move(socket), opts, stats, shutdown));
                       });

  // After the signal, requests in flight have `grace` (a second signal cuts it short); then
  // whatever still runs is dropped.
  std::size_t aborted = 0;
  auto grace_over =
      shutdown.cancelled()
          .then(
              [&] { return futura::select(futura::sleep_for(ctx, opts.grace), signals.async_wait(futura::as_future)); })
          .then([&](const auto&) { aborted = stats.open; });

  futura::block_on(ctx,
                   futura::join(std::move(on_signal), futura::select(std::move(serve_all), std::move(grace_over))));
  std::printf(
      "served %zu requests on %zu connections (%zu rejected, %zu failed accepts); %zu aborted after the grace period\n",
      stats.requests, stats.connections, stats.rejected, stats.failed_accepts, aborted);
  return 0;
}
