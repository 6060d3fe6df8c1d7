#include <support/probe.hpp>
#include <boost/test/unit_test.hpp>
BOOST_AUTO_TEST_CASE(smoke) { BOOST_TEST(futura::block_on(futura::ready(20).then([](int x) { return x + 10; })) == 30); }
