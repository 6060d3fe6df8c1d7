// futura/stream.hpp — streams: the contract, the sources of `futura::stream`, the adapters and
// consumers of `stream_ext`. Included by futura/core.hpp.
#pragma once

#include <futura/stream/stream_ext.hpp>
#include <futura/stream/stream_traits.hpp>

#include <futura/stream/empty.hpp>
#include <futura/stream/iter.hpp>
#include <futura/stream/once.hpp>
#include <futura/stream/pending.hpp>
#include <futura/stream/poll_fn.hpp>
#include <futura/stream/repeat.hpp>
#include <futura/stream/unfold.hpp>
