// futura/asio/detail/exceptions_required.hpp — the Asio layer needs exceptions.
//
// Boost.Asio reports many errors by throwing, and the Asio layer hands exceptions between
// tasks, handlers and join handles. Every public header of the layer includes this one first,
// so that a build with -fno-exceptions stops here, saying what to do, rather than at the first
// `throw` deep inside. docs/guide.md, "Without exceptions".
#pragma once

#include <futura/core/detail/config.hpp>

#if !FUTURA_HAS_EXCEPTIONS
#error "futura: futura/futura.hpp and futura/asio/* need exceptions; without them, include <futura/core.hpp>"
#endif
