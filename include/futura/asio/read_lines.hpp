// futura/asio/read_lines.hpp — the lines a byte stream (a socket) receives, as a stream.
//
//   scanning --a complete line is buffered--> item(line) (its bytes leave the buffer); scanning
//   scanning --the buffered line is longer than the limit--> item(message_size); ending
//   scanning --no complete line--> reading(async_read_some into the buffer's free room)
//   reading --pending--> pending (the read's handler wakes the last poll's waker)
//   reading --n bytes--> scanning (only the n new bytes are searched for '\n')
//   reading --eof, a line unterminated--> item(that line, as it is); ending
//   reading --eof, nothing buffered--> end; ended
//   reading --another error (connection_reset, ...)--> item(error); ending
//   reading --the poll throws (the context was destroyed)--> ended; the exception propagates
//   ending --poll--> end; ended
//   ended --poll--> polled_after_completion (rule 4)
//
// `read_lines(s)` yields `boost::system::result<std::string>`: each line without its '\n' and
// without a '\r' just before it (so LF and CRLF endings both work; an empty line is ""). A line
// is yielded as soon as its '\n' is buffered, and every buffered line is yielded before the
// next read starts: no read runs while a line waits. `read_lines(s, max_line_length)` bounds a
// line (counted without its ending): as soon as the buffered part of a line is longer, the
// stream yields `boost::asio::error::message_size` and ends, so a peer cannot make it buffer
// more than the limit plus one read. `read_lines(s, max, already_received)` starts with those
// bytes buffered (their lines come first, before any read).
//
// `take_buffered()` hands back the bytes received but not yielded as lines (the start of the
// next line, or the body that follows an HTTP head) and empties the buffer, so the caller can
// read on from the socket itself. It is valid whenever no read is in flight: before the first
// poll, after an item, after the end; while a read is in flight (after a pending poll_next) it
// throws std::logic_error.
//
// Ordering: lines in the order the bytes arrived. Threads: poll it from one thread at a time;
// the read's handler runs on the socket's executor and wakes the waker of the last poll. The
// stream refers to the socket, which must outlive it and the aborted read of a drop: a drop
// cancels the read on the socket's executor, so later than the drop unless it happens inside a
// handler of that executor. When the socket lives in the same object as the stream (a session),
// give `read_lines` a `std::shared_ptr` to it instead: the stream and its read then share the
// socket, and it stays until the aborted read's handler has run.
// Destruction: dropping the stream while a read is in flight cancels the read (`as_future`'s
// drop); the buffer is shared with that read (consigned to its handler), so the read's late
// completion writes into live memory, and the buffer goes when both let go. What a drop loses
// is written in docs/guide.md (chapter 21, and the cancel-safety table of chapter 15).
// Allocation: at the first poll, the buffer: two blocks (the shared header, and its bytes: 4 KiB
// at least); the bytes grow (doubling) only while a line longer than the buffer is being
// received, and are reused otherwise; per read, what `async_read_some(buf, as_future)` allocates
// (recycled per thread); per line, the std::string yielded.
#pragma once

#include <futura/asio/detail/exceptions_required.hpp>

#include <futura/asio/as_future.hpp>
#include <futura/asio/detail/op_in_flight.hpp>
#include <futura/core/detail/detection.hpp>
#include <futura/core/detail/exceptions.hpp>
#include <futura/core/detail/misuse.hpp>
#include <futura/core/detail/ref_count.hpp>
#include <futura/core/poll_result.hpp>
#include <futura/core/waker.hpp>
#include <futura/stream/stream_ext.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace futura {

namespace detail {

/// The bytes a line stream received and has not yielded yet. Shared (reference-counted) by the
/// stream and the read in flight, which writes into the free room after the buffered bytes:
/// only one of them touches it at a time (the stream only while no read is in flight).
///
///   [0, begin)      yielded already (reclaimed by the next `prepare`)
///   [begin, end)    buffered: the unyielded bytes; [begin, scanned) holds no '\n'
///   [end, capacity) free room for the next read
class line_buffer : public intrusive_ref_count<line_buffer> {
 public:
  /// The least free room a read is given.
  static constexpr std::size_t min_read = 4096;

  explicit line_buffer(const std::string& initial)
      : bytes_(new char[std::max(initial.size(), min_read)]),
        capacity_(std::max(initial.size(), min_read)),
        end_(initial.size()) {
    if (!initial.empty()) std::memcpy(bytes_.get(), initial.data(), initial.size());
  }

  const char* data() const noexcept { return bytes_.get() + begin_; }
  std::size_t size() const noexcept { return end_ - begin_; }

  /// The offset from data() of the first buffered '\n', or npos. Each byte is searched once,
  /// however many reads a line takes.
  std::size_t find_newline() noexcept {
    if (scanned_ < end_) {
      const void* nl = std::memchr(bytes_.get() + scanned_, '\n', end_ - scanned_);
      if (nl) return static_cast<std::size_t>(static_cast<const char*>(nl) - data());
      scanned_ = end_;
    }
    return std::string::npos;
  }

  /// Drops the first `n` buffered bytes (a line and its ending).
  void consume(std::size_t n) noexcept {
    begin_ += n;
    scanned_ = begin_;
    if (begin_ == end_) begin_ = end_ = scanned_ = 0;
  }

  /// The buffered bytes, removed.
  std::string take_all() {
    std::string out(data(), size());
    begin_ = end_ = scanned_ = 0;
    return out;
  }

  /// The free room the next read writes into: at least `min_read` bytes after the buffered
  /// ones, which move to the front first (they are one unfinished line: each byte moves at most once).
  boost::asio::mutable_buffer prepare() {
    if (begin_ > 0) {
      std::memmove(bytes_.get(), bytes_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      scanned_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < min_read) {
      const std::size_t grown = std::max(capacity_ * 2, end_ + min_read);
      std::unique_ptr<char[]> bigger(new char[grown]);
      std::memcpy(bigger.get(), bytes_.get(), end_);
      bytes_ = std::move(bigger);
      capacity_ = grown;
    }
    return {bytes_.get() + end_, capacity_ - end_};
  }

  /// A read put `n` bytes into the room `prepare` gave.
  void commit(std::size_t n) noexcept { end_ += n; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_;
  std::size_t begin_ = 0;
  std::size_t end_;
  std::size_t scanned_ = 0;
};

template <class S>
using async_read_some_call =
    decltype(std::declval<S&>().async_read_some(std::declval<boost::asio::mutable_buffer>(), futura::as_future));
template <class S>
using reads_some_with_as_future = is_detected<async_read_some_call, S>;

}  // namespace detail

/// The stream of `read_lines(s, ...)`: the lines `s` receives, as `boost::system::result<std::string>`.
/// @code
///   boost::asio::ip::tcp::socket sock(ctx);
///   futura::line_stream<boost::asio::ip::tcp::socket> lines = futura::read_lines(sock, 8192);
/// @endcode
template <class AsyncReadStream>
class [[nodiscard]] line_stream : public stream_ext<line_stream<AsyncReadStream>> {
  static_assert(detail::reads_some_with_as_future<AsyncReadStream>::value,
                "futura::read_lines: the argument must be an Asio byte stream (a socket, an ssl::stream, ...) with "
                "async_read_some(mutable_buffer, token) completing with (error_code, std::size_t)");

  using buffer_ref = detail::ref_ptr<detail::line_buffer>;
  // The read holds the buffer and, when the stream shares the socket, the socket: what a drop
  // mid-read leaves behind stays valid until the aborted read's handler has run.
  using read_future = decltype(std::declval<AsyncReadStream&>().async_read_some(
      std::declval<boost::asio::mutable_buffer>(),
      boost::asio::consign(futura::as_future, std::declval<buffer_ref>(), std::declval<std::shared_ptr<void>>())));

 public:
  using item_type = boost::system::result<std::string>;

  /// Refers to `s`, which must outlive the stream; `already_received` is buffered first.
  line_stream(AsyncReadStream& s, std::size_t max_line_length, std::string already_received) noexcept
      : stream_(&s), max_line_length_(max_line_length), initial_(std::move(already_received)) {}

  /// Shares `s` (not null): the stream and its read in flight keep it alive.
  line_stream(std::shared_ptr<AsyncReadStream> s, std::size_t max_line_length, std::string already_received) noexcept
      : stream_(s.get()),
        owner_(std::move(s)),
        max_line_length_(max_line_length),
        initial_(std::move(already_received)) {}

  poll_result<std::optional<item_type>> poll_next(waker& w) {
    if (std::holds_alternative<ended>(stage_)) detail::polled_after_completion("futura::read_lines");
    if (std::holds_alternative<ending>(stage_)) return finish();
    if (!buffer_) buffer_ = buffer_ref(new detail::line_buffer(std::exchange(initial_, std::string())));
    for (;;) {
      if (std::holds_alternative<scanning>(stage_)) {
        if (std::optional<item_type> line = next_buffered_line()) return line;
        stage_.template emplace<reading>(reading{
            stream_->async_read_some(buffer_->prepare(), boost::asio::consign(futura::as_future, buffer_, owner_))});
      }
      poll_result<boost::system::result<std::size_t>> read =
          detail::poll_in_flight<ended>(stage_, std::get<reading>(stage_).read, w);
      if (read.is_pending()) return pending;
      stage_.template emplace<scanning>();
      boost::system::result<std::size_t> n = read.value();
      if (n) {
        buffer_->commit(*n);
        continue;  // scan the new bytes; read again only if they end no line
      }
      stage_.template emplace<ending>();
      if (n.error() != boost::asio::error::eof) {
        return std::optional<item_type>(item_type(boost::system::in_place_error, n.error()));
      }
      if (buffer_->size() == 0) return finish();
      if (buffer_->size() > max_line_length_) return too_long();  // a '\r' at its end is no ending now
      return std::optional<item_type>(buffer_->take_all());       // the last line, unterminated
    }
  }

  /// Returns and removes the bytes received but not yet yielded as lines. Valid when no read is
  /// in flight: before the first poll, after an item, after the end.
  /// @code
  ///   auto head = futura::read_lines(sock, 8192);
  ///   // ... poll lines up to the empty line that ends an HTTP head, then:
  ///   std::string body_start = head.take_buffered();
  /// @endcode
  /// Throws std::logic_error while a read is in flight (after a pending poll_next).
  std::string take_buffered() {
    if (std::holds_alternative<reading>(stage_)) {
      detail::throw_standard<std::logic_error>(
          boost::system::errc::operation_not_permitted,
          "futura::read_lines: take_buffered() while a read is in flight; call it before the first poll, after "
          "an item or after the end");
    }
    if (!buffer_) return std::exchange(initial_, std::string());
    return buffer_->take_all();
  }

 private:
  struct scanning {};
  struct reading {
    read_future read;
  };
  struct ending {};
  struct ended {};

  std::optional<item_type> finish() noexcept {
    stage_.template emplace<ended>();
    return std::nullopt;
  }

  /// The next complete buffered line, or message_size for a line over the limit, or nothing.
  std::optional<item_type> next_buffered_line() {
    const std::size_t nl = buffer_->find_newline();
    if (nl != std::string::npos) {
      const char* line = buffer_->data();
      const std::size_t length = (nl > 0 && line[nl - 1] == '\r') ? nl - 1 : nl;
      if (length > max_line_length_) return too_long();
      std::string out(line, length);
      buffer_->consume(nl + 1);
      return std::optional<item_type>(std::move(out));
    }
    // The unterminated rest may still lose a '\r' to its ending: one byte over is not yet too long.
    const std::size_t partial = buffer_->size();
    if (partial > max_line_length_ && !(partial - max_line_length_ == 1 && buffer_->data()[partial - 1] == '\r')) {
      return too_long();
    }
    return std::nullopt;
  }

  std::optional<item_type> too_long() {
    stage_.template emplace<ending>();
    return std::optional<item_type>(item_type(boost::asio::error::make_error_code(boost::asio::error::message_size)));
  }

  AsyncReadStream* stream_;
  std::shared_ptr<void> owner_;  // the socket, when shared; else empty
  std::size_t max_line_length_;
  std::string initial_;  // already_received, until the first poll makes the buffer
  buffer_ref buffer_;
  std::variant<scanning, reading, ending, ended> stage_;
};

/// A stream of the lines `s` receives, each a `boost::system::result<std::string>` without its
/// line ending; lines longer than `max_line_length` bytes end the stream with
/// `boost::asio::error::message_size`; `already_received` bytes are buffered before any read.
/// @code
///   boost::asio::ip::tcp::socket sock(ctx);
///   sock.connect(server);
///   std::vector<std::string> lines;
///   futura::block_on(ctx, futura::read_lines(sock, 1024).for_each([&](boost::system::result<std::string> line) {
///     if (line) lines.push_back(std::move(*line));
///   }));
/// @endcode
template <class AsyncReadStream>
line_stream<AsyncReadStream> read_lines(AsyncReadStream& s,
                                        std::size_t max_line_length = std::numeric_limits<std::size_t>::max(),
                                        std::string already_received = std::string()) {
  return line_stream<AsyncReadStream>(s, max_line_length, std::move(already_received));
}

/// As `read_lines(*s, ...)`, but the stream shares `s`: the stream, and a read it started, keep
/// the socket alive, so the socket may go with the object that holds the stream even while a
/// read is in flight (a dropped read is cancelled on the socket's executor, later: the socket
/// must still be there then). A null `s` throws std::invalid_argument.
/// @code
///   struct connection {
///     std::shared_ptr<tcp::socket> socket;
///     futura::line_stream<tcp::socket> lines = futura::read_lines(socket, 8192);
///   };   // destroying a connection mid-read is safe
/// @endcode
template <class AsyncReadStream>
line_stream<AsyncReadStream> read_lines(std::shared_ptr<AsyncReadStream> s,
                                        std::size_t max_line_length = std::numeric_limits<std::size_t>::max(),
                                        std::string already_received = std::string()) {
  if (!s) {
    detail::throw_standard<std::invalid_argument>(boost::system::errc::invalid_argument,
                                                  "futura::read_lines: the shared socket is null");
  }
  return line_stream<AsyncReadStream>(std::move(s), max_line_length, std::move(already_received));
}

}  // namespace futura
