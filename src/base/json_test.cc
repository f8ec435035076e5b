#include "base/json.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(Json, ParsesAndRejectsMalformed) {
  EXPECT_TRUE(ParseJson(R"({"a":1})"));
  EXPECT_FALSE(ParseJson(R"({"a":1)"));
  EXPECT_FALSE(ParseJson(R"({"a":1} x)"));
  EXPECT_FALSE(ParseJson(""));
  EXPECT_FALSE(ParseJson(std::string(100, '[') + std::string(100, ']')));
  EXPECT_TRUE(ParseJson(std::string(10, '[') + std::string(10, ']')));
  // Brackets inside strings do not count toward depth.
  EXPECT_TRUE(ParseJson("\"" + std::string(200, '[') + "\""));
}

TEST(Json, TypedAccessorsNameTheField) {
  auto j = *ParseJson(R"({"s":"x","i":-3,"u":7,"b":true,"h":"0aFF","o":{},"a":[]})");
  EXPECT_EQ(*JsonString(j, "s", "doc"), "x");
  EXPECT_EQ(*JsonInt(j, "i", "doc"), -3);
  EXPECT_EQ(*JsonUint(j, "u", "doc"), 7u);
  EXPECT_TRUE(*JsonBool(j, "b", "doc"));
  EXPECT_EQ(*JsonHex(j, "h", "doc"), (Bytes{0x0a, 0xff}));
  EXPECT_TRUE(JsonObject(j, "o", "doc"));
  EXPECT_TRUE(JsonArray(j, "a", "doc"));
  auto e = JsonUint(j, "i", "doc");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "doc.i: negative");
  EXPECT_EQ(JsonString(j, "missing", "doc").error().message, "doc.missing: missing");
  EXPECT_EQ(JsonString(j, "i", "doc").error().message, "doc.i: expected a string");
}

}  // namespace
}  // namespace teecloud
