#include "base/file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "testing/testing.h"

namespace teecloud {
namespace {

TEST(File, AtomicWriteWithModeAndRead) {
  std::string dir = testing::MakeTempDir();
  std::string p = dir + "/secret";
  ASSERT_TRUE(WriteFileAtomic(p, AsBytes("hello"), 0600));
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadTextFile(p), "hello");
  EXPECT_EQ(ReadFile(p, 3).error().code, Code::kOutOfRange);
  EXPECT_EQ(ReadFile(dir + "/missing").error().code, Code::kNotFound);
}

TEST(File, BinaryOrHex) {
  std::string dir = testing::MakeTempDir();
  ASSERT_TRUE(WriteFileAtomic(dir + "/h", AsBytes("0x00ab\nff\n")));
  EXPECT_EQ(*ReadBinaryOrHexFile(dir + "/h"), (Bytes{0x00, 0xab, 0xff}));
  const uint8_t raw[] = {0x04, 0x00, 0x02, 0x00, 0x81};
  ASSERT_TRUE(WriteFileAtomic(dir + "/b", raw));
  EXPECT_EQ(*ReadBinaryOrHexFile(dir + "/b"), Bytes(raw, raw + 5));
}

}  // namespace
}  // namespace teecloud
