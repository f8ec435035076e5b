// Ed25519 (RFC 8032 §5.1) on libsodium's crypto_sign_* (detached mode).
#include "crypto/ed25519.h"

#include <sodium.h>

#include <array>

namespace teecloud::crypto {
namespace {

void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; -1 means the library cannot be used at all.
  static const bool ok = sodium_init() >= 0;
  TEECLOUD_CHECK(ok);
}

static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);

// libsodium's secret key is seed || public key; it is wiped when this goes out of scope.
class ExpandedKey {
 public:
  ExpandedKey() = default;
  ~ExpandedKey() { sodium_memzero(secret_.data(), secret_.size()); }
  ExpandedKey(const ExpandedKey&) = delete;
  ExpandedKey& operator=(const ExpandedKey&) = delete;

  Status Init(const SecretBytes& seed) {
    if (seed.size() != kEd25519SeedSize) {
      return InvalidArgument("ed25519 seed must be 32 bytes");
    }
    EnsureSodium();
    TEECLOUD_CHECK(crypto_sign_seed_keypair(public_.data(), secret_.data(), seed.view().data()) ==
                   0);
    return OkStatus();
  }
  const uint8_t* secret() const { return secret_.data(); }
  Bytes public_key() const { return Bytes(public_.begin(), public_.end()); }

 private:
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret_{};
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_{};
};

}  // namespace

Result<Bytes> Ed25519PublicKey(const SecretBytes& seed) {
  ExpandedKey key;
  RETURN_IF_ERROR(key.Init(seed));
  return key.public_key();
}

Result<Bytes> Ed25519Sign(const SecretBytes& seed, ByteView message) {
  ExpandedKey key;
  RETURN_IF_ERROR(key.Init(seed));
  Bytes sig(kEd25519SignatureSize);
  unsigned long long sig_len = 0;
  TEECLOUD_CHECK(crypto_sign_detached(sig.data(), &sig_len, message.data(), message.size(),
                                      key.secret()) == 0);
  TEECLOUD_CHECK(sig_len == kEd25519SignatureSize);
  return sig;
}

Status Ed25519Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgument("ed25519 public key must be 32 bytes");
  }
  if (signature.size() != kEd25519SignatureSize) {
    return InvalidArgument("ed25519 signature must be 64 bytes");
  }
  EnsureSodium();
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                  public_key.data()) != 0) {
    return Unauthenticated("ed25519 signature does not verify");
  }
  return OkStatus();
}

}  // namespace teecloud::crypto
