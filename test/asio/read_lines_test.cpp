// futura::read_lines over loopback: LF and CRLF endings, empty lines, the end of file with and
// without a final newline, the line limit (also when the long line arrives byte by byte), a
// peer that resets, bytes split across many writes, 10^5 lines in order, take_buffered and the
// already_received overload, drops mid-read, wakes, and moves between polls.
#include <support/asio_support.hpp>
#include <support/probe.hpp>
#include <support/stress.hpp>

#include <futura/asio/block_on.hpp>
#include <futura/asio/read_lines.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/executor/block_on.hpp>
#include <futura/stream/collect.hpp>
#include <futura/stream/fold.hpp>
#include <futura/stream/for_each.hpp>
#include <futura/stream/next.hpp>

#include <boost/asio.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::loopback_pair;
using futura_test::run_until_woken;

namespace {

using lines = futura::line_stream<tcp::socket>;
using line = boost::system::result<std::string>;

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

/// What a line stream yielded, written for comparison: "text" for a line, "!name" for an error.
std::string shown(const line& l) { return l ? *l : "!" + l.error().message(); }

std::vector<std::string> shown(const std::vector<line>& v) {
  std::vector<std::string> out;
  for (const line& l : v) out.push_back(shown(l));
  return out;
}

std::string error_item(error_code ec) { return "!" + ec.message(); }

const std::string end_of_stream = "<end>";

/// The next item of `s`, run on `ctx`, as shown(); `end_of_stream` at the end.
std::string next_shown(asio::io_context& ctx, lines& s) {
  std::optional<line> l = futura::block_on(ctx, s.next());
  return l ? shown(*l) : end_of_stream;
}

/// Writes `bytes` from the client, closes its sending side, and collects every item.
std::vector<std::string> lines_of(std::string bytes, std::size_t limit = no_limit) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  asio::write(p.client, asio::buffer(bytes));
  p.client.shutdown(tcp::socket::shutdown_send);
  return shown(futura::block_on(ctx, futura::read_lines(p.server, limit).collect()));
}

/// Sends `bytes` one byte per write, each write only once the stream is waiting for more, so
/// every read gets exactly one byte; returns the items yielded meanwhile (the end is not
/// polled for). Stops early once an error item came.
std::vector<std::string> feed_byte_by_byte(asio::io_context& ctx, lines& s, tcp::socket& client,
                                           const std::string& bytes) {
  std::vector<std::string> items;
  counting_waker cw;
  futura::waker w = cw.make();
  for (char c : bytes) {
    // Take every item already buffered; the stream then waits for a read.
    for (int guard = 0;; ++guard) {
      BOOST_REQUIRE(guard < 1000);
      futura::poll_result<std::optional<line>> r = s.poll_next(w);
      if (r.is_pending()) break;
      BOOST_REQUIRE(r.value().has_value());
      items.push_back(shown(*r.value()));
      if (!*r.value()) return items;
    }
    const int before = cw.wakes();
    asio::write(client, asio::buffer(&c, 1));
    BOOST_REQUIRE(run_until_woken(ctx, cw, before + 1));
  }
  for (int guard = 0;; ++guard) {
    BOOST_REQUIRE(guard < 1000);
    futura::poll_result<std::optional<line>> r = s.poll_next(w);
    if (r.is_pending()) break;
    BOOST_REQUIRE(r.value().has_value());
    items.push_back(shown(*r.value()));
    if (!*r.value()) break;
  }
  return items;
}

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(read_lines)

BOOST_AUTO_TEST_CASE(the_items_are_results_of_strings) {
  static_assert(futura::is_stream_v<lines>);
  static_assert(std::is_same_v<futura::item_t<lines>, line>);
  static_assert(std::is_nothrow_move_constructible_v<lines>);
}

BOOST_AUTO_TEST_CASE(lf_and_crlf_endings_are_removed) {
  BOOST_TEST(lines_of("one\ntwo\r\nthree\n") == (strings{"one", "two", "three"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_carriage_return_not_before_a_newline_stays) {
  BOOST_TEST(lines_of("a\rb\n\rc\n\r\r\n") == (strings{"a\rb", "\rc", "\r"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_lines_are_empty_strings) {
  BOOST_TEST(lines_of("\n\r\n\nx\n\n") == (strings{"", "", "", "x", ""}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(at_eof_an_unterminated_last_line_is_yielded_as_it_is) {
  BOOST_TEST(lines_of("a\nlast") == (strings{"a", "last"}), boost::test_tools::per_element());
  BOOST_TEST(lines_of("only") == (strings{"only"}), boost::test_tools::per_element());
  BOOST_TEST(lines_of("a\nlast\r") == (strings{"a", "last\r"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(at_eof_after_a_final_newline_the_stream_just_ends) {
  BOOST_TEST(lines_of("a\nb\n") == (strings{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(lines_of("").empty());
}

BOOST_AUTO_TEST_CASE(a_line_over_the_limit_yields_message_size_then_the_end) {
  const std::string too_long = error_item(asio::error::message_size);
  BOOST_TEST(lines_of("12345\nabcdef\nnext\n", 5) == (strings{"12345", too_long}), boost::test_tools::per_element());
  // The limit counts the line without its ending: CRLF does not make a line too long.
  BOOST_TEST(lines_of("12345\r\n1234\n", 5) == (strings{"12345", "1234"}), boost::test_tools::per_element());
  // Unterminated at EOF, and without any newline at all.
  BOOST_TEST(lines_of("ok\n123456", 5) == (strings{"ok", too_long}), boost::test_tools::per_element());
  BOOST_TEST(lines_of("ok\n12345\r", 5) == (strings{"ok", too_long}), boost::test_tools::per_element());
  BOOST_TEST(lines_of("ok\n1234\r", 5) == (strings{"ok", "1234\r"}), boost::test_tools::per_element());
  BOOST_TEST(lines_of(std::string(10000, 'x'), 5) == (strings{too_long}), boost::test_tools::per_element());
  // A limit of 0 admits only empty lines.
  BOOST_TEST(lines_of("\n\r\na\n", 0) == (strings{"", "", too_long}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_long_line_arriving_byte_by_byte_is_refused_as_soon_as_it_is_over_the_limit) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server, 10);
  // Eleven bytes without a newline: the error comes right after the eleventh, not later.
  strings got = feed_byte_by_byte(ctx, s, p.client, "ab\n" + std::string(11, 'x'));
  BOOST_TEST(got == (strings{"ab", error_item(asio::error::message_size)}), boost::test_tools::per_element());
  // Nothing more was buffered than the line so far: the stream reads no further ahead.
  BOOST_TEST(s.take_buffered() == std::string(11, 'x'));
  futura::waker w = futura::noop_waker();
  auto end = s.poll_next(w);
  BOOST_REQUIRE(end.is_ready());
  BOOST_TEST(!end.value().has_value());
}

BOOST_AUTO_TEST_CASE(a_peer_that_never_sends_a_newline_is_refused_after_at_most_one_read) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  const std::string flood(1 << 20, 'z');
  bool written = false;
  asio::async_write(p.client, asio::buffer(flood), [&](error_code, std::size_t) { written = true; });
  lines s = futura::read_lines(p.server, 100);
  BOOST_TEST(next_shown(ctx, s) == error_item(asio::error::message_size));
  // The stream held the line so far, no more than one read's worth: it did not read on.
  const std::string held = s.take_buffered();
  BOOST_TEST(held.size() > 100u);
  BOOST_TEST(held.size() <= futura::detail::line_buffer::min_read);
  p.client.close();  // ends the write if the socket buffers did not take all of it
  p.server.close();
  BOOST_TEST(drain(ctx));
  BOOST_TEST(written);
}

BOOST_AUTO_TEST_CASE(one_byte_over_the_limit_may_still_be_the_carriage_return_of_the_ending) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server, 4);
  strings got = feed_byte_by_byte(ctx, s, p.client, "abcd\r\nabcd\rx");
  BOOST_TEST(got == (strings{"abcd", error_item(asio::error::message_size)}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(lines_split_across_many_one_byte_writes_come_whole) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  strings got = feed_byte_by_byte(ctx, s, p.client, "first line\r\n\nsecond\nthird\r\n");
  BOOST_TEST(got == (strings{"first line", "", "second", "third"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_peer_that_resets_yields_connection_reset_once_then_the_end) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  asio::write(p.client, asio::buffer(std::string("before\n")));
  BOOST_TEST(next_shown(ctx, s) == "before");
  p.client.set_option(asio::socket_base::linger(true, 0));
  p.client.close();  // linger 0: the close sends RST
  std::optional<line> second = futura::block_on(ctx, s.next());
  BOOST_REQUIRE(second.has_value());
  BOOST_REQUIRE(!second->has_value());
  BOOST_TEST(second->error() == asio::error::connection_reset);
  BOOST_TEST(next_shown(ctx, s) == end_of_stream);
}

BOOST_AUTO_TEST_CASE(a_hundred_thousand_lines_arrive_in_order) {
  const long count = futura_test::rounds(100000, 20000);
  std::string bytes;
  for (long i = 0; i < count; ++i) bytes += "line " + std::to_string(i) + (i % 2 ? "\r\n" : "\n");
  asio::io_context ctx;
  loopback_pair p(ctx);
  // The writer runs on the same context, so the reader and the writer take turns on one thread.
  error_code write_error;
  asio::async_write(p.client, asio::buffer(bytes), [&](error_code ec, std::size_t) {
    write_error = ec;
    p.client.shutdown(tcp::socket::shutdown_send);
  });
  long next = 0;
  long out_of_order = 0;
  futura::block_on(ctx, futura::read_lines(p.server, 64).for_each([&](line l) {
    if (!l || *l != "line " + std::to_string(next)) ++out_of_order;
    ++next;
  }));
  BOOST_TEST(!write_error);
  BOOST_TEST(out_of_order == 0);
  BOOST_TEST(next == count);
}

BOOST_AUTO_TEST_CASE(a_line_of_a_mebibyte_in_many_writes_is_one_item) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  std::string big(1 << 20, 'y');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  const std::string bytes = big + "\r\ntail\n";
  error_code write_error;
  // The composed write sends it in as many writes as the socket buffer takes at a time.
  asio::async_write(p.client, asio::buffer(bytes), [&](error_code ec, std::size_t) { write_error = ec; });
  lines s = futura::read_lines(p.server);
  std::optional<line> first = futura::block_on(ctx, s.next());
  std::optional<line> second = futura::block_on(ctx, s.next());
  BOOST_TEST(!write_error);
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(first->has_value());
  BOOST_TEST((**first == big));
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(shown(*second) == "tail");
}

BOOST_AUTO_TEST_CASE(buffered_lines_are_yielded_without_reading_or_waking) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  asio::write(p.client, asio::buffer(std::string("a\nb\nc\n")));
  lines s = futura::read_lines(p.server);
  counting_waker cw;
  futura::waker w = cw.make();
  // The first poll reads; Asio completes the read through the context.
  BOOST_REQUIRE(s.poll_next(w).is_pending());
  BOOST_REQUIRE(run_until_woken(ctx, cw, 1));
  strings got;
  for (int i = 0; i < 3; ++i) {
    auto r = s.poll_next(w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_REQUIRE(r.value().has_value());
    got.push_back(shown(*r.value()));
  }
  BOOST_TEST(got == (strings{"a", "b", "c"}), boost::test_tools::per_element());
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(drain(ctx));  // no read was started meanwhile
  BOOST_TEST(cw.live_clones() == 1);
}

BOOST_AUTO_TEST_CASE(a_read_wakes_the_last_polls_waker_once) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  counting_waker first;
  counting_waker last;
  futura::waker w1 = first.make();
  futura::waker w2 = last.make();
  BOOST_REQUIRE(s.poll_next(w1).is_pending());
  BOOST_REQUIRE(s.poll_next(w2).is_pending());  // the same read: nothing new starts
  asio::write(p.client, asio::buffer(std::string("x\n")));
  BOOST_REQUIRE(run_until_woken(ctx, last, 1));
  BOOST_TEST(drain(ctx));
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(last.wakes() == 1);
  auto r = s.poll_next(w2);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(shown(*r.value()) == "x");
}

BOOST_AUTO_TEST_CASE(polling_after_the_end_throws_polled_after_completion) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  p.client.shutdown(tcp::socket::shutdown_send);
  lines s = futura::read_lines(p.server);
  BOOST_TEST(next_shown(ctx, s) == end_of_stream);
  futura::waker w = futura::noop_waker();
  BOOST_CHECK_EXCEPTION((void)s.poll_next(w), futura::future_error, futura_test::is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(take_buffered_after_an_item_returns_what_follows_the_line) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string body = "BODY bytes\nnot a line to the reader";
  asio::write(p.client, asio::buffer(head + body));
  lines s = futura::read_lines(p.server, 1024);
  strings got;
  for (int i = 0; i < 3; ++i) got.push_back(next_shown(ctx, s));
  BOOST_TEST(got == (strings{"GET / HTTP/1.1", "Host: x", ""}), boost::test_tools::per_element());
  // What the stream already received of the body, then the rest from the socket itself.
  std::string received = s.take_buffered();
  BOOST_REQUIRE(received.size() <= body.size());
  std::string rest(body.size() - received.size(), '\0');
  asio::read(p.server, asio::buffer(rest));
  BOOST_TEST(received + rest == body);
  BOOST_TEST(s.take_buffered().empty());  // taken: the buffer is empty now
}

BOOST_AUTO_TEST_CASE(the_stream_goes_on_reading_after_take_buffered) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  asio::write(p.client, asio::buffer(std::string("a\n")));
  BOOST_TEST(next_shown(ctx, s) == "a");
  BOOST_TEST(s.take_buffered().empty());
  asio::write(p.client, asio::buffer(std::string("b\n")));
  BOOST_TEST(next_shown(ctx, s) == "b");
}

BOOST_AUTO_TEST_CASE(take_buffered_while_a_read_is_in_flight_throws_logic_error) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  futura::waker w = futura::noop_waker();
  BOOST_REQUIRE(s.poll_next(w).is_pending());
  BOOST_CHECK_THROW(s.take_buffered(), std::logic_error);
  // The stream is unharmed: the read goes on.
  asio::write(p.client, asio::buffer(std::string("z\n")));
  BOOST_TEST(next_shown(ctx, s) == "z");
}

BOOST_AUTO_TEST_CASE(take_buffered_after_the_end_returns_the_refused_line) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  asio::write(p.client, asio::buffer(std::string("toolong")));
  p.client.shutdown(tcp::socket::shutdown_send);
  lines s = futura::read_lines(p.server, 3);
  BOOST_TEST(next_shown(ctx, s) == error_item(asio::error::message_size));
  BOOST_TEST(next_shown(ctx, s) == end_of_stream);
  BOOST_TEST(s.take_buffered() == "toolong");
}

BOOST_AUTO_TEST_CASE(already_received_bytes_are_yielded_first_without_a_read) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server, no_limit, "a\r\nb\npart");
  counting_waker cw;
  futura::waker w = cw.make();
  strings got;
  for (int i = 0; i < 2; ++i) {
    auto r = s.poll_next(w);  // ready at once: the context never ran
    BOOST_REQUIRE(r.is_ready());
    BOOST_REQUIRE(r.value().has_value());
    got.push_back(shown(*r.value()));
  }
  BOOST_TEST(ctx.poll() == 0u);  // and no read was started
  BOOST_TEST(got == (strings{"a", "b"}), boost::test_tools::per_element());
  asio::write(p.client, asio::buffer(std::string("ial\nnext\n")));
  p.client.shutdown(tcp::socket::shutdown_send);
  std::vector<line> rest = futura::block_on(ctx, std::move(s).collect());
  BOOST_TEST(shown(rest) == (strings{"partial", "next"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(take_buffered_before_the_first_poll_returns_the_already_received_bytes) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server, no_limit, "pre");
  BOOST_TEST(s.take_buffered() == "pre");
  asio::write(p.client, asio::buffer(std::string("x\n")));
  BOOST_TEST(next_shown(ctx, s) == "x");
}

BOOST_AUTO_TEST_CASE(already_received_bytes_count_against_the_limit) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server, 3, "ok\ntoo long");
  BOOST_TEST(next_shown(ctx, s) == "ok");
  BOOST_TEST(next_shown(ctx, s) == error_item(asio::error::message_size));
}

BOOST_AUTO_TEST_CASE(dropping_the_stream_mid_read_cancels_the_read_and_leaves_no_work) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  counting_waker cw;
  {
    lines s = futura::read_lines(p.server);
    futura::waker w = cw.make();
    asio::write(p.client, asio::buffer(std::string("partial li")));
    // The first read takes the partial line; the second waits for more.
    BOOST_REQUIRE(s.poll_next(w).is_pending());
    BOOST_REQUIRE(run_until_woken(ctx, cw, 1));
    BOOST_REQUIRE(s.poll_next(w).is_pending());
  }
  BOOST_TEST(cw.live_clones() == 0);
  BOOST_TEST(drain(ctx));  // cancelled: the aborted read ran and released the buffer
  ctx.restart();
  ctx.run();
  BOOST_TEST(ctx.stopped());
  // The socket is usable again: a new stream reads what comes next.
  asio::write(p.client, asio::buffer(std::string("ne\nnew\n")));
  lines again = futura::read_lines(p.server);
  BOOST_TEST(next_shown(ctx, again) == "ne");
}

BOOST_AUTO_TEST_CASE(bytes_arriving_after_a_drop_are_read_into_the_buffer_the_read_keeps_alive) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  {
    lines s = futura::read_lines(p.server);
    futura::waker w = futura::noop_waker();
    BOOST_REQUIRE(s.poll_next(w).is_pending());
    asio::write(p.client, asio::buffer(std::string("late\n")));
  }
  // The read may complete with the bytes or be aborted first: either way its handler runs
  // after the stream is gone, and writes only into the buffer the read owns (ASan checks).
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(a_shared_socket_outlives_a_stream_dropped_mid_read_until_the_aborted_read_has_run) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  auto socket = std::make_shared<tcp::socket>(std::move(p.server));
  std::weak_ptr<tcp::socket> watch = socket;
  {
    // A session object holding both: it goes while a read is in flight.
    struct session {
      std::shared_ptr<tcp::socket> socket;
      lines stream;
    } s{socket, futura::read_lines(socket, 64)};
    socket.reset();
    futura::waker w = futura::noop_waker();
    BOOST_REQUIRE(s.stream.poll_next(w).is_pending());
  }
  // Dropped outside any handler: the cancellation is posted, and the socket must be there then.
  BOOST_TEST(!watch.expired());
  BOOST_TEST(drain(ctx));
  BOOST_TEST(watch.expired());  // the aborted read's handler let go of it
}

BOOST_AUTO_TEST_CASE(a_shared_socket_reads_lines_as_a_referred_one_does) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  asio::write(p.client, asio::buffer(std::string("one\r\ntwo\n")));
  p.client.shutdown(tcp::socket::shutdown_send);
  auto socket = std::make_shared<tcp::socket>(std::move(p.server));
  std::vector<line> got = futura::block_on(ctx, futura::read_lines(socket).collect());
  BOOST_REQUIRE(got.size() == 2U);
  BOOST_TEST(shown(got[0]) == "one");
  BOOST_TEST(shown(got[1]) == "two");
  BOOST_TEST(socket.use_count() == 1);  // the stream let go of it at its end
}

BOOST_AUTO_TEST_CASE(a_null_shared_socket_throws_invalid_argument) {
  BOOST_CHECK_THROW((void)futura::read_lines(std::shared_ptr<tcp::socket>()), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_context_destroyed_under_a_pending_read_makes_the_poll_throw_and_ends_the_stream) {
  std::optional<lines> s;
  futura::waker w = futura::noop_waker();
  {
    asio::io_context ctx;
    loopback_pair p(ctx);
    s.emplace(futura::read_lines(p.server));
    BOOST_REQUIRE(s->poll_next(w).is_pending());
  }  // the socket, then the context: the read's handler is destroyed uncalled
  BOOST_CHECK_EXCEPTION((void)s->poll_next(w), futura::future_error, futura_test::is_broken_promise);
  BOOST_CHECK_EXCEPTION((void)s->poll_next(w), futura::future_error, futura_test::is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(a_stream_dropped_before_its_first_poll_starts_nothing) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  { lines s = futura::read_lines(p.server, 10, "abc"); }
  BOOST_TEST(ctx.poll() == 0u);
}

BOOST_AUTO_TEST_CASE(the_stream_may_move_between_polls) {
  asio::io_context ctx;
  loopback_pair p(ctx);
  lines s = futura::read_lines(p.server);
  counting_waker cw;
  futura::waker w = cw.make();
  asio::write(p.client, asio::buffer(std::string("one\ntw")));
  BOOST_REQUIRE(s.poll_next(w).is_pending());
  BOOST_REQUIRE(run_until_woken(ctx, cw, 1));
  lines moved(std::move(s));
  auto one = moved.poll_next(w);
  BOOST_REQUIRE(one.is_ready());
  BOOST_TEST(shown(*one.value()) == "one");
  BOOST_REQUIRE(moved.poll_next(w).is_pending());  // a read in flight, into the shared buffer
  lines moved_again(std::move(moved));
  asio::write(p.client, asio::buffer(std::string("o\n")));
  BOOST_REQUIRE(run_until_woken(ctx, cw, 2));
  auto two = moved_again.poll_next(w);
  BOOST_REQUIRE(two.is_ready());
  BOOST_TEST(shown(*two.value()) == "two");
}

BOOST_AUTO_TEST_CASE(lines_from_a_socket_on_a_strand) {
  asio::io_context ctx;
  using strand_socket = asio::basic_stream_socket<tcp, asio::strand<asio::io_context::executor_type>>;
  loopback_pair p(ctx);
  strand_socket server(asio::make_strand(ctx), tcp::v4(), p.server.release());
  asio::write(p.client, asio::buffer(std::string("s1\ns2")));
  p.client.shutdown(tcp::socket::shutdown_send);
  std::vector<line> got = futura::block_on(ctx, futura::read_lines(server).collect());
  BOOST_TEST(shown(got) == (strings{"s1", "s2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_task_on_a_two_thread_pool_reads_every_line_in_order) {
  const long count = futura_test::rounds(20000, 2000);
  asio::thread_pool pool(2);
  auto strand = asio::make_strand(pool);
  using strand_socket = asio::basic_stream_socket<tcp, decltype(strand)>;
  asio::io_context client_ctx;  // the writer's side, used synchronously on this thread
  loopback_pair p(client_ctx);
  strand_socket server(strand, tcp::v4(), p.server.release());
  // The task runs on the socket's strand; the reads complete on either pool thread.
  auto counted = futura::spawn(
      strand, futura::read_lines(server).fold(std::pair<long, long>(0, 0), [](std::pair<long, long> acc, line l) {
        if (!l || *l != std::to_string(acc.first)) ++acc.second;
        ++acc.first;
        return acc;
      }));
  for (long i = 0; i < count; i += 100) {
    std::string batch;
    for (long j = i; j < i + 100 && j < count; ++j) batch += std::to_string(j) + "\n";
    asio::write(p.client, asio::buffer(batch));
  }
  p.client.shutdown(tcp::socket::shutdown_send);
  std::pair<long, long> seen = futura::block_on(std::move(counted));
  BOOST_TEST(seen.first == count);
  BOOST_TEST(seen.second == 0);  // none out of order or failed
  pool.join();
}

BOOST_AUTO_TEST_SUITE_END()
