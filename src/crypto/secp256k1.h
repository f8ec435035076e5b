// secp256k1 ECDSA for Ethereum (libsecp256k1): sign, verify, recover.
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

struct RecoverableSignature {
  std::array<uint8_t, 32> r{};
  std::array<uint8_t, 32> s{};  // low-S normalized
  uint8_t recovery_id = 0;      // 0 or 1 (Ethereum v = 27 + id, or EIP-155 form)
};

// Validates a 32-byte private key.
Status Secp256k1CheckPrivateKey(const SecretBytes& private_key);
// 64-byte uncompressed public key x||y (no 0x04 prefix).
Result<Bytes> Secp256k1PublicKey(const SecretBytes& private_key);
// 33-byte compressed public key.
Result<Bytes> Secp256k1PublicKeyCompressed(const SecretBytes& private_key);
// RFC 6979 deterministic signature over a 32-byte digest.
Result<RecoverableSignature> Secp256k1Sign(const SecretBytes& private_key, ByteView digest32);
// Verifies r||s (64 bytes) over a digest with a 64-byte x||y, 65-byte 0x04||x||y or 33-byte
// compressed public key. High-S signatures are rejected.
Status Secp256k1Verify(ByteView public_key, ByteView digest32, ByteView signature_rs);
// Recovers the 64-byte x||y public key.
Result<Bytes> Secp256k1Recover(ByteView digest32, const RecoverableSignature& sig);
// Ethereum address: last 20 bytes of Keccak-256(x||y).
std::array<uint8_t, 20> EthAddressFromPublicKey(ByteView public_key_xy);

}  // namespace teecloud::crypto
