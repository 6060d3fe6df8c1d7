// futura/executor/join_handle.hpp — deprecated path: include <futura/asio/join_handle.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/asio/join_handle.hpp>
