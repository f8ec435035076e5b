#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.h"

namespace teecloud::crypto {
namespace {

std::string KeccakHex(ByteView b) { return ToHex(View(Keccak256(b))); }

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % 251);
  return b;
}

TEST(KeccakTest, EmptyAndAbc) {
  // Widely published Ethereum values (keccak256("") is the empty-code hash).
  EXPECT_EQ(KeccakHex({}), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(KeccakHex(AsBytes("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(KeccakHex(AsBytes("The quick brown fox jumps over the lazy dog")),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(KeccakTest, EthereumFunctionSelector) {
  // ERC-20 transfer(address,uint256) selector is 0xa9059cbb.
  EXPECT_EQ(KeccakHex(AsBytes("transfer(address,uint256)")).substr(0, 8), "a9059cbb");
}

// The values below came from an independent Python Keccak whose permutation was checked
// against hashlib.sha3_256 (same core, domain byte 0x06) on the same inputs.
TEST(KeccakTest, RateBoundaries) {
  // 135 bytes: padding 0x01 and 0x80 share the last byte of the block (0x81).
  EXPECT_EQ(KeccakHex(Pattern(135)),
            "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
  // Exactly one rate (136 bytes): a full padding block follows.
  EXPECT_EQ(KeccakHex(Pattern(136)),
            "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
  EXPECT_EQ(KeccakHex(Pattern(137)),
            "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
}

TEST(KeccakTest, MultiBlock) {
  EXPECT_EQ(KeccakHex(AsBytes(std::string(200, 'a'))),
            "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
  Bytes b(256);
  for (size_t i = 0; i < 256; ++i) b[i] = static_cast<uint8_t>(i);
  b.insert(b.end(), 44, 'x');  // 300 bytes: two full blocks and a partial one
  EXPECT_EQ(KeccakHex(b), "3728a0cf5175fd6caadd9b22637c243b16e1eb18c72813db796ab95cc9685521");
}

}  // namespace
}  // namespace teecloud::crypto
