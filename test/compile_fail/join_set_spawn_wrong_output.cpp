// expect: the future's output type is not T: every task of a join_set<T> yields T
#include <boost/asio/io_context.hpp>
#include <futura/asio/join_set.hpp>
#include <futura/core.hpp>
int main() {
  boost::asio::io_context ctx;
  futura::join_set<int> set;
  set.spawn(ctx, futura::ready(1L));
}
