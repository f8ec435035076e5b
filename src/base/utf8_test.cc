#include "base/utf8.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(Utf8Test, WellFormedAndIllFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x9a\x80"));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x98"));  // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8Test, FirstInvalidOffset) {
  EXPECT_EQ(FirstInvalidUtf8("ok"), std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("ab\x80" "cd"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("caf\xc3\xa9\xe2\x98"), 5u);  // a truncated sequence at the end
}

}  // namespace
}  // namespace teecloud
