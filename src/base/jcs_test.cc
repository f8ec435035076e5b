#include "base/jcs.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

std::string Canon(std::string_view text) {
  auto j = ParseJson(text);
  EXPECT_TRUE(j) << text;
  auto c = CanonicalizeJson(*j);
  EXPECT_TRUE(c) << text;
  return c ? *c : "";
}

// RFC 8785 §3.2.2.3 sample numbers (Appendix B).
TEST(Jcs, EcmaNumberSerialization) {
  EXPECT_EQ(EcmaNumberToString(0.0), "0");
  EXPECT_EQ(EcmaNumberToString(-0.0), "0");
  EXPECT_EQ(EcmaNumberToString(1e21), "1e+21");
  EXPECT_EQ(EcmaNumberToString(1e20), "100000000000000000000");
  EXPECT_EQ(EcmaNumberToString(4.50), "4.5");
  EXPECT_EQ(EcmaNumberToString(2e-3), "0.002");
  EXPECT_EQ(EcmaNumberToString(1e-7), "1e-7");
  EXPECT_EQ(EcmaNumberToString(0.000001), "0.000001");
  EXPECT_EQ(EcmaNumberToString(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(EcmaNumberToString(5e-324), "5e-324");
  EXPECT_EQ(EcmaNumberToString(-1e-7), "-1e-7");
  EXPECT_EQ(EcmaNumberToString(333333333.33333329), "333333333.3333333");
  EXPECT_EQ(EcmaNumberToString(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(EcmaNumberToString(295147905179352830000.0), "295147905179352830000");
}

// RFC 8785 §3.2.3 sorting example and §3.2.4 output.
TEST(Jcs, SortsByUtf16CodeUnitsAndEscapes) {
  EXPECT_EQ(Canon(R"({"b":1,"a":[true,null,"x"],"c":{"z":1,"y":2}})"),
            R"({"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}})");
  // U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16 order although its code point
  // is larger; "\r" < "1" < "a".
  std::string in = "{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\r\":3,\"1\":4,\"a\":5}";
  EXPECT_EQ(Canon(in), "{\"\\r\":3,\"1\":4,\"a\":5,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
  EXPECT_EQ(Canon(R"(["\u0001\u001f\"\\\/","\u00e9"])"), "[\"\\u0001\\u001f\\\"\\\\/\",\"\xc3\xa9\"]");
  EXPECT_EQ(Canon(R"({"n":1.0E2,"m":-0.0,"k":10})"), R"({"k":10,"m":0,"n":100})");
}

TEST(Jcs, RejectsUnrepresentableIntegers) {
  Json j = Json::parse("18446744073709551615");
  EXPECT_FALSE(CanonicalizeJson(j));
}

}  // namespace
}  // namespace teecloud
