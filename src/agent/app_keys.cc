#include "agent/app_keys.h"

#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/mac.h"
#include "crypto/secp256k1.h"

namespace teecloud::agent {
namespace {

constexpr std::string_view kSalt = "teecloud-agent/kdf/v1";
// Scalar derivations retry with counters 0..kMaxCounter; each attempt fails with probability
// below 2^-32 (P-256) or 2^-127 (secp256k1), so exhausting them is not a practical outcome.
constexpr int kMaxCounter = 16;

// Labels (README.md "Key derivation").
constexpr std::string_view kLabelAppK256 = "app-k256-key";
constexpr std::string_view kLabelGetKeySecp256k1 = "get-key/secp256k1";
constexpr std::string_view kLabelGetKeyEd25519 = "get-key/ed25519";
constexpr std::string_view kLabelAppCa = "app-ca/p256";
constexpr std::string_view kLabelTlsKey = "tls-key/p256";
constexpr std::string_view kLabelEnvEncrypt = "env-encrypt";
constexpr std::string_view kLabelVolumeEncrypt = "volume-encrypt";

void AppendPart(ByteWriter& w, ByteView part) {
  w.U32Be(static_cast<uint32_t>(part.size()));
  w.Append(part);
}

Bytes Info(std::string_view label, std::initializer_list<ByteView> parts, int counter) {
  ByteWriter w;
  AppendPart(w, AsBytes(label));
  for (ByteView p : parts) AppendPart(w, p);
  if (counter >= 0) {
    const uint8_t c = static_cast<uint8_t>(counter);
    AppendPart(w, ByteView(&c, 1));
  }
  return w.Take();
}

}  // namespace

Result<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name) {
  if (name.empty() || name == "secp256k1" || name == "k256") return KeyAlgorithm::kSecp256k1;
  if (name == "ed25519") return KeyAlgorithm::kEd25519;
  return InvalidArgument("unsupported algorithm \"" + std::string(name.substr(0, 32)) +
                         "\" (expected secp256k1, k256 or ed25519)");
}

std::string_view KeyAlgorithmName(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kEd25519 ? "ed25519" : "secp256k1";
}

Result<crypto::SecretBytes> DeriveBytes(const crypto::SecretBytes& root, std::string_view label,
                                        std::initializer_list<ByteView> parts) {
  if (root.size() != kRootKeySize) return InvalidArgument("app root key must be 32 bytes");
  return crypto::HkdfSha256(root.view(), AsBytes(kSalt), Info(label, parts, -1), 32);
}

Result<crypto::SecretBytes> DeriveSecp256k1Scalar(const crypto::SecretBytes& root,
                                                  std::string_view label,
                                                  std::initializer_list<ByteView> parts) {
  if (root.size() != kRootKeySize) return InvalidArgument("app root key must be 32 bytes");
  for (int counter = 0; counter <= kMaxCounter; ++counter) {
    ASSIGN_OR_RETURN(crypto::SecretBytes k, crypto::HkdfSha256(root.view(), AsBytes(kSalt),
                                                               Info(label, parts, counter), 32));
    if (crypto::Secp256k1CheckPrivateKey(k)) return k;
  }
  return Internal("secp256k1 key derivation found no valid scalar");
}

Result<Bytes> PublicKeyFor(KeyAlgorithm alg, const crypto::SecretBytes& private_key) {
  if (alg == KeyAlgorithm::kEd25519) return crypto::Ed25519PublicKey(private_key);
  return crypto::Secp256k1PublicKeyCompressed(private_key);
}

Result<Bytes> SignKeccakRecoverable(const crypto::SecretBytes& k256_key, ByteView message) {
  const crypto::Digest256 digest = crypto::Keccak256(message);
  ASSIGN_OR_RETURN(crypto::RecoverableSignature sig,
                   crypto::Secp256k1Sign(k256_key, crypto::View(digest)));
  Bytes out(sig.r.begin(), sig.r.end());
  out.insert(out.end(), sig.s.begin(), sig.s.end());
  out.push_back(sig.recovery_id);
  return out;
}

Result<Bytes> RecoverKeccakSigner(ByteView message, ByteView signature65) {
  if (signature65.size() != 65) return InvalidArgument("chain signature must be 65 bytes");
  crypto::RecoverableSignature sig;
  std::copy(signature65.begin(), signature65.begin() + 32, sig.r.begin());
  std::copy(signature65.begin() + 32, signature65.begin() + 64, sig.s.begin());
  sig.recovery_id = signature65[64];
  const crypto::Digest256 digest = crypto::Keccak256(message);
  ASSIGN_OR_RETURN(Bytes xy, crypto::Secp256k1Recover(crypto::View(digest), sig));
  // SEC 1 §2.3.3 compressed form: 0x02 | x when y is even, 0x03 | x when odd.
  Bytes out;
  out.reserve(33);
  out.push_back((xy[63] & 1) ? 0x03 : 0x02);
  out.insert(out.end(), xy.begin(), xy.begin() + 32);
  return out;
}

std::string KeyPurposeMessage(std::string_view purpose, ByteView derived_public_key) {
  return std::string(purpose) + ":" + ToHex(derived_public_key);
}

Bytes KmsIssuedMessage(ByteView app_id, ByteView app_k256_public_key) {
  return Concat({AsBytes("dstack-kms-issued:"), app_id, app_k256_public_key});
}

Result<AppKeys> AppKeys::FromRootKey(const crypto::SecretBytes& root_key) {
  if (root_key.size() != kRootKeySize) return InvalidArgument("app root key must be 32 bytes");
  AppKeys keys;
  keys.root_ = root_key;
  ASSIGN_OR_RETURN(keys.k256_key_, DeriveSecp256k1Scalar(root_key, kLabelAppK256, {}));
  ASSIGN_OR_RETURN(keys.k256_public_key_, crypto::Secp256k1PublicKeyCompressed(keys.k256_key_));
  return keys;
}

Result<crypto::SecretBytes> AppKeys::DeriveKey(std::string_view path, KeyAlgorithm alg) const {
  if (alg == KeyAlgorithm::kEd25519) {
    // Any 32 bytes are an Ed25519 seed (RFC 8032 §5.1.5).
    return DeriveBytes(root_, kLabelGetKeyEd25519, {AsBytes(path)});
  }
  return DeriveSecp256k1Scalar(root_, kLabelGetKeySecp256k1, {AsBytes(path)});
}

Result<crypto::EcPrivateKey> AppKeys::DeriveP256(std::string_view label, ByteView path) const {
  for (int counter = 0; counter <= kMaxCounter; ++counter) {
    ASSIGN_OR_RETURN(crypto::SecretBytes k, crypto::HkdfSha256(root_.view(), AsBytes(kSalt),
                                                               Info(label, {path}, counter), 32));
    auto key = crypto::EcPrivateKey::FromScalar(crypto::Curve::kP256, k.view());
    if (key) return key;
    if (key.error().code != Code::kInvalidArgument) return tl::unexpected(key.error());
  }
  return Internal("P-256 key derivation found no valid scalar");
}

Result<crypto::EcPrivateKey> AppKeys::AppCaKey() const { return DeriveP256(kLabelAppCa, {}); }

Result<crypto::EcPrivateKey> AppKeys::DeriveTlsKey(std::string_view path) const {
  return DeriveP256(kLabelTlsKey, AsBytes(path));
}

Result<crypto::X25519KeyPair> AppKeys::EnvKeyPair() const {
  crypto::X25519KeyPair pair;
  ASSIGN_OR_RETURN(pair.private_key, DeriveBytes(root_, kLabelEnvEncrypt, {}));
  ASSIGN_OR_RETURN(pair.public_key, crypto::X25519PublicFromPrivate(pair.private_key));
  return pair;
}

Result<crypto::SecretBytes> AppKeys::VolumeKey() const {
  return DeriveBytes(root_, kLabelVolumeEncrypt, {});
}

}  // namespace teecloud::agent
