// futura/executor/spawn.hpp — deprecated path: include <futura/asio/spawn.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/asio/spawn.hpp>
