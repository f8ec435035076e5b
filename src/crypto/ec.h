// Elliptic-curve keys and ECDSA over NIST P-256 / P-384 (OpenSSL).
//
// EcPublicKey is immutable after construction and safe to share across threads for
// verification. Verification failures are Errors with code kUnauthenticated; malformed keys or
// signatures are kInvalidArgument.
#pragma once

#include <memory>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

enum class Curve { kP256, kP384 };
enum class HashAlg { kSha256, kSha384, kSha512 };

class EcPublicKey {
 public:
  // Raw x||y (64 bytes for P-256, 96 for P-384) or SEC1 uncompressed 0x04||x||y.
  static Result<EcPublicKey> FromRawPoint(Curve curve, ByteView point);
  // DER SubjectPublicKeyInfo.
  static Result<EcPublicKey> FromSpkiDer(ByteView spki);

  Curve curve() const;
  // x||y without the 0x04 prefix.
  Bytes RawPoint() const;
  Bytes SpkiDer() const;

  // Hashes `message` with `hash` and verifies a raw r||s signature (each half curve-size,
  // big-endian).
  Status VerifyRaw(ByteView message, ByteView signature_rs, HashAlg hash) const;
  // Same, over a DER ECDSA-Sig-Value.
  Status VerifyDer(ByteView message, ByteView signature_der, HashAlg hash) const;
  // Verifies a raw r||s signature over a precomputed digest.
  Status VerifyDigestRaw(ByteView digest, ByteView signature_rs) const;

  // Opaque OpenSSL handle (EVP_PKEY*), for crypto/ internals only.
  void* native() const { return key_.get(); }
  explicit EcPublicKey(std::shared_ptr<void> key) : key_(std::move(key)) {}

 private:
  std::shared_ptr<void> key_;  // EVP_PKEY
};

class EcPrivateKey {
 public:
  static Result<EcPrivateKey> Generate(Curve curve);
  // 32-byte (P-256) or 48-byte (P-384) big-endian scalar.
  static Result<EcPrivateKey> FromScalar(Curve curve, ByteView scalar);
  // PKCS#8 PEM or DER.
  static Result<EcPrivateKey> FromPkcs8(ByteView der_or_pem);

  Curve curve() const;
  EcPublicKey PublicKey() const;
  SecretBytes Scalar() const;
  SecretBytes Pkcs8Der() const;
  std::string Pkcs8Pem() const;  // Never log the result.

  // Raw r||s signature over hash(message).
  Result<Bytes> SignRaw(ByteView message, HashAlg hash) const;
  Result<Bytes> SignDer(ByteView message, HashAlg hash) const;

  void* native() const { return key_.get(); }
  explicit EcPrivateKey(std::shared_ptr<void> key) : key_(std::move(key)) {}

 private:
  std::shared_ptr<void> key_;  // EVP_PKEY
};

// Converts between raw r||s and DER ECDSA-Sig-Value.
Result<Bytes> EcdsaRawToDer(ByteView raw_rs);
Result<Bytes> EcdsaDerToRaw(ByteView der, size_t half_size);

}  // namespace teecloud::crypto
