// A minimal POSIX ustar writer: build contexts for the engine's /build endpoint.
//
// Entries get uid/gid 0 and mtime 0 so that the same inputs give the same bytes (the engine's
// build cache then hits). Paths are relative, '/'-separated, at most 255 bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::compose {

class TarWriter {
 public:
  Status AddFile(std::string_view path, ByteView content, uint32_t mode = 0644);
  Status AddDirectory(std::string_view path, uint32_t mode = 0755);
  Status AddSymlink(std::string_view path, std::string_view target);
  // The archive with its two terminating zero blocks. The writer is empty afterwards.
  Bytes Finish();

 private:
  Status AddHeader(std::string_view path, char type, uint64_t size, uint32_t mode,
                   std::string_view link_target);
  Bytes out_;
};

}  // namespace teecloud::compose
