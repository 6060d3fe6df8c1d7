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
#include <futura/stream/select.hpp>
#include <futura/stream/select_all.hpp>
#include <futura/stream/unfold.hpp>

#include <futura/stream/futures_ordered.hpp>
#include <futura/stream/futures_unordered.hpp>

#include <futura/stream/and_then.hpp>
#include <futura/stream/boxed.hpp>
#include <futura/stream/buffer_unordered.hpp>
#include <futura/stream/buffered.hpp>
#include <futura/stream/chain.hpp>
#include <futura/stream/chunks.hpp>
#include <futura/stream/enumerate.hpp>
#include <futura/stream/filter.hpp>
#include <futura/stream/filter_map.hpp>
#include <futura/stream/flatten.hpp>
#include <futura/stream/fuse.hpp>
#include <futura/stream/inspect.hpp>
#include <futura/stream/map.hpp>
#include <futura/stream/map_err.hpp>
#include <futura/stream/map_ok.hpp>
#include <futura/stream/ready_chunks.hpp>
#include <futura/stream/skip.hpp>
#include <futura/stream/skip_while.hpp>
#include <futura/stream/take.hpp>
#include <futura/stream/take_while.hpp>
#include <futura/stream/then.hpp>
#include <futura/stream/try_filter.hpp>
#include <futura/stream/zip.hpp>

#include <futura/stream/collect.hpp>
#include <futura/stream/count.hpp>
#include <futura/stream/fold.hpp>
#include <futura/stream/for_each.hpp>
#include <futura/stream/for_each_concurrent.hpp>
#include <futura/stream/next.hpp>
#include <futura/stream/try_collect.hpp>
#include <futura/stream/try_for_each.hpp>
#include <futura/stream/try_for_each_concurrent.hpp>
#include <futura/stream/try_next.hpp>
