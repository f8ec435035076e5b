// AES-256-GCM and X25519 (OpenSSL).
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

inline constexpr size_t kAesGcmKeySize = 32;
inline constexpr size_t kAesGcmNonceSize = 12;
inline constexpr size_t kAesGcmTagSize = 16;

// Returns ciphertext || 16-byte tag.
Result<Bytes> AesGcmSeal(const SecretBytes& key, ByteView nonce, ByteView plaintext, ByteView aad);
// Input is ciphertext || tag. Authentication failure is kUnauthenticated.
Result<SecretBytes> AesGcmOpen(const SecretBytes& key, ByteView nonce, ByteView sealed,
                               ByteView aad);

struct X25519KeyPair {
  SecretBytes private_key;  // 32 bytes
  Bytes public_key;         // 32 bytes
};
X25519KeyPair X25519Generate(Random& random);
Result<Bytes> X25519PublicFromPrivate(const SecretBytes& private_key);
// Fails on an all-zero shared secret (small-order peer key).
Result<SecretBytes> X25519(const SecretBytes& private_key, ByteView peer_public);

}  // namespace teecloud::crypto
