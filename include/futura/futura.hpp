// futura/futura.hpp — everything: the core plus the Boost.Asio layer.
#pragma once

#include <futura/core.hpp>

#include <futura/executor/spawn.hpp>
#include <futura/log.hpp>
