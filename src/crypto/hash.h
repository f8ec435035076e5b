// Message digests. The only hashing entry points in teecloud.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace teecloud::crypto {

using Digest256 = std::array<uint8_t, 32>;
using Digest384 = std::array<uint8_t, 48>;
using Digest512 = std::array<uint8_t, 64>;

Digest256 Sha256(ByteView data);
Digest384 Sha384(ByteView data);
Digest512 Sha512(ByteView data);
// Keccak-256 as Ethereum uses it (original padding 0x01, not SHA3's 0x06). Own implementation
// of Keccak-f[1600]; OpenSSL 3.0 has no Keccak-256.
Digest256 Keccak256(ByteView data);

// Incremental SHA-384 (event-log replay, large inputs).
class Sha384Hasher {
 public:
  Sha384Hasher();
  ~Sha384Hasher();
  Sha384Hasher(const Sha384Hasher&) = delete;
  Sha384Hasher& operator=(const Sha384Hasher&) = delete;
  void Update(ByteView data);
  Digest384 Final();

 private:
  void* ctx_;  // EVP_MD_CTX
};

inline ByteView View(const Digest256& d) { return ByteView(d.data(), d.size()); }
inline ByteView View(const Digest384& d) { return ByteView(d.data(), d.size()); }
inline ByteView View(const Digest512& d) { return ByteView(d.data(), d.size()); }

}  // namespace teecloud::crypto
