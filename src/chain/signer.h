// Signer: an Ethereum account's private key (secp256k1) and its address.
//
// Keys come from the environment (TEECLOUD_PRIVATE_KEY) or a key file that only its owner can
// read, never from argv. The key lives in a zeroizing SecretBytes; no error message, log line or
// operator<< ever contains it (parse errors say what is wrong, not what was read).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "chain/types.h"
#include "crypto/secp256k1.h"
#include "crypto/secret.h"

namespace teecloud::chain {

inline constexpr char kPrivateKeyEnv[] = "TEECLOUD_PRIVATE_KEY";

class Signer {
 public:
  // `key`: 32 bytes, a valid secp256k1 scalar.
  static Result<Signer> FromPrivateKey(crypto::SecretBytes key);

  const Address& address() const { return address_; }
  // RFC 6979 deterministic, low-S signature over a 32-byte digest.
  Result<crypto::RecoverableSignature> SignDigest(const Hash32& digest) const;

 private:
  Signer(crypto::SecretBytes key, Address address) : key_(std::move(key)), address_(address) {}
  crypto::SecretBytes key_;
  Address address_;
};

// 64 hex digits, optional 0x, surrounding whitespace ignored. The text is never echoed back.
Result<crypto::SecretBytes> ParsePrivateKeyHex(std::string_view text);

// Reads a key file (hex, as above). Refuses files that are not regular files or that group or
// others may access (mode & 077), like ssh does for private keys: kPermissionDenied.
Result<crypto::SecretBytes> ReadPrivateKeyFile(const std::string& path);

// The signer of a command: `key_file` if given, else the value of TEECLOUD_PRIVATE_KEY
// (`env_value`, nullptr when unset). kNotFound when neither is there.
Result<Signer> LoadSigner(const std::optional<std::string>& key_file, const char* env_value);

}  // namespace teecloud::chain
