// The half of error_handler_test compiled with exceptions: the same futura calls as the other
// half, which must throw here while they call the error handler there.
#include <futura/core.hpp>

namespace {
struct local_value {};  // no template instance of this file is shared with the other half
}  // namespace

bool poll_after_completion_throws_with_exceptions() {
  futura::promise<local_value> p;
  auto f = p.get_future();
  p.set_value(local_value{});
  (void)futura::block_on(std::move(f));
  futura::waker w;
  try {
    (void)f.poll(w);
  } catch (const futura::future_error& e) {
    return e.code() == futura::error::polled_after_completion;
  }
  return false;
}

bool second_get_future_throws_with_exceptions() {
  futura::promise<local_value> p;
  auto f = p.get_future();
  try {
    auto g = p.get_future();
  } catch (const futura::future_error& e) {
    return e.code() == futura::error::future_already_retrieved;
  }
  return false;
}
