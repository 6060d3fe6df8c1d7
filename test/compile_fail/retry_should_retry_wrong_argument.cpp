// expect: futura::retry: should_retry must be callable as should_retry(const E&) and return bool
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <futura/asio/retry.hpp>
#include <futura/combinator/ready.hpp>
#include <string>
int main() {
  boost::asio::io_context ctx;
  auto make = [] { return futura::ready(boost::system::result<int>(1)); };
  auto f = futura::retry(ctx, futura::backoff{}, make, [](const std::string&) { return true; });
  (void)f;
}
