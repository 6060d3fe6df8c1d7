// futura/core/poll_fn.hpp — deprecated path: include <futura/combinator/poll_fn.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/poll_fn.hpp>
