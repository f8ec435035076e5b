#include "base/percent_encode.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(PercentEncodeTest, UnreservedStayOthersAreEncoded) {
  EXPECT_EQ(PercentEncode("az-AZ_09.~"), "az-AZ_09.~");
  EXPECT_EQ(PercentEncode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(PercentEncode(std::string_view("\x00\xff", 2)), "%00%FF");
  EXPECT_EQ(PercentEncode("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentEncodeTest, KeepListStaysAsIs) {
  EXPECT_EQ(PercentEncode("repo/name:tag@sha", "/:@"), "repo/name:tag@sha");
  EXPECT_EQ(PercentEncode("a/b c", "/"), "a/b%20c");
}

}  // namespace
}  // namespace teecloud
