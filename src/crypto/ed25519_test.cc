#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <string>

namespace teecloud::crypto {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  TEECLOUD_CHECK(b.has_value());
  return *b;
}

struct Rfc8032Vector {
  const char* name;
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1..3.
constexpr Rfc8032Vector kVectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519Test, Rfc8032KnownAnswers) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.name);
    SecretBytes seed(Hex(v.secret));
    Bytes message = Hex(v.message);
    auto pub = Ed25519PublicKey(seed);
    ASSERT_TRUE(pub.has_value()) << pub.error().ToString();
    EXPECT_EQ(ToHex(*pub), v.public_key);
    auto sig = Ed25519Sign(seed, message);
    ASSERT_TRUE(sig.has_value()) << sig.error().ToString();
    EXPECT_EQ(ToHex(*sig), v.signature);
    EXPECT_TRUE(Ed25519Verify(*pub, message, *sig).has_value());
  }
}

TEST(Ed25519Test, RejectsTamperedMessageSignatureAndKey) {
  const auto& v = kVectors[2];
  SecretBytes seed(Hex(v.secret));
  Bytes pub = Hex(v.public_key);
  Bytes message = Hex(v.message);
  Bytes sig = Hex(v.signature);

  Bytes other_message = message;
  other_message[0] ^= 1;
  auto r = Ed25519Verify(pub, other_message, sig);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);

  Bytes bad_sig = sig;
  bad_sig[10] ^= 0x80;
  EXPECT_FALSE(Ed25519Verify(pub, message, bad_sig).has_value());

  Bytes other_pub = Hex(kVectors[0].public_key);
  EXPECT_FALSE(Ed25519Verify(other_pub, message, sig).has_value());
}

TEST(Ed25519Test, RejectsWrongSizes) {
  EXPECT_EQ(Ed25519PublicKey(SecretBytes(Bytes(31, 1))).error().code, Code::kInvalidArgument);
  EXPECT_EQ(Ed25519Sign(SecretBytes(Bytes(33, 1)), {}).error().code, Code::kInvalidArgument);
  Bytes pub = Hex(kVectors[0].public_key);
  Bytes sig = Hex(kVectors[0].signature);
  EXPECT_EQ(Ed25519Verify(Bytes(31, 0), {}, sig).error().code, Code::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(pub, {}, Bytes(63, 0)).error().code, Code::kInvalidArgument);
}

TEST(Ed25519Test, SigningIsDeterministic) {
  SecretBytes seed(Bytes(32, 7));
  Bytes msg = ToBytes(std::string_view("teecloud"));
  auto a = Ed25519Sign(seed, msg);
  auto b = Ed25519Sign(seed, msg);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace teecloud::crypto
