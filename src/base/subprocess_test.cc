#include "base/subprocess.h"

#include <gtest/gtest.h>

#include <chrono>

namespace teecloud {
namespace {

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  auto r = RunSubprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  EXPECT_NE(r->output.find("out\n"), std::string::npos);
  EXPECT_NE(r->output.find("err\n"), std::string::npos);
}

TEST(SubprocessTest, FeedsStdin) {
  const std::string input = "line one\nline two\n";
  SubprocessOptions options;
  options.stdin_data = AsBytes(input);
  auto r = RunSubprocess({"cat"}, options);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->output, input);
}

TEST(SubprocessTest, StdinIgnoredByChildDoesNotKillParent) {
  std::string big(1 << 20, 'x');
  SubprocessOptions options;
  options.stdin_data = AsBytes(big);
  auto r = RunSubprocess({"true"}, options);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0);
}

TEST(SubprocessTest, KillsOnTimeout) {
  SubprocessOptions options;
  options.timeout_seconds = 0.3;
  const auto start = std::chrono::steady_clock::now();
  auto r = RunSubprocess({"sleep", "10"}, options);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SubprocessTest, DoesNotWaitForDaemonizedGrandchild) {
  const auto start = std::chrono::steady_clock::now();
  auto r = RunSubprocess({"sh", "-c", "sleep 3 & echo started"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_NE(r->output.find("started"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SubprocessTest, TruncatesOutput) {
  SubprocessOptions options;
  options.max_output_bytes = 10;
  auto r = RunSubprocess({"sh", "-c", "yes | head -c 100000"}, options);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->output.size(), 10u);
  EXPECT_TRUE(r->output_truncated);
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  auto r = RunSubprocess({"teecloud-no-such-program"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kNotFound);
  EXPECT_FALSE(FindExecutable("teecloud-no-such-program").has_value());
  EXPECT_TRUE(FindExecutable("sh").has_value());
}

TEST(SubprocessTest, WorkingDirectory) {
  SubprocessOptions options;
  options.working_dir = "/";
  auto r = RunSubprocess({"pwd"}, options);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->output, "/\n");
}

}  // namespace
}  // namespace teecloud
