// expect: futura::retry: the policy needs `delay_before(std::size_t attempt, URBG& random)`
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <futura/asio/retry.hpp>
#include <futura/combinator/ready.hpp>
#include <cstddef>
struct attempts_only {
  std::size_t attempt_limit() const { return 3; }
};
int main() {
  boost::asio::io_context ctx;
  auto f = futura::retry(ctx, attempts_only{}, [] { return futura::ready(boost::system::result<int>(1)); });
  (void)f;
}
