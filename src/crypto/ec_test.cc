#include "crypto/ec.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace teecloud::crypto {
namespace {

class EcTest : public ::testing::TestWithParam<Curve> {
 protected:
  size_t Half() const { return GetParam() == Curve::kP256 ? 32 : 48; }
  HashAlg Hash() const { return GetParam() == Curve::kP256 ? HashAlg::kSha256 : HashAlg::kSha384; }
};

TEST_P(EcTest, SignVerifyRoundTrip) {
  auto key = EcPrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  EXPECT_EQ(key->curve(), GetParam());
  const EcPublicKey pub = key->PublicKey();
  EXPECT_EQ(pub.curve(), GetParam());
  const ByteView msg = AsBytes("attestation report body");

  auto raw = key->SignRaw(msg, Hash());
  ASSERT_TRUE(raw.has_value());
  ASSERT_EQ(raw->size(), 2 * Half());
  EXPECT_TRUE(pub.VerifyRaw(msg, *raw, Hash()).has_value());

  auto der = key->SignDer(msg, Hash());
  ASSERT_TRUE(der.has_value());
  EXPECT_TRUE(pub.VerifyDer(msg, *der, Hash()).has_value());

  // Raw <-> DER conversion both ways.
  auto der2 = EcdsaRawToDer(*raw);
  ASSERT_TRUE(der2.has_value());
  auto raw2 = EcdsaDerToRaw(*der2, Half());
  ASSERT_TRUE(raw2.has_value());
  EXPECT_EQ(*raw2, *raw);
  EXPECT_TRUE(pub.VerifyDer(msg, *der2, Hash()).has_value());

  // Precomputed digest.
  const Bytes digest =
      GetParam() == Curve::kP256 ? ToBytes(View(Sha256(msg))) : ToBytes(View(Sha384(msg)));
  EXPECT_TRUE(pub.VerifyDigestRaw(digest, *raw).has_value());
}

TEST_P(EcTest, TamperFailsUnauthenticated) {
  auto key = EcPrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.has_value());
  const EcPublicKey pub = key->PublicKey();
  const Bytes msg = ToBytes(std::string_view("message"));
  auto sig = key->SignRaw(msg, Hash());
  ASSERT_TRUE(sig.has_value());

  Bytes bad_sig = *sig;
  bad_sig[5] ^= 0x01;
  auto r1 = pub.VerifyRaw(msg, bad_sig, Hash());
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, Code::kUnauthenticated);

  Bytes bad_msg = msg;
  bad_msg[0] ^= 0x80;
  auto r2 = pub.VerifyRaw(bad_msg, *sig, Hash());
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, Code::kUnauthenticated);

  // Wrong key.
  auto other = EcPrivateKey::Generate(GetParam());
  ASSERT_TRUE(other.has_value());
  auto r3 = other->PublicKey().VerifyRaw(msg, *sig, Hash());
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().code, Code::kUnauthenticated);

  // All-zero r and s are out of range: unauthenticated, not a crash.
  auto r4 = pub.VerifyRaw(msg, Bytes(2 * Half(), 0), Hash());
  ASSERT_FALSE(r4.has_value());
  EXPECT_EQ(r4.error().code, Code::kUnauthenticated);

  // Wrong length is malformed.
  auto r5 = pub.VerifyRaw(msg, Bytes(7, 1), Hash());
  ASSERT_FALSE(r5.has_value());
  EXPECT_EQ(r5.error().code, Code::kInvalidArgument);
}

TEST_P(EcTest, PublicKeyEncodings) {
  auto key = EcPrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.has_value());
  const EcPublicKey pub = key->PublicKey();
  const Bytes raw = pub.RawPoint();
  ASSERT_EQ(raw.size(), 2 * Half());

  auto from_raw = EcPublicKey::FromRawPoint(GetParam(), raw);
  ASSERT_TRUE(from_raw.has_value());
  EXPECT_EQ(from_raw->RawPoint(), raw);
  const uint8_t prefix[1] = {0x04};
  const Bytes sec1 = Concat({ByteView(prefix), raw});
  auto from_sec1 = EcPublicKey::FromRawPoint(GetParam(), sec1);
  ASSERT_TRUE(from_sec1.has_value());
  EXPECT_EQ(from_sec1->RawPoint(), raw);

  auto from_spki = EcPublicKey::FromSpkiDer(pub.SpkiDer());
  ASSERT_TRUE(from_spki.has_value());
  EXPECT_EQ(from_spki->RawPoint(), raw);
  EXPECT_EQ(from_spki->curve(), GetParam());

  // A point with y perturbed is (overwhelmingly likely) not on the curve.
  Bytes off = raw;
  off.back() ^= 0x01;
  auto bad = EcPublicKey::FromRawPoint(GetParam(), off);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  // (0, 0) is not on either curve; wrong lengths are rejected.
  EXPECT_FALSE(EcPublicKey::FromRawPoint(GetParam(), Bytes(2 * Half(), 0)).has_value());
  EXPECT_FALSE(EcPublicKey::FromRawPoint(GetParam(), Bytes(2 * Half() - 1, 1)).has_value());
  EXPECT_FALSE(EcPublicKey::FromSpkiDer(AsBytes("not der")).has_value());
}

TEST_P(EcTest, PrivateKeySerialization) {
  auto key = EcPrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.has_value());
  const SecretBytes scalar = key->Scalar();
  ASSERT_EQ(scalar.size(), Half());
  auto again = EcPrivateKey::FromScalar(GetParam(), scalar.view());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->PublicKey().RawPoint(), key->PublicKey().RawPoint());

  auto from_der = EcPrivateKey::FromPkcs8(key->Pkcs8Der().view());
  ASSERT_TRUE(from_der.has_value()) << from_der.error().ToString();
  EXPECT_TRUE(BytesEqual(from_der->Scalar().view(), scalar.view()));
  const std::string pem = key->Pkcs8Pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto from_pem = EcPrivateKey::FromPkcs8(AsBytes(pem));
  ASSERT_TRUE(from_pem.has_value()) << from_pem.error().ToString();
  EXPECT_TRUE(BytesEqual(from_pem->Scalar().view(), scalar.view()));

  EXPECT_FALSE(EcPrivateKey::FromScalar(GetParam(), Bytes(Half(), 0)).has_value());
  EXPECT_FALSE(EcPrivateKey::FromScalar(GetParam(), Bytes(Half(), 0xff)).has_value());
  EXPECT_FALSE(EcPrivateKey::FromPkcs8(AsBytes("garbage")).has_value());
}

INSTANTIATE_TEST_SUITE_P(EcCurves, EcTest, ::testing::Values(Curve::kP256, Curve::kP384),
                         [](const ::testing::TestParamInfo<Curve>& param_info) {
                           return param_info.param == Curve::kP256 ? "P256" : "P384";
                         });

// Known answer: private scalar 1 has the generator as its public key (SEC 2 §2.4.2).
TEST(EcKatTest, ScalarOneIsGenerator) {
  Bytes one(32, 0);
  one[31] = 1;
  auto key = EcPrivateKey::FromScalar(Curve::kP256, one);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(ToHex(key->PublicKey().RawPoint()),
            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
}

// RFC 6979 A.2.5 P-256 / SHA-256, message "sample": a published signature must verify.
TEST(EcKatTest, Rfc6979P256SampleVerifies) {
  auto pub = EcPublicKey::FromRawPoint(
      Curve::kP256, *FromHex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                             "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"));
  ASSERT_TRUE(pub.has_value());
  const Bytes sig = *FromHex(
      "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
      "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
  EXPECT_TRUE(pub->VerifyRaw(AsBytes("sample"), sig, HashAlg::kSha256).has_value());
  EXPECT_FALSE(pub->VerifyRaw(AsBytes("sample!"), sig, HashAlg::kSha256).has_value());
}

TEST(EcKatTest, DerToRawRejectsGarbage) {
  EXPECT_FALSE(EcdsaDerToRaw(AsBytes("\x30\x03\x02\x01"), 32).has_value());
  EXPECT_FALSE(EcdsaRawToDer({}).has_value());
  // r wider than the requested half size.
  auto der = EcdsaRawToDer(Bytes(96, 0x7f));
  ASSERT_TRUE(der.has_value());
  EXPECT_FALSE(EcdsaDerToRaw(*der, 32).has_value());
}

}  // namespace
}  // namespace teecloud::crypto
