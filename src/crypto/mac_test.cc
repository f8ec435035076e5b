#include "crypto/mac.h"

#include <gtest/gtest.h>

namespace teecloud::crypto {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  TEECLOUD_CHECK(b.has_value());
  return *b;
}

// RFC 4231 §4.2 test case 1.
TEST(MacTest, HmacRfc4231Case1) {
  const Bytes key(20, 0x0b);
  const ByteView data = AsBytes("Hi There");
  EXPECT_EQ(ToHex(View(HmacSha256(key, data))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(View(HmacSha384(key, data))),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af"
            "152e8b2fa9cb6");
  EXPECT_EQ(ToHex(View(HmacSha512(key, data))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038"
            "b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
}

// RFC 4231 §4.3 test case 2 (key shorter than the block, "Jefe").
TEST(MacTest, HmacRfc4231Case2) {
  const ByteView key = AsBytes("Jefe");
  const ByteView data = AsBytes("what do ya want for nothing?");
  EXPECT_EQ(ToHex(View(HmacSha256(key, data))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(ToHex(View(HmacSha512(key, data))),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d0"
            "34f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(MacTest, HmacEmptyKeyAndData) {
  // HMAC-SHA256 with empty key and message (widely published value).
  EXPECT_EQ(ToHex(View(HmacSha256({}, {}))),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// RFC 5869 Appendix A.1.
TEST(HkdfTest, Rfc5869Case1) {
  auto okm = HkdfSha256(Bytes(22, 0x0b), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(ToHex(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 Appendix A.2: long inputs.
TEST(HkdfTest, Rfc5869Case2) {
  Bytes ikm(80), salt(80), info(80);
  for (size_t i = 0; i < 80; ++i) {
    ikm[i] = static_cast<uint8_t>(i);
    salt[i] = static_cast<uint8_t>(0x60 + i);
    info[i] = static_cast<uint8_t>(0xb0 + i);
  }
  auto okm = HkdfSha256(ikm, salt, info, 82);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(ToHex(okm->view()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb"
            "41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

// RFC 5869 Appendix A.3: empty salt and info.
TEST(HkdfTest, Rfc5869Case3) {
  auto okm = HkdfSha256(Bytes(22, 0x0b), {}, {}, 42);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(ToHex(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, LengthLimits) {
  EXPECT_TRUE(HkdfSha256(AsBytes("k"), {}, {}, 255 * 32).has_value());
  EXPECT_EQ(HkdfSha256(AsBytes("k"), {}, {}, 255 * 32 + 1).error().code, Code::kInvalidArgument);
  EXPECT_FALSE(HkdfSha256(AsBytes("k"), {}, {}, 0).has_value());
}

}  // namespace
}  // namespace teecloud::crypto
