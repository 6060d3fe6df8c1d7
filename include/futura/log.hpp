// futura/log.hpp — deprecated path: include <futura/executor/log.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/executor/log.hpp>
