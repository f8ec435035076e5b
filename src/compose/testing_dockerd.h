// Test-only: a private dockerd for tests that need the real container engine
// (compose_integration_test, node_engine_e2e_test). Library teecloud::compose_testing.
//
// PrivateDockerd is a GoogleTest global environment. SetUp starts a daemon of its own
// (scripts/dockerd.sh start --dir <tmp>, bounded) and builds teecloud/busybox:local in it.
// TearDown removes every container and user network (networks before the daemon, or their
// bridge interfaces outlive it), unmounts the FUSE mounts below <tmp>, stops the daemon by its
// pidfile, unmounts what is left and deletes <tmp>. When the process is not root, dockerd is not
// installed or TEECLOUD_SOURCE_DIR is unset, skip_reason() says so and tests skip
// (REQUIRE_PRIVATE_DOCKERD). Not thread-safe: used from the test thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compose/engine_client.h"

namespace teecloud::compose {

class PrivateDockerd : public ::testing::Environment {
 public:
  // Creates one and registers it with GoogleTest (which owns it); call from a namespace-scope
  // initializer so it is set up before the first test.
  static PrivateDockerd* Register();

  void SetUp() override;
  void TearDown() override;

  // Non-empty: tests skip with this message.
  const std::string& skip_reason() const { return skip_; }
  // Non-empty: the daemon should have run and did not (tests fail with this message).
  const std::string& error() const { return error_; }
  // The daemon's directory (data/, exec/, docker.sock, dockerd.log); "" when skipped.
  const std::string& dir() const { return dir_; }
  std::string socket_path() const { return dir_ + "/docker.sock"; }
  // A client of the daemon; valid once SetUp succeeded.
  EngineClient* engine() const { return engine_.get(); }

 private:
  std::string skip_, error_, dir_;
  std::unique_ptr<EngineClient> engine_;
};

// Lazily unmounts every mount point below `root` (deepest first); only FUSE mounts when
// `fuse_only`.
void UnmountBelow(const std::string& root, bool fuse_only);

// The mount points below `root` (from /proc/self/mountinfo), as (path, fstype).
std::vector<std::pair<std::string, std::string>> MountsBelow(const std::string& root);

// Regular files below `root` (symlinks not followed, unreadable directories skipped) whose bytes
// contain `needle`. Paths starting with any of `skip` are not entered.
std::vector<std::string> FilesContaining(const std::string& root, std::string_view needle,
                                         const std::vector<std::string>& skip = {});

}  // namespace teecloud::compose

// Skips the test when the daemon cannot run here, fails it when it should have and did not.
#define REQUIRE_PRIVATE_DOCKERD(dockerd)                                             \
  do {                                                                               \
    if (!(dockerd)->skip_reason().empty()) GTEST_SKIP() << (dockerd)->skip_reason(); \
    ASSERT_TRUE((dockerd)->error().empty()) << (dockerd)->error();                   \
    ASSERT_NE((dockerd)->engine(), nullptr);                                         \
  } while (0)
