// teecloud-envexec run as a process: exports the records, execs the program with its
// arguments, and fails with one line on stderr and a shell's exit code (127 not found, 126
// otherwise) without ever printing a record's content.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/file.h"
#include "base/subprocess.h"
#include "compose/compose_project.h"
#include "testing/testing.h"

namespace teecloud::compose {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Envexec() {
  const std::string dir = teecloud::testing::BinDir();
  if (!dir.empty() && fs::exists(dir + "/teecloud-envexec")) return dir + "/teecloud-envexec";
  return TEECLOUD_ENVEXEC_BINARY;
}

class EnvexecTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = teecloud::testing::MakeTempDir(); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view bytes) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, AsBytes(bytes), 0600));
    return path;
  }
  SubprocessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), Envexec());
    auto r = RunSubprocess(args);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.value_or(SubprocessResult{});
  }

  std::string dir_;
};

TEST_F(EnvexecTest, ExportsRecordsAndExecsTheProgram) {
  const std::string file = dir_ + "/web.env";
  ASSERT_TRUE(WriteSecretEnvFile(
      file, {{"API_KEY", "v4lue-XYZ"}, {"WITH_EQ", "a=b c"}, {"PATH", "/envexec-path"}}));
  auto r = Run({file, "--", "/usr/bin/env"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("API_KEY=v4lue-XYZ\n"));
  EXPECT_THAT(r.output, HasSubstr("WITH_EQ=a=b c\n"));
  EXPECT_THAT(r.output, HasSubstr("PATH=/envexec-path\n"));  // overrides the inherited one

  r = Run({file, "--", "/bin/sh", "-c", "echo \"[$API_KEY]\" \"$1\"", "sh", "arg 1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "[v4lue-XYZ] arg 1\n");

  const std::string empty = Write("empty.env", "");
  r = Run({empty, "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7);  // the program's own exit status
}

TEST_F(EnvexecTest, MalformedFilesFailWithoutPrintingValues) {
  const std::vector<std::string> bad = {
      std::string("NOEQUALS-SECRETVALUE\0", 21),
      std::string("1BAD=SECRETVALUE\0", 17),
      std::string("=SECRETVALUE\0", 13),
      std::string("OK=1\0BAD-KEY=SECRETVALUE\0", 25),
      std::string("KEY=SECRETVALUE"),  // not NUL-terminated
      std::string("OK=1\0\0", 6),      // empty record
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string file = Write("bad" + std::to_string(i) + ".env", bad[i]);
    auto r = Run({file, "--", "/usr/bin/env"});
    EXPECT_EQ(r.exit_code, 126) << r.output;
    EXPECT_THAT(r.output, StartsWith("teecloud-envexec: " + file + ": malformed"));
    EXPECT_THAT(r.output, Not(HasSubstr("SECRETVALUE")));
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  const std::string big = Write("big.env", std::string((1 << 20) + 1, 'A'));
  auto r = Run({big, "--", "/usr/bin/env"});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("larger than 1 MiB"));
}

TEST_F(EnvexecTest, UsageAndExecErrors) {
  const std::string file = Write("ok.env", std::string("A=1\0", 4));
  auto r = Run({dir_ + "/missing.env", "--", "/usr/bin/env"});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("teecloud-envexec: cannot open " + dir_ +
                                  "/missing.env: No "
                                  "such file or directory"));
  r = Run({file, "/usr/bin/env"});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("missing '--'"));
  r = Run({file, "--"});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("no program"));
  r = Run({});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("usage: teecloud-envexec FILE -- PROG"));
  r = Run({file, "--", "teecloud-no-such-program"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.output, HasSubstr("cannot execute teecloud-no-such-program: No such file"));
  r = Run({file, "--", file});  // exists, not executable
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_THAT(r.output, HasSubstr("Permission denied"));
}

TEST_F(EnvexecTest, IsStaticallyLinked) {
  // It runs in images without a libc (FROM scratch): no program interpreter (PT_INTERP).
  auto bytes = ReadFile(Envexec());
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(AsStringView(*bytes).find("/ld-linux"), std::string_view::npos);
}

}  // namespace
}  // namespace teecloud::compose
