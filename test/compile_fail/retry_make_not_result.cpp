// expect: futura::retry: make() must return a future of boost::system::result<T, E>
#include <boost/asio/io_context.hpp>
#include <futura/asio/retry.hpp>
#include <futura/combinator/ready.hpp>
int main() {
  boost::asio::io_context ctx;
  auto f = futura::retry(ctx, futura::backoff{}, [] { return futura::ready(1); });
  (void)f;
}
