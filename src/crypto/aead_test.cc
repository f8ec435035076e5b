#include "crypto/aead.h"

#include <gtest/gtest.h>

namespace teecloud::crypto {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  TEECLOUD_CHECK(b.has_value());
  return *b;
}
SecretBytes SecretHex(std::string_view h) { return SecretBytes(Hex(h)); }

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test case 16 (AES-256, AAD).
constexpr std::string_view kKey16 =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kIv16 = "cafebabefacedbaddecaf888";
constexpr std::string_view kPt16 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
    "b525b16aedf5aa0de657ba637b39";
constexpr std::string_view kAad16 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr std::string_view kCtTag16 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056"
    "828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b";

TEST(AeadTest, McGrewViegaCase16) {
  auto sealed = AesGcmSeal(SecretHex(kKey16), Hex(kIv16), Hex(kPt16), Hex(kAad16));
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(ToHex(*sealed), kCtTag16);
  auto opened = AesGcmOpen(SecretHex(kKey16), Hex(kIv16), Hex(kCtTag16), Hex(kAad16));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(ToHex(opened->view()), kPt16);
}

// Test cases 13 and 14: zero key and IV, empty and one-block plaintext, no AAD.
TEST(AeadTest, McGrewViegaCases13And14) {
  const SecretBytes key(32);
  const Bytes iv(12, 0);
  auto t13 = AesGcmSeal(key, iv, {}, {});
  ASSERT_TRUE(t13.has_value());
  EXPECT_EQ(ToHex(*t13), "530f8afbc74536b9a963b4f1c4cb738b");
  auto t14 = AesGcmSeal(key, iv, Bytes(16, 0), {});
  ASSERT_TRUE(t14.has_value());
  EXPECT_EQ(ToHex(*t14), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  auto open13 = AesGcmOpen(key, iv, *t13, {});
  ASSERT_TRUE(open13.has_value());
  EXPECT_TRUE(open13->empty());
}

TEST(AeadTest, TamperIsUnauthenticated) {
  const Bytes good = Hex(kCtTag16);
  for (size_t pos : {size_t{0}, good.size() / 2, good.size() - 1}) {
    Bytes bad = good;
    bad[pos] ^= 0x01;
    auto r = AesGcmOpen(SecretHex(kKey16), Hex(kIv16), bad, Hex(kAad16));
    ASSERT_FALSE(r.has_value()) << pos;
    EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  }
  auto wrong_aad = AesGcmOpen(SecretHex(kKey16), Hex(kIv16), good, AsBytes("other"));
  ASSERT_FALSE(wrong_aad.has_value());
  EXPECT_EQ(wrong_aad.error().code, Code::kUnauthenticated);
  Bytes iv = Hex(kIv16);
  iv[0] ^= 1;
  EXPECT_EQ(AesGcmOpen(SecretHex(kKey16), iv, good, Hex(kAad16)).error().code,
            Code::kUnauthenticated);
}

TEST(AeadTest, RejectsBadArguments) {
  EXPECT_EQ(AesGcmSeal(SecretBytes(16), Bytes(12), {}, {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(SecretBytes(32), Bytes(16), {}, {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(AesGcmOpen(SecretBytes(32), Bytes(12), Bytes(15), {}).error().code,
            Code::kInvalidArgument);
}

// RFC 7748 §6.1.
TEST(X25519Test, Rfc7748AliceBob) {
  const SecretBytes alice =
      SecretHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const SecretBytes bob =
      SecretHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  auto alice_pub = X25519PublicFromPrivate(alice);
  auto bob_pub = X25519PublicFromPrivate(bob);
  ASSERT_TRUE(alice_pub.has_value());
  ASSERT_TRUE(bob_pub.has_value());
  EXPECT_EQ(ToHex(*alice_pub), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(ToHex(*bob_pub), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto k1 = X25519(alice, *bob_pub);
  auto k2 = X25519(bob, *alice_pub);
  ASSERT_TRUE(k1.has_value());
  ASSERT_TRUE(k2.has_value());
  EXPECT_EQ(ToHex(k1->view()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(ToHex(k2->view()), ToHex(k1->view()));
}

TEST(X25519Test, GenerateAndRejectSmallOrder) {
  FakeRandom rnd(7);
  const X25519KeyPair a = X25519Generate(rnd);
  const X25519KeyPair b = X25519Generate(rnd);
  EXPECT_EQ(a.private_key.size(), 32u);
  EXPECT_EQ(a.public_key.size(), 32u);
  auto s1 = X25519(a.private_key, b.public_key);
  auto s2 = X25519(b.private_key, a.public_key);
  ASSERT_TRUE(s1.has_value());
  ASSERT_TRUE(s2.has_value());
  EXPECT_TRUE(BytesEqual(s1->view(), s2->view()));
  // The all-zero point (order 1, u = 0) gives an all-zero shared secret.
  EXPECT_FALSE(X25519(a.private_key, Bytes(32, 0)).has_value());
  // u = 1 has order 4.
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_FALSE(X25519(a.private_key, one).has_value());
  EXPECT_FALSE(X25519(a.private_key, Bytes(31, 9)).has_value());
  EXPECT_FALSE(X25519PublicFromPrivate(SecretBytes(31)).has_value());
}

}  // namespace
}  // namespace teecloud::crypto
