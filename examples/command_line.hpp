// The command-line checks the example programs share: a usage error prints the message and the
// program's usage, then exits with status 2; numbers are decimal, in a range.
#pragma once

#include <cstdlib>
#include <iostream>
#include <string>

namespace examples {

/// A program's name and usage text, for its error messages.
struct command_line {
  const char* program;
  const char* usage;

  /// Prints "program: message" and the usage, and exits with status 2.
  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << program << ": " << message << "\n" << usage;
    std::exit(2);
  }

  /// The value of `option`: a decimal number in [low, high] (`text` null: the value is missing).
  long number(const std::string& option, const char* text, long low, long high) const {
    const std::string s = text ? text : "";
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
      fail("option " + option + " needs a number, got '" + s + "'");
    }
    const long v = std::stol(s);
    if (v < low || v > high) {
      fail("option " + option + " must be in " + std::to_string(low) + ".." + std::to_string(high) + ", got " + s);
    }
    return v;
  }
};

}  // namespace examples
