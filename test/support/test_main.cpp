// The Boost.Test entry point shared by every suite executable.
#define BOOST_TEST_MODULE futura
#include <boost/assert/source_location.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

// Boost code compiled without exceptions (BOOST_NO_EXCEPTIONS) calls these two functions and
// leaves their definition to the program. Boost.Test's own headers reach them from the suites
// built with -fno-exceptions (error_handler_test, `make test-noexcept`); unoptimised builds keep
// the calls, so without a definition those suites do not link. A throw in such a suite ends it.
namespace boost {
[[noreturn]] void throw_exception(const std::exception& e) {
  std::fprintf(stderr, "boost::throw_exception without exceptions: %s\n", e.what());
  std::abort();
}
[[noreturn]] void throw_exception(const std::exception& e, const boost::source_location& where) {
  std::fprintf(stderr, "boost::throw_exception without exceptions: %s at %s:%u\n", e.what(), where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}
}  // namespace boost
