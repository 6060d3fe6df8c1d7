// Fetch many paths from an HTTP server, at most 16 at a time, each under a deadline, retrying
// connection errors with backoff, with a progress line while it runs.
//
//   iter(paths).map(fetch).buffer_unordered(16)      16 fetches in flight, answers as they come
//     .for_each(record)                               count statuses, bytes, errors
//   fetch(path) = retry(backoff, attempt)            connection errors: wait, try again
//   attempt(path) = timeout(connect -> write GET -> read to EOF, --timeout-ms)
//   select(all of it, interval(200 ms).for_each(print progress))   the progress line
//
// The server is any HTTP/1.x server that closes the connection after each answer, as Python's
// `python3 -m http.server` does (make demo starts one). Each path is fetched over a new
// connection. At the end it prints a summary; the exit status is 0 when every fetch got an
// answer (404s included), 1 otherwise.
//
// Usage: fetch_many --port N [--host A] [--concurrency N] [--timeout-ms N] [--attempts N] PATH...
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/interval.hpp>
#include <futura/asio/retry.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/core.hpp>
#include <futura/stream.hpp>

#include <boost/asio.hpp>

#include "command_line.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// ---- options ---------------------------------------------------------------------------------

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::size_t concurrency = 16;
  milliseconds timeout{2000};
  std::size_t attempts = 4;
  std::vector<std::string> paths;
};

const char* const usage =
    "usage: fetch_many --port N [--host A] [--concurrency N] [--timeout-ms N] [--attempts N] PATH...\n"
    "  --port N          the server's TCP port\n"
    "  --host A          the server's IP address (default 127.0.0.1)\n"
    "  --concurrency N   fetches in flight at once (default 16)\n"
    "  --timeout-ms N    deadline of each attempt in milliseconds (default 2000)\n"
    "  --attempts N      attempts per path when connecting fails or times out (default 4)\n";

const examples::command_line cli{"fetch_many", usage};

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
      o.port = static_cast<unsigned short>(cli.number(arg, value, 1, 65535));
    } else if (arg == "--host") {
      if (!value) cli.fail("option --host needs an address");
      o.host = value;
    } else if (arg == "--concurrency") {
      o.concurrency = static_cast<std::size_t>(cli.number(arg, value, 1, 10000));
    } else if (arg == "--timeout-ms") {
      o.timeout = milliseconds(cli.number(arg, value, 1, 3600000));
    } else if (arg == "--attempts") {
      o.attempts = static_cast<std::size_t>(cli.number(arg, value, 1, 100));
    } else if (!arg.empty() && arg[0] == '/') {
      o.paths.push_back(arg);
      i += 1;
      continue;
    } else {
      cli.fail("unknown argument '" + arg + "' (paths start with '/')");
    }
    i += 2;  // the option and its value
  }
  if (o.port == 0) cli.fail("--port is required");
  if (o.paths.empty()) cli.fail("no path to fetch");
  return o;
}

// ---- one fetch -------------------------------------------------------------------------------

/// An answer: its status and the size of its body.
struct response {
  int status = 0;
  std::size_t body_bytes = 0;
};

/// One attempt's connection and buffers, on the heap: its operations point at them while the
/// futures move, and after a drop (a time-out) until the cancelled operation's handler has run.
struct attempt_state {
  attempt_state(asio::io_context& ctx, std::string req) : socket(ctx), request(std::move(req)) {}
  tcp::socket socket;
  std::string request;
  std::string answer;
};

/// Parses "HTTP/1.x STATUS ..." and checks the body against Content-Length when there is one.
boost::system::result<response> parse_answer(const std::string& answer) {
  const std::size_t head_end = answer.find("\r\n\r\n");
  if (answer.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos || answer.size() < 12) {
    return boost::system::error_code(asio::error::eof);  // cut off before a whole head arrived
  }
  response r;
  r.status = std::atoi(answer.c_str() + 9);
  r.body_bytes = answer.size() - head_end - 4;
  const std::string_view head(answer.data(), head_end);
  for (std::string_view name : {"\r\nContent-Length:", "\r\ncontent-length:"}) {
    const std::size_t at = head.find(name);
    if (at != std::string_view::npos &&
        std::strtoull(std::string(head.substr(at + name.size())).c_str(), nullptr, 10) != r.body_bytes) {
      return boost::system::error_code(asio::error::eof);  // the body was cut short
    }
  }
  return r;
}

/// One attempt: connect, send the request, read the answer until the server closes.
auto attempt(asio::io_context& ctx, const options& o, const std::string& path) {
  auto s = std::make_shared<attempt_state>(
      ctx, "GET " + path + " HTTP/1.0\r\nHost: " + o.host + "\r\nUser-Agent: futura-fetch_many\r\n\r\n");
  const tcp::endpoint server(asio::ip::make_address(o.host), o.port);
  auto exchange =
      s->socket.async_connect(server, asio::consign(futura::as_future, s))
          .and_then([s] {
            return asio::async_write(s->socket, asio::buffer(s->request), asio::consign(futura::as_future, s));
          })
          .and_then([s](std::size_t) {
            return asio::async_read(s->socket, asio::dynamic_buffer(s->answer), asio::consign(futura::as_future, s))
                .then([s](boost::system::result<std::size_t> read) -> boost::system::result<response> {
                  if (!read && read.error() != asio::error::eof) return read.error();  // eof: the answer is whole
                  return parse_answer(s->answer);
                });
          });
  return futura::timeout(ctx, std::move(exchange), o.timeout)
      .then([](boost::system::result<boost::system::result<response>> r) -> boost::system::result<response> {
        if (!r) return r.error();  // futura::error::timed_out
        return *r;
      });
}

/// Errors worth another attempt: the server was not there, went away, or was too slow.
bool is_transient(const boost::system::error_code& e) {
  return e == asio::error::connection_refused || e == asio::error::connection_reset || e == asio::error::eof ||
         e == asio::error::connection_aborted || e == asio::error::broken_pipe || e == futura::error::timed_out;
}

// ---- progress and summary --------------------------------------------------------------------

struct progress {
  std::size_t done = 0;
  std::size_t ok = 0;      // 2xx
  std::size_t other = 0;   // any other status
  std::size_t failed = 0;  // no answer after every attempt
  std::size_t attempts = 0;
  std::size_t retries = 0;
  std::size_t bytes = 0;
  clock_type::time_point start = clock_type::now();

  double seconds() const { return std::chrono::duration<double>(clock_type::now() - start).count(); }
};

void print_progress(const progress& p, std::size_t total, bool terminal) {
  const double s = p.seconds();
  std::printf("%s%zu/%zu fetched, %.0f/s, %zu errors, %zu retries%s", terminal ? "\r" : "", p.done, total,
              s > 0 ? p.done / s : 0.0, p.failed + p.other, p.retries, terminal ? "   " : "\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  asio::io_context ctx(1);
  progress p;
  const bool terminal = isatty(STDOUT_FILENO) != 0;

  futura::backoff policy;  // 50 ms, 100 ms, 200 ms... each drawn from [d/2, d]
  policy.max_attempts = opts.attempts;
  policy.initial_delay = milliseconds(50);
  policy.max_delay = milliseconds(1000);

  auto fetch = [&](const std::string& path) {
    return futura::retry(
               ctx, policy,
               [&, path, calls = 0]() mutable {
                 ++p.attempts;
                 if (calls++ > 0) ++p.retries;
                 return attempt(ctx, opts, path);
               },
               is_transient)
        .then([path](boost::system::result<response> r) { return std::make_pair(path, r); });
  };

  auto all =
      futura::stream::iter(opts.paths)
          .map(fetch)
          .buffer_unordered(opts.concurrency)
          .for_each([&](std::pair<std::string, boost::system::result<response>> fetched) {
            ++p.done;
            const boost::system::result<response>& r = fetched.second;
            if (!r) {
              ++p.failed;
              std::printf("%s%s: %s\n", terminal ? "\r" : "", fetched.first.c_str(), r.error().message().c_str());
            } else if (r->status / 100 == 2) {
              ++p.ok;
              p.bytes += r->body_bytes;
            } else {
              ++p.other;
              std::printf("%s%s: status %d\n", terminal ? "\r" : "", fetched.first.c_str(), r->status);
            }
          });

  // The progress line, redrawn until the fetches are done (select drops the interval then).
  auto progress_line = futura::interval(ctx, milliseconds(terminal ? 200 : 1000)).for_each([&](clock_type::time_point) {
    print_progress(p, opts.paths.size(), terminal);
  });

  futura::block_on(ctx, futura::select_biased(std::move(all), std::move(progress_line)));
  print_progress(p, opts.paths.size(), terminal);
  if (terminal) std::printf("\n");
  std::printf("summary: %zu paths, %zu ok (%zu body bytes), %zu other statuses, %zu failed, %zu retries, %.3f s\n",
              opts.paths.size(), p.ok, p.bytes, p.other, p.failed, p.retries, p.seconds());
  return p.failed == 0 ? 0 : 1;
}
