// The node's data directory on the host: created with restrictive modes, and locked so that
// exactly one teecloud-node manages it (two nodes would both adopt, restart and remove the same
// agents).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace teecloud::node {

// Creates `dir` (mode 0750: the API socket inside it is group-accessible) when missing.
Status PrepareDataDir(const std::string& dir);

// An exclusive flock on <dir>/node.lock, held until destruction. The descriptor is close-on-exec
// (and agents get no inherited fds at all), so a lock outlives the node only as long as the node
// process itself: a SIGKILLed node frees it.
class DataDirLock {
 public:
  // kAlreadyExists when another process holds it.
  static Result<DataDirLock> Acquire(const std::string& dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Whether binding `port`/`protocol` on all interfaces of this host would succeed now.
bool HostPortAvailable(uint16_t port, const std::string& protocol);

}  // namespace teecloud::node
