// Randomness behind an interface so tests can be deterministic.
#pragma once

#include "base/bytes.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(uint8_t* out, size_t n) = 0;
  Bytes RandomBytes(size_t n);
  SecretBytes RandomSecret(size_t n);
};

// OpenSSL's CSPRNG (RAND_bytes); aborts if the RNG fails (no safe way to continue).
class SystemRandom final : public Random {
 public:
  void Fill(uint8_t* out, size_t n) override;
};

// Deterministic stream for tests only (SHA-256 counter mode over a seed).
class FakeRandom final : public Random {
 public:
  explicit FakeRandom(uint64_t seed) : seed_(seed) {}
  void Fill(uint8_t* out, size_t n) override;

 private:
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace teecloud::crypto
