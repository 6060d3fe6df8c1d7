// futura/futura.hpp — everything: the core plus the Boost.Asio layer.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/core.hpp>

#include <futura/asio/accept_stream.hpp>
#include <futura/asio/as_future.hpp>
#include <futura/asio/block_on.hpp>
#include <futura/asio/interval.hpp>
#include <futura/asio/join_set.hpp>
#include <futura/asio/read_lines.hpp>
#include <futura/asio/retry.hpp>
#include <futura/asio/spawn.hpp>
#include <futura/asio/timeout.hpp>
#include <futura/asio/timer.hpp>
#include <futura/executor/log.hpp>
