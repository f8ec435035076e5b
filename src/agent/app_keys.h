// Keys the agent derives from an app's root key, and the dstack-compatible signature chains
// that tie them back to it. Pure functions: no I/O, no clock, thread-safe.
//
// Scheme (README.md "Key derivation"): every key is HKDF-SHA256(ikm = app root key,
// salt = "teecloud-agent/kdf/v1", info = Label(...), 32 bytes), where Label length-prefixes
// each component so distinct (label, path) pairs can never produce the same info. Keys that
// must be curve scalars retry with the next counter value in the (negligible) case the output
// is not in [1, n-1].
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/aead.h"
#include "crypto/ec.h"
#include "crypto/secret.h"

namespace teecloud::agent {

inline constexpr size_t kAppIdSize = 20;
inline constexpr size_t kRootKeySize = 32;

enum class KeyAlgorithm { kSecp256k1, kEd25519 };

// "secp256k1", "k256" and "" (the dstack default) are secp256k1; "ed25519" is Ed25519.
Result<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name);
std::string_view KeyAlgorithmName(KeyAlgorithm alg);

// HKDF output for a labelled derivation (exposed for tests and other key providers).
Result<crypto::SecretBytes> DeriveBytes(const crypto::SecretBytes& root, std::string_view label,
                                        std::initializer_list<ByteView> parts);
// A valid secp256k1 scalar derived like DeriveBytes (counter appended until in range).
Result<crypto::SecretBytes> DeriveSecp256k1Scalar(const crypto::SecretBytes& root,
                                                  std::string_view label,
                                                  std::initializer_list<ByteView> parts);

// The public key a derived key is named by in signature chains: the 33-byte compressed
// secp256k1 key, or the 32-byte Ed25519 key.
Result<Bytes> PublicKeyFor(KeyAlgorithm alg, const crypto::SecretBytes& private_key);

// 65-byte r || s || v (v = recovery id 0/1) secp256k1 signature over Keccak-256(message), as
// dstack's chains carry them.
Result<Bytes> SignKeccakRecoverable(const crypto::SecretBytes& k256_key, ByteView message);
// Recovers the 33-byte compressed signer of such a signature.
Result<Bytes> RecoverKeccakSigner(ByteView message, ByteView signature65);

// chain[0] message: "<purpose>:<lower-case hex of the derived public key>".
std::string KeyPurposeMessage(std::string_view purpose, ByteView derived_public_key);
// chain[1] message: "dstack-kms-issued:" || app_id || compressed app k256 public key.
Bytes KmsIssuedMessage(ByteView app_id, ByteView app_k256_public_key);

// All keys of one app, derived from its root key. Copyable; holds secrets (never log).
class AppKeys {
 public:
  // `root_key` must be 32 bytes.
  static Result<AppKeys> FromRootKey(const crypto::SecretBytes& root_key);

  // The app's secp256k1 identity key: it signs chain[0] of every derived key, and the key
  // provider's root signs its public key (chain[1]).
  const crypto::SecretBytes& k256_key() const { return k256_key_; }
  const Bytes& k256_public_key() const { return k256_public_key_; }  // 33 bytes compressed

  // /GetKey: 32 bytes, a secp256k1 scalar or an Ed25519 seed. Same (path, alg) -> same key.
  Result<crypto::SecretBytes> DeriveKey(std::string_view path, KeyAlgorithm alg) const;
  // The app CA's P-256 key (/GetTlsKey issuer; /Info app_cert).
  Result<crypto::EcPrivateKey> AppCaKey() const;
  // A P-256 TLS key for /GetTlsKey requests that name a path.
  Result<crypto::EcPrivateKey> DeriveTlsKey(std::string_view path) const;
  // The app's env-encryption key pair (src/secrets/): owners seal deployment secrets to the
  // public half; only the agent, holding the root key, opens them. The private key is
  // DeriveBytes(root, "env-encrypt", {}) (any 32 bytes are an X25519 scalar, RFC 7748 §5).
  Result<crypto::X25519KeyPair> EnvKeyPair() const;
  // The 32-byte key of the app's encrypted volumes (app_runner.h). Never leaves the agent.
  Result<crypto::SecretBytes> VolumeKey() const;

 private:
  AppKeys() = default;
  Result<crypto::EcPrivateKey> DeriveP256(std::string_view label, ByteView path) const;

  crypto::SecretBytes root_;
  crypto::SecretBytes k256_key_;
  Bytes k256_public_key_;
};

}  // namespace teecloud::agent
