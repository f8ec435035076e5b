#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "base/error.h"
#include "crypto/hash.h"

namespace teecloud::crypto {

Bytes Random::RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0) Fill(out.data(), n);
  return out;
}

SecretBytes Random::RandomSecret(size_t n) {
  SecretBytes out(n);
  if (n > 0) Fill(out.data(), n);
  return out;
}

void SystemRandom::Fill(uint8_t* out, size_t n) {
  // RAND_bytes takes an int; split large requests.
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, INT_MAX);
    TEECLOUD_CHECK(RAND_bytes(out, static_cast<int>(chunk)) == 1);
    out += chunk;
    n -= chunk;
  }
}

// Block i = SHA-256(seed_le64 || counter_le64). Not cryptographically meaningful; tests only.
void FakeRandom::Fill(uint8_t* out, size_t n) {
  while (n > 0) {
    ByteWriter w;
    w.U64Le(seed_);
    w.U64Le(counter_++);
    const Digest256 block = Sha256(w.bytes());
    const size_t take = std::min(n, block.size());
    std::copy_n(block.begin(), take, out);
    out += take;
    n -= take;
  }
}

}  // namespace teecloud::crypto
