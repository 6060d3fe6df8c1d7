// futura's Boost.System error category, the error handler of code compiled without
// exceptions, and the reporting of contract violations.
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/error.hpp>

#include <atomic>
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
    // Indexed by futura::error, whose values start at 1.
    static constexpr const char* messages[] = {
        "broken promise: the promise was destroyed without a value",
        "promise already satisfied: a value or exception was already set",
        "future polled after completion",
        "aborted",
        "timed out",
        "future already retrieved: get_future() was called twice",
        "closed: the channel or semaphore was closed",
        "full: the channel has no room for the value",
        "empty: nothing is buffered in the channel",
    };
    static_assert(sizeof(messages) / sizeof(messages[0]) == static_cast<int>(error::empty),
                  "futura::error: one message per error code");
    const bool known = ev >= 1 && ev <= static_cast<int>(sizeof(messages) / sizeof(messages[0]));
    return known ? messages[ev - 1] : "unknown futura error";
  }
};

}  // namespace

const boost::system::error_category& future_category() noexcept {
  static const future_category_impl instance;
  return instance;
}

namespace {

void default_error_handler(boost::system::error_code, const char* what) noexcept {
  std::fprintf(stderr, "futura: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

std::atomic<error_handler> current_error_handler{&default_error_handler};

}  // namespace

error_handler set_error_handler(error_handler h) noexcept {
  return current_error_handler.exchange(h != nullptr ? h : &default_error_handler, std::memory_order_acq_rel);
}

error_handler get_error_handler() noexcept { return current_error_handler.load(std::memory_order_acquire); }

namespace detail {

void report_error(boost::system::error_code code, const char* what) noexcept {
  current_error_handler.load(std::memory_order_acquire)(code, what);
  std::abort();  // the handler returned: the program cannot go on from where the error was found
}

void report_future_error(error e, const char* who) noexcept {
  // What future_error(e, who).what() says, built without allocating.
  char message[256];
  const boost::system::error_code code = make_error_code(e);
  char text[128];
  const char* const description = code.message(text, sizeof text);
  if (who != nullptr) {
    std::snprintf(message, sizeof message, "%s: %s", who, description);
  } else {
    std::snprintf(message, sizeof message, "%s", description);
  }
  report_error(code, message);
}

void misuse_abort(const char* who) noexcept {
  std::fprintf(stderr, "futura: %s polled after completion (contract rule 4)\n", who);
  std::fflush(stderr);
  std::abort();
}

}  // namespace detail
}  // namespace futura
