#include "base/bytes.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(ByteReader, ReadsLittleEndianAndBoundsChecks) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(data);
  EXPECT_EQ(*r.U16Le("a"), 0x0201);
  EXPECT_EQ(*r.U32Le("b"), 0x06050403u);
  auto bad = r.U16Le("c");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kOutOfRange);
  EXPECT_NE(bad.error().message.find("c: needs 2 bytes at offset 6"), std::string::npos);
  EXPECT_EQ(r.offset(), 6u);  // A failed read does not advance.
  EXPECT_EQ(*r.U8("d"), 0x07);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.Take(1, "e"));
}

TEST(ByteReader, TakeDoesNotOverflowOnHugeLength) {
  const uint8_t data[] = {1, 2, 3};
  ByteReader r(data);
  EXPECT_FALSE(r.Take(SIZE_MAX, "huge"));
  EXPECT_FALSE(r.Skip(SIZE_MAX, "huge"));
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(ByteWriter, RoundTripsWithReader) {
  ByteWriter w;
  w.U16Le(0xbeef);
  w.U32Be(0x01020304);
  w.U64Le(0x1122334455667788ull);
  ByteReader r(w.bytes());
  EXPECT_EQ(*r.U16Le("a"), 0xbeef);
  EXPECT_EQ(*r.U32Be("b"), 0x01020304u);
  EXPECT_EQ(*r.U64Le("c"), 0x1122334455667788ull);
}

TEST(Hex, EncodesAndDecodes) {
  Bytes b = {0x00, 0xab, 0xff};
  EXPECT_EQ(ToHex(b), "00abff");
  EXPECT_EQ(*FromHex("00ABff"), b);
  EXPECT_EQ(*FromHex("  0x00abff\n"), b);
  EXPECT_FALSE(FromHex("abc"));
  EXPECT_FALSE(FromHex("zz"));
  EXPECT_TRUE(FromHex("")->empty());
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : cases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), enc);
    EXPECT_EQ(*Base64Decode(enc), ToBytes(std::string_view(plain)));
  }
  EXPECT_EQ(*Base64Decode("Zm9v\nYmFy"), ToBytes(std::string_view("foobar")));
  EXPECT_FALSE(Base64Decode("Zm9v!"));
  EXPECT_FALSE(Base64Decode("Zg==Zg"));
}

TEST(Bytes, ConstantTimeEqual) {
  Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4};
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, c));
  EXPECT_FALSE(ConstantTimeEqual(a, Bytes{1, 2}));
}

}  // namespace
}  // namespace teecloud
