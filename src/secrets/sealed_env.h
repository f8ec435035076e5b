// Sealed (encrypted) deployment env, in dstack's format so the same bytes work with dstack's
// tooling (the SDK's encryptEnvVars, vmm-cli.py, dstack-util's decryption):
//
//   sealed = ephemeral_public(32) || iv(12) || AES-256-GCM(key, iv, plaintext)  (ct || tag16)
//   key    = X25519(ephemeral_private, recipient_public), the raw 32-byte shared secret (no KDF)
//   plaintext = JSON {"env":[{"key":NAME,"value":VALUE},...]}, no AAD
//
// The recipient is the app's env key (agent::AppKeys::EnvKeyPair): the CLI seals to its public
// half, only the agent inside the attested CVM can open. Pure functions; thread-safe. No error
// message contains a value.
#pragma once

#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "secrets/dotenv.h"

namespace teecloud::secrets {

inline constexpr size_t kEnvPublicKeySize = 32;
// Ephemeral public key and iv; then the GCM tag.
inline constexpr size_t kSealedEnvHeaderSize = 32 + 12;
inline constexpr size_t kSealedEnvOverhead = kSealedEnvHeaderSize + 16;
// Room for kMaxEnvTotalSize bytes of names and values even if every byte is a control
// character JSON spells as \u00XX (6 bytes), plus per-entry punctuation.
inline constexpr size_t kMaxSealedEnvPlaintextSize = 8 * 1024 * 1024;
inline constexpr size_t kMaxSealedEnvSize = kSealedEnvOverhead + kMaxSealedEnvPlaintextSize;

// Seals `vars` (checked with ValidateEnvVars) to the recipient's 32-byte X25519 public key with
// a fresh ephemeral key and iv from `random`. The JSON is byte-for-byte what JavaScript's
// JSON.stringify({env: vars}) gives, as the dstack SDK produces it. kInvalidArgument for
// invalid vars or an unusable public key (wrong size, small-order point).
Result<Bytes> SealEnv(ByteView recipient_x25519_public, const std::vector<EnvVar>& vars,
                      crypto::Random& random);

// Opens a sealed env with the app's 32-byte X25519 private key. Strict:
//   too short / too long / key of the wrong size       -> kInvalidArgument
//   does not authenticate (other app's key, tampered)   -> kUnauthenticated
//   plaintext not exactly {"env":[{"key":s,"value":s}...]} (unknown or duplicate members,
//   other types), or vars breaking ValidateEnvVars      -> kInvalidArgument
Result<std::vector<EnvVar>> OpenSealedEnv(const crypto::SecretBytes& x25519_private,
                                          ByteView sealed);

// The env public key as users pass it around: exactly 64 hex digits (either case), optional
// "0x"/"0X" prefix, surrounding whitespace ignored.
Result<Bytes> ParseEnvPublicKeyHex(std::string_view hex);

// The envelope without the JSON layer, for known-answer tests against dstack's own vectors and
// for fuzzing the JSON layer behind authentication. Same errors as above.
Result<Bytes> SealEnvelope(ByteView recipient_x25519_public, ByteView plaintext,
                           crypto::Random& random);
Result<crypto::SecretBytes> OpenEnvelope(const crypto::SecretBytes& x25519_private,
                                         ByteView sealed);

}  // namespace teecloud::secrets
