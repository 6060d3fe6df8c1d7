// The methods of streams of boost::system::result<T, E>: try_next, map_ok, map_err, and_then,
// try_filter, try_for_each, try_collect. Values and errors, pending items and futures, the end,
// and the try_ futures' rule: they stop at the first error and drop the rest of the stream.
#include <support/probe.hpp>
#include <support/probe_stream.hpp>
#include <support/stream_contract.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace futura_test;

namespace {

using res = boost::system::result<int>;
using ints = std::vector<int>;

boost::system::error_code io_error() { return boost::system::errc::make_error_code(boost::system::errc::io_error); }

std::vector<res> results(std::initializer_list<int> l, int error_at = -1) {
  std::vector<res> v;
  int i = 0;
  for (int x : l) v.push_back(i++ == error_at ? res(io_error()) : res(x));
  return v;
}

auto as_result = [](int x) { return res(x); };

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_try)

BOOST_AUTO_TEST_CASE(the_try_adapters_keep_the_adapter_contract) {
  check_adapter_contract([](auto s) { return std::move(s).map(as_result).map_ok([](int x) { return x + 1; }); });
  check_adapter_contract([](auto s) {
    return std::move(s).map(as_result).map_err([](boost::system::error_code e) { return e.value(); });
  });
  check_adapter_contract([](auto s) { return std::move(s).map(as_result).and_then([](int x) { return res(x); }); });
  check_adapter_contract(
      [](auto s) { return std::move(s).map(as_result).and_then([](int x) { return futura::ready(res(x)); }); });
  check_adapter_contract(
      [](auto s) { return std::move(s).map(as_result).try_filter([](const int&) { return true; }); });
}

BOOST_AUTO_TEST_CASE(try_next_yields_values_errors_and_the_end_and_refers_to_the_stream) {
  auto s = futura::stream::iter(results({1, 0, 3}, 1));
  boost::system::result<std::optional<int>> r = futura::block_on(s.try_next());
  BOOST_TEST((r && *r && **r == 1));
  r = futura::block_on(s.try_next());
  BOOST_TEST((!r && r.error() == io_error()));
  r = futura::block_on(s.try_next());  // the stream goes on after an error: its own business
  BOOST_TEST((r && *r && **r == 3));
  r = futura::block_on(s.try_next());
  BOOST_TEST((r && !*r));  // the end
}

BOOST_AUTO_TEST_CASE(try_next_is_pending_while_the_stream_is_and_wakes_with_it) {
  probe_stream_source<res> src;
  auto s = src.stream();
  auto f = s.try_next();
  counting_waker target;
  futura::waker w = target.make();
  BOOST_TEST(f.poll(w).is_pending());
  src.push(res(5));
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(**value_of(f.poll(w)) == 5);
}

BOOST_AUTO_TEST_CASE(map_ok_map_err_and_and_then_touch_only_their_side_of_each_item) {
  auto items = [] { return futura::stream::iter(results({1, 0, 3}, 1)); };
  std::vector<boost::system::result<double>> ok =
      futura::block_on(items().map_ok([](int x) { return x * 1.5; }).collect());
  BOOST_TEST(ok.size() == 3u);
  BOOST_TEST(*ok[0] == 1.5);
  BOOST_TEST(ok[1].error() == io_error());
  BOOST_TEST(*ok[2] == 4.5);

  int errors_seen = 0;
  std::vector<boost::system::result<int, std::string>> err =
      futura::block_on(items()
                           .map_err([&](boost::system::error_code) {
                             ++errors_seen;
                             return std::string("failed");
                           })
                           .collect());
  BOOST_TEST(errors_seen == 1);
  BOOST_TEST(*err[0] == 1);
  BOOST_TEST(err[1].error() == "failed");

  int calls = 0;
  std::vector<res> chained = futura::block_on(items()
                                                  .and_then([&](int x) {
                                                    ++calls;
                                                    return x == 3 ? res(io_error()) : res(x * 10);
                                                  })
                                                  .collect());
  BOOST_TEST(calls == 2);  // not for the error
  BOOST_TEST(*chained[0] == 10);
  BOOST_TEST(chained[1].error() == io_error());
  BOOST_TEST(chained[2].error() == io_error());
}

BOOST_AUTO_TEST_CASE(and_then_with_a_future_runs_one_at_a_time_and_a_drop_drops_the_one_in_flight) {
  probe_stream_source<res> src;
  std::vector<probe<res>> probes(2);
  int next = 0;
  auto make = [&](int) { return probes[static_cast<std::size_t>(next++)].future(); };
  std::optional<decltype(src.stream().and_then(make))> s(src.stream().and_then(make));
  counting_waker target;
  futura::waker w = target.make();
  src.push(res(1));
  src.push(res(2));
  BOOST_TEST(s->poll_next(w).is_pending());  // the first future runs
  BOOST_TEST(next == 1);                     // the second item waits for it
  probes[0].complete(res(10));
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(*next_of(s->poll_next(w)) == res(10));
  BOOST_TEST(probes[0].drops() == 1);  // destroyed before its output left
  src.push(res(io_error()));
  BOOST_TEST(s->poll_next(w).is_pending());  // the second future runs
  s.reset();
  BOOST_TEST(probes[1].drops() == 1);  // the future in flight, once
  BOOST_TEST(src.drops() == 1);
  BOOST_TEST(next == 2);
}

BOOST_AUTO_TEST_CASE(try_filter_keeps_the_values_pred_accepts_and_every_error) {
  int calls = 0;
  std::vector<res> v = futura::block_on(futura::stream::iter(results({1, 2, 0, 4, 5}, 2))
                                            .try_filter([&](const int& x) {
                                              ++calls;
                                              return x % 2 == 0;
                                            })
                                            .collect());
  BOOST_TEST(calls == 4);
  BOOST_TEST(v.size() == 3u);
  BOOST_TEST(*v[0] == 2);
  BOOST_TEST(v[1].error() == io_error());
  BOOST_TEST(*v[2] == 4);
}

BOOST_AUTO_TEST_CASE(try_collect_collects_the_values_in_order_or_stops_at_the_first_error) {
  boost::system::result<ints> all = futura::block_on(futura::stream::iter(results({1, 2, 3})).try_collect());
  BOOST_TEST(*all == (ints{1, 2, 3}), boost::test_tools::per_element());

  probe_stream_source<res> src;
  auto f = src.stream().try_collect();
  counting_waker target;
  futura::waker w = target.make();
  src.push(res(1));
  BOOST_TEST(f.poll(w).is_pending());
  src.push(res(io_error()));
  src.push(res(3));
  BOOST_TEST(target.wakes() == 2);
  boost::system::result<ints> r = value_of(f.poll(w));
  BOOST_TEST(r.error() == io_error());
  BOOST_TEST(src.drops() == 1);    // the rest of the stream is dropped at the error
  BOOST_TEST(src.queued() == 1u);  // and the item after it never polled for
#if FUTURA_HAS_EXCEPTIONS
  BOOST_CHECK_EXCEPTION((void)f.poll(w), futura::future_error, is_polled_after_completion);
#endif
}

BOOST_AUTO_TEST_CASE(try_for_each_runs_f_on_each_value_and_stops_at_the_first_error) {
  ints seen;
  boost::system::result<void> ok =
      futura::block_on(futura::stream::iter(results({1, 2, 3})).try_for_each([&](int x) { seen.push_back(x); }));
  BOOST_TEST(ok.has_value());
  BOOST_TEST(seen == (ints{1, 2, 3}), boost::test_tools::per_element());

  seen.clear();
  boost::system::result<void> from_stream =
      futura::block_on(futura::stream::iter(results({1, 0, 3}, 1)).try_for_each([&](int x) { seen.push_back(x); }));
  BOOST_TEST(from_stream.error() == io_error());
  BOOST_TEST(seen == (ints{1}), boost::test_tools::per_element());

  seen.clear();
  probe_stream_source<res> src;
  auto f = src.stream().try_for_each([&](int x) -> boost::system::result<void> {
    seen.push_back(x);
    if (x == 2) return io_error();
    return {};
  });
  for (int x : {1, 2, 3}) src.push(res(x));
  futura::waker w;
  boost::system::result<void> from_f = value_of(f.poll(w));
  BOOST_TEST(from_f.error() == io_error());
  BOOST_TEST(seen == (ints{1, 2}), boost::test_tools::per_element());  // not called after the error
  BOOST_TEST(src.drops() == 1);                                        // the stream dropped at once
  BOOST_TEST(src.queued() == 1u);
}

BOOST_AUTO_TEST_CASE(try_for_each_with_a_future_runs_one_at_a_time_and_a_drop_drops_it) {
  probe_stream_source<res> src;
  std::vector<probe<boost::system::result<void>>> probes(2);
  int next = 0;
  auto make = [&](int) { return probes[static_cast<std::size_t>(next++)].future(); };
  std::optional<decltype(src.stream().try_for_each(make))> f(src.stream().try_for_each(make));
  counting_waker target;
  futura::waker w = target.make();
  src.push(res(1));
  src.push(res(2));
  BOOST_TEST(f->poll(w).is_pending());
  BOOST_TEST(next == 1);
  probes[0].complete(boost::system::result<void>());
  BOOST_TEST(target.wakes() == 1);
  BOOST_TEST(f->poll(w).is_pending());  // the first done, the second running
  BOOST_TEST(probes[0].drops() == 1);
  BOOST_TEST(next == 2);
  f.reset();
  BOOST_TEST(probes[1].drops() == 1);
  BOOST_TEST(src.drops() == 1);
}

#if FUTURA_HAS_EXCEPTIONS
BOOST_AUTO_TEST_CASE(exceptions_from_the_stream_or_f_propagate_out_of_the_try_futures) {
  probe_stream_source<res> src;
  auto f = src.stream().try_collect();
  src.fail();
  futura::waker w;
  BOOST_CHECK_THROW((void)f.poll(w), std::runtime_error);

  auto g = futura::stream::iter(results({1})).try_for_each([](int) -> boost::system::result<void> {
    throw std::runtime_error("f failed");
  });
  BOOST_CHECK_THROW((void)g.poll(w), std::runtime_error);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
