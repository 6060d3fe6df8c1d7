// futura/core/lazy.hpp — deprecated path: include <futura/combinator/lazy.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/lazy.hpp>
