// File I/O returning Result. Writes are atomic (temp file + rename) with an explicit mode.
#pragma once

#include <string>
#include <sys/types.h>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud {

// Reads a whole file; refuses files larger than max_bytes.
Result<Bytes> ReadFile(const std::string& path, size_t max_bytes = 64 << 20);
Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes = 64 << 20);
// Writes via a temp file in the same directory, fsync, rename. Mode applies from creation
// (no window where a secret file is world-readable).
Status WriteFileAtomic(const std::string& path, ByteView data, mode_t mode = 0644);

// Reads binary or hex-text input: if the file is entirely hex digits (optional 0x prefix,
// whitespace), it is decoded; otherwise the raw bytes are returned.
Result<Bytes> ReadBinaryOrHexFile(const std::string& path, size_t max_bytes = 64 << 20);

}  // namespace teecloud
