#include "compose/tar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/subprocess.h"

namespace teecloud::compose {
namespace {

using ::testing::HasSubstr;

TEST(TarWriterTest, BlocksAndChecksum) {
  TarWriter t;
  ASSERT_TRUE(t.AddFile("a.txt", AsBytes("hello")));
  Bytes tar = t.Finish();
  ASSERT_EQ(tar.size(), 512u * 4);  // header, data block, two zero blocks
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tar.data()), 5), "a.txt");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tar.data() + 257), 5), "ustar");
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : tar[i];
  EXPECT_EQ(std::stoul(std::string(reinterpret_cast<const char*>(tar.data() + 148), 6), nullptr, 8),
            sum);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tar.data() + 512), 5), "hello");
}

TEST(TarWriterTest, SystemTarReadsIt) {
  TarWriter t;
  ASSERT_TRUE(t.AddDirectory("dir"));
  ASSERT_TRUE(t.AddFile("dir/file", AsBytes("content"), 0755));
  ASSERT_TRUE(t.AddSymlink("dir/link", "file"));
  const std::string long_path = std::string(120, 'd') + "/" + std::string(90, 'f');
  ASSERT_TRUE(t.AddFile(long_path, AsBytes("x")));
  Bytes tar = t.Finish();
  SubprocessOptions o;
  o.stdin_data = tar;
  auto r = RunSubprocess({"tar", "-tvf", "-"}, o);
  if (!r.has_value()) GTEST_SKIP() << "no tar program";
  ASSERT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->output, HasSubstr("dir/file"));
  EXPECT_THAT(r->output, HasSubstr("rwxr-xr-x"));
  EXPECT_THAT(r->output, HasSubstr("dir/link -> file"));
  EXPECT_THAT(r->output, HasSubstr(long_path));
}

TEST(TarWriterTest, RejectsBadPaths) {
  TarWriter t;
  EXPECT_FALSE(t.AddFile("/abs", {}));
  EXPECT_FALSE(t.AddFile("a/../../etc", {}));
  EXPECT_FALSE(t.AddFile("", {}));
  EXPECT_FALSE(t.AddFile(std::string(300, 'a'), {}));
  EXPECT_FALSE(t.AddFile(std::string(150, 'a'), {}));  // no '/' to split at
  EXPECT_FALSE(t.AddSymlink("l", ""));
}

}  // namespace
}  // namespace teecloud::compose
