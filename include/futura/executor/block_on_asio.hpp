// futura/executor/block_on_asio.hpp — deprecated path: include <futura/asio/block_on.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/asio/block_on.hpp>
