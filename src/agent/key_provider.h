// Where an app's root key comes from.
//
// The agent asks a KeyProvider once per boot, after the manifest and identity are measured
// (boot-mr-done) and before "key-provider" is measured. A provider returns the 32-byte root key
// and the link of the signature chain that vouches for the app's secp256k1 identity key
// (AppKeys::k256_public_key): a recoverable secp256k1 signature by the provider's root over
// KmsIssuedMessage(app_id, app k256 public key), as dstack's KMS issues it.
//
// Providers: LocalKeyProvider (a seed file; development only) now; the threshold KMS client
// later (it will use KeyRequest::attester to prove the CVM's identity).
#pragma once

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/secret.h"
#include "tee/attester.h"

namespace teecloud::agent {

struct KeyRequest {
  Bytes app_id;                       // 20 bytes
  Bytes manifest_hash;                // 32 bytes
  Bytes instance_id;                  // 20 bytes
  tee::Attester* attester = nullptr;  // for providers that need evidence; not owned
};

struct AppKeyGrant {
  crypto::SecretBytes root_key;  // 32 bytes; never log
  Bytes kms_signature;           // 65 bytes r||s||v, chain[1] of every /GetKey reply
  Bytes kms_root_public_key;     // 33 bytes compressed: the key chain[1] recovers to
  std::string provider_name;     // "local", "kms"
  // JSON text {"name": ..., "id": hex}: payload of the "key-provider" boot event and /Info
  // key_provider_info.
  std::string provider_info;
};

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  virtual std::string Name() const = 0;
  virtual Result<AppKeyGrant> GetAppKey(const KeyRequest& request) = 0;
};

// Development-only provider: every key derives from a local 32-byte seed, so whoever reads the
// seed file has every app key. root key = HKDF-SHA256(seed, "teecloud-local-key-provider/v1",
// "app-root-key" || app_id); its signing root = a secp256k1 key derived from the same seed.
// Thread-compatible (immutable after construction).
class LocalKeyProvider final : public KeyProvider {
 public:
  static constexpr size_t kSeedSize = 32;

  explicit LocalKeyProvider(crypto::SecretBytes seed) : seed_(std::move(seed)) {}

  // Reads a seed file: exactly 32 raw bytes, or 64 hex digits (optional whitespace). Refuses
  // files readable or writable by group/others, and anything that is not a regular file.
  static Result<std::unique_ptr<LocalKeyProvider>> FromSeedFile(const std::string& path);
  // Creates `path` (mode 0600) with a fresh random seed when it does not exist, then loads it.
  static Result<std::unique_ptr<LocalKeyProvider>> LoadOrCreateSeedFile(const std::string& path);

  std::string Name() const override { return "local"; }
  Result<AppKeyGrant> GetAppKey(const KeyRequest& request) override;

  // The 33-byte compressed public key of the local signing root (chain[1] signer).
  Result<Bytes> RootPublicKey() const;

 private:
  crypto::SecretBytes seed_;
};

}  // namespace teecloud::agent
