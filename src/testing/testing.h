// Test helpers. Tests that need ../shared skip with a clear message when it is absent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/json.h"

namespace teecloud::testing {

// The shared/ folder (TEECLOUD_SHARED_DIR, set by CTest), or "" when absent.
std::string SharedDir();
// shared/vectors/<rel>; "" when shared/ is absent.
std::string VectorPath(const std::string& rel);
// Reads a vector file; aborts the test (CHECK) when it is unreadable, since callers skip first.
Bytes ReadVector(const std::string& rel);
std::string ReadVectorText(const std::string& rel);
// The repository root (TEECLOUD_SOURCE_DIR).
std::string SourceDir();
// build/bin (TEECLOUD_BIN_DIR).
std::string BinDir();
// A fresh temporary directory, removed by the caller or left in /tmp for inspection.
std::string MakeTempDir();

// Polls `pred` every `poll` until it holds or `limit` has passed; returns its last value. (Every
// wait in a test is bounded.)
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit,
               std::chrono::milliseconds poll = std::chrono::milliseconds(50));
// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreeLoopbackPort();

// A TCP listener on a free 127.0.0.1 port, held until destroyed (another program "holding" a
// port, for conflict tests).
class PortHolder {
 public:
  PortHolder();
  ~PortHolder();
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Starts argv[0] (a path) with argv, stdin from /dev/null and stdout+stderr appended to
// `log_path`, inheriting the environment. Returns its pid, or -1 when it could not start.
int SpawnToLog(const std::vector<std::string>& argv, const std::string& log_path);

// One run of the teecloud CLI binary.
struct CliRun {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
  Json json;  // stdout parsed, when it is JSON
};
// The teecloud binary: $TEECLOUD_BIN_DIR/teecloud when it exists, else `fallback` (the path
// CMake compiled into the test as TEECLOUD_CLI_BINARY).
std::string TeecloudBinary(const std::string& fallback);
// Runs `binary args...` through the shell (every argument quoted), stdin from /dev/null, and
// captures stdout and stderr in files under `scratch_dir`.
CliRun RunBinary(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& scratch_dir);

}  // namespace teecloud::testing

// Skips the current test when ../shared/vectors is not present.
#define TEECLOUD_REQUIRE_VECTORS()                                                        \
  do {                                                                                    \
    if (::teecloud::testing::SharedDir().empty())                                         \
      GTEST_SKIP() << "../shared/vectors not found (set TEECLOUD_SHARED_DIR); CI has it"; \
  } while (0)
