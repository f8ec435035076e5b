// The Docker Engine log/attach stream format.
//
// For a container created without a TTY the engine multiplexes stdout and stderr into frames:
// an 8-byte header [stream type (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, payload size (u32
// big-endian)] followed by the payload. With a TTY the stream is raw bytes (all stdout).
// LogDemuxer is incremental: HTTP chunks may split a frame anywhere. Pure, no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::compose {

enum class LogStream { kStdin = 0, kStdout = 1, kStderr = 2 };

std::string_view LogStreamName(LogStream s);

struct LogChunk {
  LogStream stream = LogStream::kStdout;
  std::string data;
};

class LogDemuxer {
 public:
  // tty: the container has a TTY, so the stream is raw stdout.
  explicit LogDemuxer(bool tty) : tty_(tty) {}

  // Appends complete frames to `out`; keeps a partial frame for the next call. Fails on a
  // corrupt header or a frame larger than kMaxFrame (the stream is not in the expected
  // format); after an error the demuxer stays failed.
  Status Feed(ByteView data, std::vector<LogChunk>& out);
  // True when no partial frame is pending (a clean end of stream).
  bool AtFrameBoundary() const { return tty_ || pending_.empty(); }

  // Docker's frames are at most 32 KiB in practice; anything near this bound is corruption.
  static constexpr uint32_t kMaxFrame = 16u << 20;

 private:
  bool tty_;
  bool failed_ = false;
  std::string pending_;
};

// Splits chunks into lines per stream (a line ends at '\n', which is removed; "\r\n" too).
// Call Flush at the end of the stream for a last line without a newline.
class LineSplitter {
 public:
  using Sink = std::function<void(LogStream, std::string_view line)>;
  void Feed(const LogChunk& chunk, const Sink& sink);
  void Flush(const Sink& sink);

 private:
  std::string partial_[3];
};

}  // namespace teecloud::compose
