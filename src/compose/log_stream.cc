#include "compose/log_stream.h"

namespace teecloud::compose {

std::string_view LogStreamName(LogStream s) {
  switch (s) {
    case LogStream::kStdin:
      return "stdin";
    case LogStream::kStdout:
      return "stdout";
    case LogStream::kStderr:
      return "stderr";
  }
  return "unknown";
}

Status LogDemuxer::Feed(ByteView data, std::vector<LogChunk>& out) {
  if (failed_) return DataLoss("log stream: already failed");
  if (tty_) {
    if (!data.empty()) out.push_back(LogChunk{LogStream::kStdout, std::string(AsStringView(data))});
    return OkStatus();
  }
  pending_.append(AsStringView(data));
  size_t pos = 0;
  while (pending_.size() - pos >= 8) {
    const auto* h = reinterpret_cast<const uint8_t*>(pending_.data() + pos);
    if (h[0] > 2 || h[1] != 0 || h[2] != 0 || h[3] != 0) {
      failed_ = true;
      return DataLoss("log stream: corrupt frame header (stream byte " + std::to_string(h[0]) +
                      "); is the container a TTY?");
    }
    const uint32_t size =
        (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | uint32_t{h[7]};
    if (size > kMaxFrame) {
      failed_ = true;
      return DataLoss("log stream: frame of " + std::to_string(size) + " bytes exceeds the limit");
    }
    if (pending_.size() - pos - 8 < size) break;
    out.push_back(LogChunk{static_cast<LogStream>(h[0]), pending_.substr(pos + 8, size)});
    pos += 8 + size;
  }
  pending_.erase(0, pos);
  return OkStatus();
}

void LineSplitter::Feed(const LogChunk& chunk, const Sink& sink) {
  std::string& buf = partial_[static_cast<int>(chunk.stream)];
  buf += chunk.data;
  size_t start = 0;
  for (;;) {
    const size_t nl = buf.find('\n', start);
    if (nl == std::string::npos) break;
    size_t end = nl;
    if (end > start && buf[end - 1] == '\r') --end;
    sink(chunk.stream, std::string_view(buf).substr(start, end - start));
    start = nl + 1;
  }
  buf.erase(0, start);
}

void LineSplitter::Flush(const Sink& sink) {
  for (int i = 0; i < 3; ++i) {
    if (!partial_[i].empty()) sink(static_cast<LogStream>(i), partial_[i]);
    partial_[i].clear();
  }
}

}  // namespace teecloud::compose
