// Lint entry point: one translation unit that includes every public header, so that
// `make lint` (clang-tidy with the repository's .clang-tidy) checks all header code once.
#include <futura/executor/log.hpp>
#include <futura/futura.hpp>

int main() { return 0; }
