// futura's Boost.System error category and the reporting of contract violations.
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace futura {
namespace {

class future_category_impl final : public boost::system::error_category {
 public:
  // A fixed id makes codes from copies of this category in different shared objects compare equal.
  constexpr future_category_impl() noexcept : error_category(0x6675747572610001ULL) {}

  const char* name() const noexcept override { return "futura"; }

  std::string message(int ev) const override { return describe(ev); }
  const char* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

 private:
  static const char* describe(int ev) noexcept {
    switch (static_cast<error>(ev)) {
      case error::broken_promise:
        return "broken promise: the promise was destroyed without a value";
      case error::promise_already_satisfied:
        return "promise already satisfied: a value or exception was already set";
      case error::polled_after_completion:
        return "future polled after completion";
      case error::aborted:
        return "aborted";
      case error::timed_out:
        return "timed out";
      case error::future_already_retrieved:
        return "future already retrieved: get_future() was called twice";
    }
    return "unknown futura error";
  }
};

}  // namespace

const boost::system::error_category& future_category() noexcept {
  static const future_category_impl instance;
  return instance;
}

namespace detail {

void misuse_abort(const char* who) noexcept {
  std::fprintf(stderr, "futura: %s polled after completion (contract rule 4)\n", who);
  std::fflush(stderr);
  std::abort();
}

}  // namespace detail
}  // namespace futura
