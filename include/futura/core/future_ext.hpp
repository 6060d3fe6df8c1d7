// futura/core/future_ext.hpp — deprecated path: include <futura/combinator/future_ext.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/future_ext.hpp>
