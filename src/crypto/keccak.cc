// Keccak-256 as used by Ethereum: the Keccak submission's padding (pad10*1 with domain byte
// 0x01), not FIPS 202 SHA3-256 (domain byte 0x06). Rate 1088 bits (136 bytes), capacity 512.
// Reference: "The Keccak reference", version 3.0, and FIPS 202 §3.2 for the step mappings.
#include <cstring>

#include "crypto/hash.h"

namespace teecloud::crypto {
namespace {

constexpr size_t kRate = 136;  // (1600 - 2 * 256) / 8

// Round constants for ι (FIPS 202 §3.2.5), 24 rounds.
constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// ρ rotation offsets and π lane order, in the combined walk order used by the compact
// reference implementation (lane index pi[i] receives the previous lane rotated by rho[i]).
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

inline uint64_t Rotl(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

// Keccak-f[1600] on 25 little-endian lanes, state index x + 5y.
void KeccakF1600(uint64_t st[25]) {
  for (int round = 0; round < 24; ++round) {
    // θ
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
    for (int x = 0; x < 5; ++x) {
      const uint64_t d = c[(x + 4) % 5] ^ Rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) st[y + x] ^= d;
    }
    // ρ and π
    uint64_t t = st[1];
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const uint64_t tmp = st[j];
      st[j] = Rotl(t, kRho[i]);
      t = tmp;
    }
    // χ
    for (int y = 0; y < 25; y += 5) {
      uint64_t row[5];
      for (int x = 0; x < 5; ++x) row[x] = st[y + x];
      for (int x = 0; x < 5; ++x) st[y + x] = row[x] ^ ((~row[(x + 1) % 5]) & row[(x + 2) % 5]);
    }
    // ι
    st[0] ^= kRoundConstants[round];
  }
}

// XORs one rate-sized block into the state, lanes little-endian (byte order independent).
void AbsorbBlock(uint64_t st[25], const uint8_t* block) {
  for (size_t i = 0; i < kRate / 8; ++i) {
    uint64_t lane = 0;
    for (int b = 7; b >= 0; --b) lane = (lane << 8) | block[i * 8 + static_cast<size_t>(b)];
    st[i] ^= lane;
  }
  KeccakF1600(st);
}

}  // namespace

Digest256 Keccak256(ByteView data) {
  uint64_t st[25] = {};
  size_t off = 0;
  while (data.size() - off >= kRate) {
    AbsorbBlock(st, data.data() + off);
    off += kRate;
  }
  // Final block: remaining bytes, then pad10*1 with the Keccak domain bit 0x01. When exactly
  // one byte of room is left, 0x01 and 0x80 land in the same byte (0x81).
  uint8_t last[kRate] = {};
  const size_t rest = data.size() - off;
  if (rest > 0) std::memcpy(last, data.data() + off, rest);
  last[rest] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  AbsorbBlock(st, last);

  Digest256 out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(st[i / 8] >> (8 * (i % 8)));
  }
  return out;
}

}  // namespace teecloud::crypto
