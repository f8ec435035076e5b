// Test helpers. Tests that need ../shared skip with a clear message when it is absent.
#pragma once

#include <string>

#include "base/bytes.h"

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

}  // namespace teecloud::testing

// Skips the current test when ../shared/vectors is not present.
#define TEECLOUD_REQUIRE_VECTORS()                                                        \
  do {                                                                                    \
    if (::teecloud::testing::SharedDir().empty())                                         \
      GTEST_SKIP() << "../shared/vectors not found (set TEECLOUD_SHARED_DIR); CI has it"; \
  } while (0)
