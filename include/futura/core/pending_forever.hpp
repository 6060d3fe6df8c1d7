// futura/core/pending_forever.hpp — deprecated path: include <futura/combinator/pending_forever.hpp>.
// futura: forwarding header (kept so that existing includes go on compiling; see CHANGELOG.md).
#pragma once

#include <futura/combinator/pending_forever.hpp>
