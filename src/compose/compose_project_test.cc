// The parts of ComposeProject that need no engine: the secret file format and writer, and the
// checks Up makes before it talks to an engine.
#include "compose/compose_project.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/file.h"
#include "testing/testing.h"

namespace teecloud::compose {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(const crypto::SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.view().data()), b.size());
}

TEST(SecretEnvFileTest, EncodesSortedNulTerminatedRecords) {
  auto e = EncodeSecretEnv({{"B_2", "two"}, {"A", "x=y z"}, {"_EMPTY", ""}});
  ASSERT_TRUE(e.has_value()) << e.error().ToString();
  EXPECT_EQ(Text(*e), std::string("A=x=y z\0B_2=two\0_EMPTY=\0", 24));
  auto none = EncodeSecretEnv({});
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->size(), 0u);
}

TEST(SecretEnvFileTest, RefusesBadKeysAndNulValuesWithoutQuotingValues) {
  for (const std::string key : {"", "1A", "A-B", "A B", "A=B", "Ä"}) {
    auto e = EncodeSecretEnv({{key, "v"}});
    ASSERT_FALSE(e.has_value()) << key;
    EXPECT_EQ(e.error().code, Code::kInvalidArgument);
  }
  const std::string value("s3cr3t\0tail", 11);
  auto e = EncodeSecretEnv({{"KEY", value}});
  ASSERT_FALSE(e.has_value());
  EXPECT_THAT(e.error().message, HasSubstr("KEY"));
  EXPECT_THAT(e.error().message, Not(HasSubstr("s3cr3t")));
}

TEST(SecretEnvFileTest, WritesMode0600AndReplacesAtomically) {
  const std::string dir = teecloud::testing::MakeTempDir();
  const std::string path = dir + "/web.env";
  ASSERT_TRUE(WriteSecretEnvFile(path, {{"API_KEY", "one"}}));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(*ReadTextFile(path), std::string("API_KEY=one\0", 12));
  ASSERT_TRUE(WriteSecretEnvFile(path, {{"API_KEY", "two"}, {"B", "b"}}));
  EXPECT_EQ(*ReadTextFile(path), std::string("API_KEY=two\0B=b\0", 16));
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);  // no temp file left behind
  EXPECT_FALSE(WriteSecretEnvFile(dir + "/missing/web.env", {{"A", "b"}}));
  fs::remove_all(dir);
}

// Up refuses secrets without a place for them before it contacts the engine (none here).
TEST(ComposeProjectSecretsTest, UpNeedsSecretDirAndEnvexecBeforeAnything) {
  EngineClient engine({.socket_path = "/nonexistent/teecloud-test.sock"});
  auto project = ComposeProject::Open(&engine, "secrets");
  ASSERT_TRUE(project.has_value());
  ParseOptions po;
  po.env = {{"API_KEY", "v4lue-never-shown"}};
  po.allowed_env_names = {"API_KEY"};
  po.secret_env_names = {"API_KEY"};
  auto compose =
      ParseComposeFile("services:\n  web: {image: x, environment: [\"API_KEY=${API_KEY}\"]}\n", po);
  ASSERT_TRUE(compose.has_value()) << compose.error().ToString();

  const std::string dir = teecloud::testing::MakeTempDir();
  UpOptions up;
  auto st = project->Up(*compose, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("web"));
  EXPECT_THAT(st.error().message, HasSubstr("secret_dir"));

  up.secret_dir = dir + "/secrets";
  st = project->Up(*compose, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);

  up.envexec_path = dir + "/no-such-envexec";
  st = project->Up(*compose, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("not an executable file"));

  ASSERT_TRUE(WriteFileAtomic(dir + "/not-executable", AsBytes("x"), 0644));
  up.envexec_path = dir + "/not-executable";
  st = project->Up(*compose, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);

  up.envexec_path = "relative/envexec";
  st = project->Up(*compose, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kInvalidArgument);

  EXPECT_FALSE(fs::exists(dir + "/secrets"));  // nothing was created
  // Without secrets those options are not needed: the next failure is the missing engine.
  compose->services.at("web").secret_environment.clear();
  st = project->Up(*compose, UpOptions{});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kUnavailable);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace teecloud::compose
