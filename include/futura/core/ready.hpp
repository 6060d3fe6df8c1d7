// futura/core/ready.hpp — deprecated path: include <futura/combinator/ready.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/ready.hpp>
