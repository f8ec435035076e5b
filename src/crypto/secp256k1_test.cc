#include "crypto/secp256k1.h"

#include <gtest/gtest.h>

namespace teecloud::crypto {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  TEECLOUD_CHECK(b.has_value());
  return *b;
}

constexpr std::string_view kEthKey =
    "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

Bytes Rs(const RecoverableSignature& sig) {
  Bytes out(sig.r.begin(), sig.r.end());
  out.insert(out.end(), sig.s.begin(), sig.s.end());
  return out;
}

TEST(Secp256k1Test, PrivateKeyOneIsGenerator) {
  Bytes one(32, 0);
  one[31] = 1;
  auto pub = Secp256k1PublicKey(SecretBytes(one));
  ASSERT_TRUE(pub.has_value());
  // SEC 2 §2.4.1 generator G.
  EXPECT_EQ(ToHex(*pub),
            "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  auto compressed = Secp256k1PublicKeyCompressed(SecretBytes(one));
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(ToHex(*compressed),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(Secp256k1Test, EthereumAddressKnownAnswer) {
  auto pub = Secp256k1PublicKey(SecretBytes(Hex(kEthKey)));
  ASSERT_TRUE(pub.has_value());
  const auto addr = EthAddressFromPublicKey(*pub);
  EXPECT_EQ(ToHex(addr), "2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  Bytes sec1 = Hex("04");
  sec1.insert(sec1.end(), pub->begin(), pub->end());
  EXPECT_EQ(EthAddressFromPublicKey(sec1), addr);
}

// web3.js documentation example: accounts.sign("Some data", kEthKey), i.e. an EIP-191
// personal-message signature (RFC 6979 nonces make it deterministic).
TEST(Secp256k1Test, Web3PersonalSignKnownAnswer) {
  const Digest256 hash =
      Keccak256(AsBytes("\x19"
                        "Ethereum Signed Message:\n9Some data"));
  EXPECT_EQ(ToHex(View(hash)), "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
  auto sig = Secp256k1Sign(SecretBytes(Hex(kEthKey)), View(hash));
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(ToHex(Rs(*sig)),
            "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
            "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029");
  EXPECT_EQ(sig->recovery_id + 27, 0x1c);
}

TEST(Secp256k1Test, SignVerifyRecoverRoundTrip) {
  const SecretBytes key(Hex(kEthKey));
  auto pub = Secp256k1PublicKey(key);
  auto pub33 = Secp256k1PublicKeyCompressed(key);
  ASSERT_TRUE(pub.has_value());
  ASSERT_TRUE(pub33.has_value());
  const Digest256 digest = Keccak256(AsBytes("a transaction"));

  auto sig = Secp256k1Sign(key, View(digest));
  ASSERT_TRUE(sig.has_value());
  EXPECT_LE(sig->recovery_id, 1);
  auto again = Secp256k1Sign(key, View(digest));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Rs(*again), Rs(*sig));  // RFC 6979: deterministic

  EXPECT_TRUE(Secp256k1Verify(*pub, View(digest), Rs(*sig)).has_value());
  EXPECT_TRUE(Secp256k1Verify(*pub33, View(digest), Rs(*sig)).has_value());
  auto recovered = Secp256k1Recover(View(digest), *sig);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(*recovered, *pub);

  // Tampering.
  Digest256 other = digest;
  other[0] ^= 1;
  auto bad = Secp256k1Verify(*pub, View(other), Rs(*sig));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kUnauthenticated);
  auto wrong_pub = Secp256k1Recover(View(other), *sig);
  if (wrong_pub.has_value()) {
    EXPECT_NE(*wrong_pub, *pub);
  }
  RecoverableSignature flipped = *sig;
  flipped.recovery_id ^= 1;
  auto r2 = Secp256k1Recover(View(digest), flipped);
  if (r2.has_value()) {
    EXPECT_NE(*r2, *pub);
  }
}

TEST(Secp256k1Test, HighSRejected) {
  const SecretBytes key(Hex(kEthKey));
  auto pub = Secp256k1PublicKey(key);
  const Digest256 digest = Keccak256(AsBytes("malleable"));
  auto sig = Secp256k1Sign(key, View(digest));
  ASSERT_TRUE(pub.has_value() && sig.has_value());
  // s' = n - s is the other valid signature (same r); it must be refused.
  const Bytes n = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  RecoverableSignature high = *sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<size_t>(i)] - sig->s[static_cast<size_t>(i)] - borrow;
    borrow = d < 0;
    high.s[static_cast<size_t>(i)] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  high.recovery_id ^= 1;
  auto v = Secp256k1Verify(*pub, View(digest), Rs(high));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, Code::kUnauthenticated);
  EXPECT_FALSE(Secp256k1Recover(View(digest), high).has_value());
}

TEST(Secp256k1Test, RejectsBadInputs) {
  EXPECT_FALSE(Secp256k1CheckPrivateKey(SecretBytes(32)).has_value());               // zero
  EXPECT_FALSE(Secp256k1CheckPrivateKey(SecretBytes(Bytes(32, 0xff))).has_value());  // >= n
  EXPECT_FALSE(Secp256k1CheckPrivateKey(SecretBytes(31)).has_value());
  EXPECT_TRUE(Secp256k1CheckPrivateKey(SecretBytes(Hex(kEthKey))).has_value());
  const Digest256 d = Keccak256({});
  EXPECT_FALSE(Secp256k1Sign(SecretBytes(Hex(kEthKey)), Bytes(31)).has_value());
  EXPECT_EQ(Secp256k1Verify(Bytes(64, 0), View(d), Bytes(64, 1)).error().code,
            Code::kInvalidArgument);  // not a curve point
  EXPECT_FALSE(Secp256k1Verify(Bytes(10), View(d), Bytes(64, 1)).has_value());
  auto pub = Secp256k1PublicKey(SecretBytes(Hex(kEthKey)));
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ(Secp256k1Verify(*pub, View(d), Bytes(64, 0xff)).error().code, Code::kUnauthenticated);
  RecoverableSignature bad;
  bad.recovery_id = 4;
  EXPECT_FALSE(Secp256k1Recover(View(d), bad).has_value());
  bad.recovery_id = 0;  // r = s = 0
  EXPECT_FALSE(Secp256k1Recover(View(d), bad).has_value());
}

}  // namespace
}  // namespace teecloud::crypto
