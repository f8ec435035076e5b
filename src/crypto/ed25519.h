// Ed25519 signatures (RFC 8032, pure Ed25519 without prehash) on libsodium.
//
// A private key is its 32-byte seed (RFC 8032 §5.1.5), held in SecretBytes; the 64-byte
// expanded form libsodium uses never leaves ed25519.cc. Functions are thread-safe.
// Verification failures are Errors with code kUnauthenticated; malformed keys or signatures
// (wrong sizes) are kInvalidArgument.
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// The 32-byte public key of a 32-byte seed.
Result<Bytes> Ed25519PublicKey(const SecretBytes& seed);
// Deterministic 64-byte signature R||S over `message`.
Result<Bytes> Ed25519Sign(const SecretBytes& seed, ByteView message);
// Verifies a 64-byte signature with a 32-byte public key (libsodium rejects non-canonical S and
// small-order keys).
Status Ed25519Verify(ByteView public_key, ByteView message, ByteView signature);

}  // namespace teecloud::crypto
