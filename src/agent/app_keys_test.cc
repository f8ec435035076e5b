#include "agent/app_keys.h"

#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/secp256k1.h"

namespace teecloud::agent {
namespace {

crypto::SecretBytes Root(uint8_t fill) { return crypto::SecretBytes(Bytes(32, fill)); }

std::string KeyHex(const crypto::SecretBytes& k) { return ToHex(k.view()); }

TEST(AppKeysTest, ParsesAlgorithmNamesLikeDstack) {
  EXPECT_EQ(*ParseKeyAlgorithm(""), KeyAlgorithm::kSecp256k1);
  EXPECT_EQ(*ParseKeyAlgorithm("secp256k1"), KeyAlgorithm::kSecp256k1);
  EXPECT_EQ(*ParseKeyAlgorithm("k256"), KeyAlgorithm::kSecp256k1);
  EXPECT_EQ(*ParseKeyAlgorithm("ed25519"), KeyAlgorithm::kEd25519);
  EXPECT_EQ(ParseKeyAlgorithm("rsa").error().code, Code::kInvalidArgument);
  EXPECT_EQ(ParseKeyAlgorithm("ED25519").error().code, Code::kInvalidArgument);
}

// Known answers computed independently (Python hmac/hashlib) from the README's scheme:
// HKDF-SHA256(root, salt "teecloud-agent/kdf/v1", info = be32-length-prefixed parts).
TEST(AppKeysTest, DerivationKnownAnswers) {
  auto keys = AppKeys::FromRootKey(Root(1));
  ASSERT_TRUE(keys.has_value()) << keys.error().ToString();
  EXPECT_EQ(KeyHex(keys->k256_key()),
            "a97bf0f29eb40abc00562e674c8135f7553377fe44cd1d96ecef2ed5dc6a0099");
  auto ed = keys->DeriveKey("wallet/solana", KeyAlgorithm::kEd25519);
  ASSERT_TRUE(ed.has_value());
  EXPECT_EQ(KeyHex(*ed), "919a9cb95de36ae7a56b643dac8793b4e134d49e7950c283e5f2d4605804c36c");
  auto k1 = keys->DeriveKey("wallet/eth", KeyAlgorithm::kSecp256k1);
  ASSERT_TRUE(k1.has_value());
  EXPECT_EQ(KeyHex(*k1), "7981544228e73cb04351be0215a3c97c72d0e97dcc81988744f48f171403ead5");
}

TEST(AppKeysTest, SamePathSameKeyDifferentPathDifferentKey) {
  auto keys = AppKeys::FromRootKey(Root(7));
  ASSERT_TRUE(keys.has_value());
  for (KeyAlgorithm alg : {KeyAlgorithm::kSecp256k1, KeyAlgorithm::kEd25519}) {
    auto a1 = keys->DeriveKey("a", alg);
    auto a2 = keys->DeriveKey("a", alg);
    auto b = keys->DeriveKey("b", alg);
    auto empty = keys->DeriveKey("", alg);
    ASSERT_TRUE(a1 && a2 && b && empty);
    EXPECT_EQ(KeyHex(*a1), KeyHex(*a2));
    EXPECT_NE(KeyHex(*a1), KeyHex(*b));
    EXPECT_NE(KeyHex(*a1), KeyHex(*empty));
  }
  // The algorithm is part of the derivation: no secret is reused across curves.
  EXPECT_NE(KeyHex(*keys->DeriveKey("a", KeyAlgorithm::kSecp256k1)),
            KeyHex(*keys->DeriveKey("a", KeyAlgorithm::kEd25519)));
  // Another app (root) gets other keys.
  auto other = AppKeys::FromRootKey(Root(8));
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(KeyHex(*keys->DeriveKey("a", KeyAlgorithm::kSecp256k1)),
            KeyHex(*other->DeriveKey("a", KeyAlgorithm::kSecp256k1)));
  EXPECT_NE(ToHex(keys->k256_public_key()), ToHex(other->k256_public_key()));
}

TEST(AppKeysTest, LengthPrefixingSeparatesPaths) {
  // Without length prefixes "ab" + "" and "a" + "b" could collide; different paths that share
  // a prefix must still differ.
  auto keys = AppKeys::FromRootKey(Root(3));
  ASSERT_TRUE(keys.has_value());
  EXPECT_NE(KeyHex(*keys->DeriveKey("ab", KeyAlgorithm::kEd25519)),
            KeyHex(*keys->DeriveKey("a", KeyAlgorithm::kEd25519)));
  auto x = DeriveBytes(Root(3), "label", {AsBytes("ab"), AsBytes("")});
  auto y = DeriveBytes(Root(3), "label", {AsBytes("a"), AsBytes("b")});
  ASSERT_TRUE(x && y);
  EXPECT_NE(KeyHex(*x), KeyHex(*y));
}

TEST(AppKeysTest, RejectsRootKeyOfWrongSize) {
  EXPECT_FALSE(AppKeys::FromRootKey(crypto::SecretBytes(Bytes(31, 1))).has_value());
  EXPECT_FALSE(DeriveBytes(crypto::SecretBytes(Bytes(33, 1)), "x", {}).has_value());
}

TEST(AppKeysTest, PublicKeysHaveChainForms) {
  auto keys = AppKeys::FromRootKey(Root(2));
  ASSERT_TRUE(keys.has_value());
  auto k = keys->DeriveKey("p", KeyAlgorithm::kSecp256k1);
  auto e = keys->DeriveKey("p", KeyAlgorithm::kEd25519);
  ASSERT_TRUE(k && e);
  auto kp = PublicKeyFor(KeyAlgorithm::kSecp256k1, *k);
  auto ep = PublicKeyFor(KeyAlgorithm::kEd25519, *e);
  ASSERT_TRUE(kp && ep);
  EXPECT_EQ(kp->size(), 33u);
  EXPECT_TRUE((*kp)[0] == 0x02 || (*kp)[0] == 0x03);
  EXPECT_EQ(ep->size(), 32u);
  EXPECT_EQ(*ep, *crypto::Ed25519PublicKey(*e));
  EXPECT_EQ(keys->k256_public_key(), *crypto::Secp256k1PublicKeyCompressed(keys->k256_key()));
}

TEST(AppKeysTest, RecoverableSignaturesRoundTrip) {
  auto keys = AppKeys::FromRootKey(Root(5));
  ASSERT_TRUE(keys.has_value());
  const std::string msg = KeyPurposeMessage("ethereum", Bytes{0x02, 0xab});
  EXPECT_EQ(msg, "ethereum:02ab");
  auto sig = SignKeccakRecoverable(keys->k256_key(), AsBytes(msg));
  ASSERT_TRUE(sig.has_value());
  ASSERT_EQ(sig->size(), 65u);
  EXPECT_LE((*sig)[64], 1);
  auto signer = RecoverKeccakSigner(AsBytes(msg), *sig);
  ASSERT_TRUE(signer.has_value()) << signer.error().ToString();
  EXPECT_EQ(*signer, keys->k256_public_key());
  // A different message recovers a different key (or fails).
  auto other = RecoverKeccakSigner(AsBytes("ethereum:02ac"), *sig);
  if (other) {
    EXPECT_NE(*other, keys->k256_public_key());
  }
  EXPECT_FALSE(RecoverKeccakSigner(AsBytes(msg), Bytes(64, 1)).has_value());
}

TEST(AppKeysTest, KmsIssuedMessageLayout) {
  Bytes app_id(20, 0xaa);
  Bytes pub(33, 0x02);
  Bytes m = KmsIssuedMessage(app_id, pub);
  ASSERT_EQ(m.size(), 18u + 20 + 33);
  EXPECT_EQ(AsStringView(ByteView(m).subspan(0, 18)), "dstack-kms-issued:");
}

TEST(AppKeysTest, TlsAndCaKeysAreDeterministicAndSeparated) {
  auto keys = AppKeys::FromRootKey(Root(9));
  ASSERT_TRUE(keys.has_value());
  auto ca1 = keys->AppCaKey();
  auto ca2 = keys->AppCaKey();
  auto t1 = keys->DeriveTlsKey("svc");
  auto t2 = keys->DeriveTlsKey("svc");
  auto t3 = keys->DeriveTlsKey("other");
  ASSERT_TRUE(ca1 && ca2 && t1 && t2 && t3);
  EXPECT_EQ(ca1->PublicKey().RawPoint(), ca2->PublicKey().RawPoint());
  EXPECT_EQ(t1->PublicKey().RawPoint(), t2->PublicKey().RawPoint());
  EXPECT_NE(t1->PublicKey().RawPoint(), t3->PublicKey().RawPoint());
  EXPECT_NE(t1->PublicKey().RawPoint(), ca1->PublicKey().RawPoint());
}

// The env-encryption key (src/secrets/). Known answer computed independently: the private key
// with Python hmac/hashlib from the README's scheme (label "env-encrypt", no components), the
// public key with @noble/curves' x25519.getPublicKey.
TEST(AppKeysTest, EnvKeyPairKnownAnswerAndSeparation) {
  auto keys = AppKeys::FromRootKey(Root(1));
  ASSERT_TRUE(keys.has_value());
  auto env = keys->EnvKeyPair();
  ASSERT_TRUE(env.has_value()) << env.error().ToString();
  EXPECT_EQ(KeyHex(env->private_key),
            "8c82accfe3f56f0674664293607106dcdfc087a5f24a0c736b1ddbcf81b0dc1a");
  EXPECT_EQ(ToHex(env->public_key),
            "06962368ffcfead4c55695c7b3e5d67278c96ffd6a59542d6cbd7eac740e2856");

  // Deterministic, and the public half belongs to the private half.
  auto again = keys->EnvKeyPair();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(KeyHex(again->private_key), KeyHex(env->private_key));
  EXPECT_EQ(ToHex(*crypto::X25519PublicFromPrivate(env->private_key)), ToHex(env->public_key));

  // Another app (root) gets another key; the env key is not any other derived secret.
  auto other = AppKeys::FromRootKey(Root(2));
  ASSERT_TRUE(other.has_value());
  auto other_env = other->EnvKeyPair();
  ASSERT_TRUE(other_env.has_value());
  EXPECT_NE(ToHex(other_env->public_key), ToHex(env->public_key));
  EXPECT_NE(KeyHex(env->private_key), KeyHex(keys->k256_key()));
  EXPECT_NE(KeyHex(env->private_key), KeyHex(*keys->DeriveKey("", KeyAlgorithm::kEd25519)));

  // A sender's ephemeral key agrees with it (what a sealed env relies on).
  crypto::FakeRandom random(3);
  crypto::X25519KeyPair sender = crypto::X25519Generate(random);
  auto s1 = crypto::X25519(sender.private_key, env->public_key);
  auto s2 = crypto::X25519(env->private_key, sender.public_key);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(KeyHex(*s1), KeyHex(*s2));
}

}  // namespace
}  // namespace teecloud::agent
