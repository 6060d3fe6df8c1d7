// futura/core.hpp — futures, combinators, loops, streams, promise and block_on, without Boost.Asio.
//
// Include this in translation units that do no IO: it costs a fraction of the compile time
// of futura/futura.hpp, which adds the Asio executor, the completion token and timers.
#pragma once

#include <futura/version.hpp>

#include <futura/combinator/future_ext.hpp>
#include <futura/core/error.hpp>
#include <futura/core/future_traits.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>

#include <futura/combinator/lazy.hpp>
#include <futura/combinator/loop_fn.hpp>
#include <futura/combinator/pending_forever.hpp>
#include <futura/combinator/poll_fn.hpp>
#include <futura/combinator/ready.hpp>
#include <futura/combinator/yield_now.hpp>

#include <futura/combinator/abortable.hpp>
#include <futura/combinator/and_then.hpp>
#include <futura/combinator/boxed.hpp>
#include <futura/combinator/either.hpp>
#include <futura/combinator/fuse.hpp>
#include <futura/combinator/inspect.hpp>
#include <futura/combinator/join.hpp>
#include <futura/combinator/join_all.hpp>
#include <futura/combinator/map_err.hpp>
#include <futura/combinator/or_else.hpp>
#include <futura/combinator/select.hpp>
#include <futura/combinator/select_all.hpp>
#include <futura/combinator/select_ok.hpp>
#include <futura/combinator/shared.hpp>
#include <futura/combinator/then.hpp>
#include <futura/combinator/try_join.hpp>
#include <futura/combinator/try_join_all.hpp>

#include <futura/stream.hpp>

#include <futura/sync/cancellation_token.hpp>
#include <futura/sync/semaphore.hpp>
#include <futura/sync/with_cancellation.hpp>

#include <futura/channel/from_callback.hpp>
#include <futura/channel/from_callback_stream.hpp>
#include <futura/channel/mpsc.hpp>
#include <futura/channel/promise.hpp>

#include <futura/executor/block_on.hpp>
#include <futura/executor/poll_root.hpp>
