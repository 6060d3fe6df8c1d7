// futura::accept_stream over loopback: connections in order, the end when the acceptor is
// closed or cancelled, a failed accept (out of file descriptors) as an error item after which
// accepting goes on, cancellation of the pending accept when the stream is dropped, wakes, and
// moves between polls.
#include <support/asio_support.hpp>
#include <support/probe.hpp>

#include <futura/asio/accept_stream.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/executor/block_on.hpp>
#include <futura/stream/collect.hpp>
#include <futura/stream/map.hpp>
#include <futura/stream/next.hpp>
#include <futura/stream/take.hpp>

#include <boost/asio.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using futura_test::counting_waker;
using futura_test::drain;
using futura_test::run_until_woken;

namespace {

using connections = futura::connection_stream<tcp::acceptor>;
using accepted = boost::system::result<tcp::socket>;

tcp::endpoint any_loopback_port() { return {asio::ip::address_v4::loopback(), 0}; }

/// Polls `s` once with `w`.
template <class S>
futura::poll_result<std::optional<futura::item_t<S>>> poll_once(S& s, futura::waker& w) {
  return s.poll_next(w);
}

/// Checks that the item `r` is the connection of `client`.
template <class Item>
void check_connection_of(const std::optional<Item>& r, const tcp::socket& client) {
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE(r->has_value());
  BOOST_TEST((*r)->remote_endpoint() == client.local_endpoint());
}

/// While alive, the process can open no new file descriptor: the soft RLIMIT_NOFILE is lowered
/// to the lowest free descriptor number (a new descriptor takes the lowest free one).
class descriptors_exhausted {
 public:
  descriptors_exhausted() {
    BOOST_REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    const int lowest_free = dup(STDERR_FILENO);
    BOOST_REQUIRE(lowest_free >= 0);
    close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    BOOST_REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    const int refused = dup(STDERR_FILENO);
    if (refused >= 0) close(refused);
    BOOST_REQUIRE(refused < 0);
  }
  ~descriptors_exhausted() { restore(); }
  descriptors_exhausted(const descriptors_exhausted&) = delete;
  descriptors_exhausted& operator=(const descriptors_exhausted&) = delete;

  void restore() {
    if (!restored_) setrlimit(RLIMIT_NOFILE, &saved_);
    restored_ = true;
  }

 private:
  rlimit saved_{};
  bool restored_ = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(accept_stream)

BOOST_AUTO_TEST_CASE(the_items_are_results_of_the_acceptors_socket) {
  static_assert(futura::is_stream_v<connections>);
  static_assert(std::is_same_v<futura::item_t<connections>, accepted>);
  static_assert(std::is_nothrow_move_constructible_v<connections>);
}

BOOST_AUTO_TEST_CASE(nothing_is_accepted_before_the_first_poll) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  {
    connections s = futura::accept_stream(acceptor);
    BOOST_TEST(ctx.poll() == 0u);  // no operation was started
  }
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(several_clients_are_accepted_in_the_order_they_connected) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back(ctx);
    clients.back().connect(acceptor.local_endpoint());
  }
  std::vector<accepted> got = futura::block_on(ctx, futura::accept_stream(acceptor).take(5).collect());
  BOOST_REQUIRE(got.size() == 5u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_REQUIRE(got[i].has_value());
    BOOST_TEST(got[i]->remote_endpoint() == clients[i].local_endpoint());
  }
}

BOOST_AUTO_TEST_CASE(an_accepted_socket_carries_the_clients_bytes) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  asio::write(client, asio::buffer(std::string("hello")));
  connections s = futura::accept_stream(acceptor);
  std::optional<accepted> first = futura::block_on(ctx, s.next());
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(first->has_value());
  std::string got(5, '\0');
  asio::read(**first, asio::buffer(got));
  BOOST_TEST(got == "hello");
}

BOOST_AUTO_TEST_CASE(clients_connecting_while_the_stream_waits_are_accepted_one_per_item) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  connections s = futura::accept_stream(acceptor);
  counting_waker cw;
  futura::waker w = cw.make();
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(poll_once(s, w).is_pending());
    clients.emplace_back(ctx);
    clients.back().connect(acceptor.local_endpoint());
    BOOST_REQUIRE(run_until_woken(ctx, cw, i + 1));
    auto r = poll_once(s, w);
    BOOST_REQUIRE(r.is_ready());
    BOOST_REQUIRE(r.value().has_value());
    BOOST_REQUIRE(r.value()->has_value());
    BOOST_TEST((*r.value())->remote_endpoint() == clients.back().local_endpoint());
  }
  BOOST_TEST(cw.wakes() == 3);  // one wake per accept, none for the items themselves
}

BOOST_AUTO_TEST_CASE(the_pending_accept_wakes_the_last_polls_waker_once) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  connections s = futura::accept_stream(acceptor);
  counting_waker first;
  counting_waker last;
  futura::waker w1 = first.make();
  futura::waker w2 = last.make();
  BOOST_REQUIRE(poll_once(s, w1).is_pending());
  BOOST_REQUIRE(poll_once(s, w2).is_pending());  // the same accept: a second poll starts nothing new
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  BOOST_REQUIRE(run_until_woken(ctx, last, 1));
  BOOST_TEST(drain(ctx));
  BOOST_TEST(first.wakes() == 0);
  BOOST_TEST(last.wakes() == 1);
  auto r = poll_once(s, w2);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(r.value()->has_value());
  BOOST_TEST(last.live_clones() == 1);  // only w2: the finished accept kept no clone
}

/// Stops `acceptor` while the stream waits on it, and checks the stream ends without an item,
/// woken once, leaving no work behind.
void check_ends_without_an_item(void (*stop)(tcp::acceptor&)) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  connections s = futura::accept_stream(acceptor);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_REQUIRE(poll_once(s, w).is_pending());
  stop(acceptor);
  BOOST_REQUIRE(run_until_woken(ctx, cw, 1));
  auto r = poll_once(s, w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(!r.value().has_value());
  BOOST_TEST(cw.wakes() == 1);
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(closing_the_acceptor_while_the_stream_waits_ends_it_without_an_item) {
  check_ends_without_an_item([](tcp::acceptor& a) { a.close(); });
}

BOOST_AUTO_TEST_CASE(cancelling_the_acceptor_ends_the_stream) {
  check_ends_without_an_item([](tcp::acceptor& a) { a.cancel(); });
}

BOOST_AUTO_TEST_CASE(a_stream_over_a_closed_acceptor_ends_at_its_first_poll) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx);  // never opened
  connections s = futura::accept_stream(acceptor);
  futura::waker w = futura::noop_waker();
  auto r = poll_once(s, w);
  BOOST_REQUIRE(r.is_ready());
  BOOST_TEST(!r.value().has_value());
  BOOST_TEST(drain(ctx));
}

BOOST_AUTO_TEST_CASE(polling_after_the_end_throws_polled_after_completion) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx);
  connections s = futura::accept_stream(acceptor);
  futura::waker w = futura::noop_waker();
  BOOST_REQUIRE(poll_once(s, w).is_ready());
  BOOST_CHECK_EXCEPTION((void)poll_once(s, w), futura::future_error, futura_test::is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(an_accept_that_fails_for_lack_of_descriptors_is_an_error_item_and_accepting_goes_on) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());  // waits in the backlog
  connections s = futura::accept_stream(acceptor);
  std::optional<accepted> failed;
  {
    descriptors_exhausted no_fds;
    failed = futura::block_on(ctx, s.next());
  }
  BOOST_REQUIRE(failed.has_value());
  BOOST_REQUIRE(!failed->has_value());
  BOOST_TEST(failed->error() == asio::error::no_descriptors);
  // The connection stayed in the backlog; with descriptors again, the next poll accepts it.
  check_connection_of(futura::block_on(ctx, s.next()), client);
}

BOOST_AUTO_TEST_CASE(dropping_the_stream_cancels_the_pending_accept_and_leaves_no_work) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  counting_waker cw;
  {
    connections s = futura::accept_stream(acceptor);
    futura::waker w = cw.make();
    BOOST_REQUIRE(poll_once(s, w).is_pending());
  }
  BOOST_TEST(cw.live_clones() == 0);  // the drop released the registered waker at once
  BOOST_TEST(drain(ctx));             // the cancellation and the aborted accept ran: nothing is left
  BOOST_TEST(cw.wakes() == 0);
  // The acceptor is free again: a new stream accepts the next client.
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  connections again = futura::accept_stream(acceptor);
  check_connection_of(futura::block_on(ctx, again.next()), client);
}

BOOST_AUTO_TEST_CASE(io_context_run_returns_after_the_stream_is_dropped) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  {
    connections s = futura::accept_stream(acceptor);
    futura::waker w = futura::noop_waker();
    BOOST_REQUIRE(poll_once(s, w).is_pending());
  }
  ctx.restart();
  ctx.run();  // returns: the pending accept was cancelled
  BOOST_TEST(ctx.stopped());
}

BOOST_AUTO_TEST_CASE(a_context_destroyed_under_a_pending_accept_makes_the_poll_throw_and_ends_the_stream) {
  std::optional<connections> s;
  futura::waker w = futura::noop_waker();
  {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, any_loopback_port());
    s.emplace(futura::accept_stream(acceptor));
    BOOST_REQUIRE(s->poll_next(w).is_pending());
  }  // the acceptor, then the context: the accept's handler is destroyed uncalled
  BOOST_CHECK_EXCEPTION((void)s->poll_next(w), futura::future_error, futura_test::is_broken_promise);
  BOOST_CHECK_EXCEPTION((void)s->poll_next(w), futura::future_error, futura_test::is_polled_after_completion);
}

BOOST_AUTO_TEST_CASE(the_stream_may_move_between_polls) {
  asio::io_context ctx;
  tcp::acceptor acceptor(ctx, any_loopback_port());
  connections s = futura::accept_stream(acceptor);
  counting_waker cw;
  futura::waker w = cw.make();
  BOOST_REQUIRE(poll_once(s, w).is_pending());
  connections moved(std::move(s));
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  BOOST_REQUIRE(run_until_woken(ctx, cw, 1));
  auto r = poll_once(moved, w);
  BOOST_REQUIRE(r.is_ready());
  check_connection_of(r.value(), client);
}

BOOST_AUTO_TEST_CASE(an_accept_on_a_strand_acceptor_yields_sockets_of_that_executor) {
  asio::io_context ctx;
  using strand_acceptor = asio::basic_socket_acceptor<tcp, asio::strand<asio::io_context::executor_type>>;
  strand_acceptor acceptor(asio::make_strand(ctx), any_loopback_port());
  using item = futura::item_t<futura::connection_stream<strand_acceptor>>;
  static_assert(std::is_same_v<item, boost::system::result<strand_acceptor::protocol_type::socket::rebind_executor<
                                         strand_acceptor::executor_type>::other>>);
  tcp::socket client(ctx);
  client.connect(acceptor.local_endpoint());
  auto s = futura::accept_stream(acceptor);
  check_connection_of(futura::block_on(ctx, s.next()), client);
}

BOOST_AUTO_TEST_CASE(a_task_on_a_two_thread_pool_accepts_every_client_in_order) {
  constexpr std::size_t clients = 50;
  asio::thread_pool pool(2);
  auto strand = asio::make_strand(pool);
  using strand_acceptor = asio::basic_socket_acceptor<tcp, decltype(strand)>;
  strand_acceptor acceptor(strand, any_loopback_port());
  const tcp::endpoint server = acceptor.local_endpoint();
  // The task runs on the acceptor's strand; the accepts complete on either pool thread.
  auto got = futura::spawn(strand, futura::accept_stream(acceptor)
                                       .take(clients)
                                       .map([](auto s) { return s ? s->remote_endpoint() : tcp::endpoint(); })
                                       .collect());
  asio::io_context client_ctx;  // the clients' side, used synchronously on this thread
  std::vector<tcp::socket> connected;
  for (std::size_t i = 0; i < clients; ++i) {
    connected.emplace_back(client_ctx);
    connected.back().connect(server);
  }
  std::vector<tcp::endpoint> remote = futura::block_on(std::move(got));
  BOOST_REQUIRE(remote.size() == clients);
  for (std::size_t i = 0; i < clients; ++i) BOOST_TEST(remote[i] == connected[i].local_endpoint());
  pool.join();
}

BOOST_AUTO_TEST_SUITE_END()
