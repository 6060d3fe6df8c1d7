// futura/core/yield_now.hpp — deprecated path: include <futura/combinator/yield_now.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/yield_now.hpp>
