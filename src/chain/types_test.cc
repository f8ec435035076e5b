#include "chain/types.h"

#include <gtest/gtest.h>

namespace teecloud::chain {
namespace {

// EIP-55 "Test Cases" (https://eips.ethereum.org/EIPS/eip-55): each is its own checksum form.
TEST(TypesTest, Eip55Checksums) {
  for (const char* s :
       {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = ParseAddress(s);
    ASSERT_TRUE(a.has_value()) << s;
    EXPECT_EQ(ChecksumAddress(*a), s);
  }
}

TEST(TypesTest, AddressParsing) {
  // All-lower and all-upper forms are accepted without a checksum.
  EXPECT_TRUE(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").has_value());
  EXPECT_TRUE(ParseAddress("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").has_value());
  // A mixed-case typo fails the checksum.
  EXPECT_FALSE(ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").has_value());
  EXPECT_FALSE(ParseAddress("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").has_value());
  EXPECT_FALSE(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae").has_value());
  EXPECT_FALSE(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg").has_value());
}

TEST(TypesTest, Quantities) {
  EXPECT_EQ(QuantityHex(uint64_t{0}), "0x0");
  EXPECT_EQ(QuantityHex(uint64_t{0x400}), "0x400");
  EXPECT_EQ(QuantityHex(U256FromUint64(0)), "0x0");
  EXPECT_EQ(QuantityHex(U256FromUint64(0x41)), "0x41");
  EXPECT_EQ(*ParseQuantity("0x0"), 0u);
  EXPECT_EQ(*ParseQuantity("0x400"), 0x400u);
  EXPECT_EQ(*ParseQuantity("0x0400"), 0x400u);  // tolerated
  EXPECT_EQ(*ParseQuantity("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(ParseQuantity("0x10000000000000000").error().code, Code::kOutOfRange);
  EXPECT_FALSE(ParseQuantity("0x").has_value());
  EXPECT_FALSE(ParseQuantity("400").has_value());
  EXPECT_FALSE(ParseQuantity("0xg").has_value());
  auto big = ParseQuantity256("0x" + std::string(64, 'f'));
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(U256ToDecimal(*big),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_FALSE(ParseQuantity256("0x1" + std::string(64, '0')).has_value());
}

TEST(TypesTest, Decimal) {
  EXPECT_EQ(U256ToDecimal(U256{}), "0");
  EXPECT_EQ(U256ToDecimal(U256FromUint64(1'000'000'000'000'000'000ULL)), "1000000000000000000");
  auto v = ParseU256Decimal(
      "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(QuantityHex(*v), "0x" + std::string(64, 'f'));
  EXPECT_FALSE(ParseU256Decimal(
                   "115792089237316195423570985008687907853269984665640564039457584007913129639936")
                   .has_value());
  EXPECT_FALSE(ParseU256Decimal("").has_value());
  EXPECT_FALSE(ParseU256Decimal("12a").has_value());
}

TEST(TypesTest, HexData) {
  EXPECT_EQ(HexData(Bytes{}), "0x");
  EXPECT_EQ(HexData(Bytes{0x00, 0xab}), "0x00ab");
  EXPECT_EQ(*ParseHexData("0x"), Bytes{});
  EXPECT_EQ(*ParseHexData("0x00AB"), (Bytes{0x00, 0xab}));
  EXPECT_FALSE(ParseHexData("0x0").has_value());
  EXPECT_FALSE(ParseHexData("00").has_value());
  EXPECT_TRUE(ParseHash32(std::string(64, 'a')).has_value());
  EXPECT_TRUE(ParseHash32("0x" + std::string(64, 'a')).has_value());
  EXPECT_FALSE(ParseHash32("0x" + std::string(63, 'a')).has_value());
}

TEST(TypesTest, BlockRefs) {
  EXPECT_EQ(ParseBlockRef("finalized")->ToRpc(), "finalized");
  EXPECT_EQ(ParseBlockRef("latest")->ToRpc(), "latest");
  EXPECT_EQ(ParseBlockRef("17")->ToRpc(), "0x11");
  EXPECT_EQ(ParseBlockRef("0x11")->ToRpc(), "0x11");
  EXPECT_EQ(*ParseBlockRef("12"), BlockRef::Number(12));
  EXPECT_FALSE(ParseBlockRef("newest").has_value());
  EXPECT_FALSE(ParseBlockRef("-1").has_value());
  EXPECT_FALSE(ParseBlockRef("99999999999999999999").has_value());
}

}  // namespace
}  // namespace teecloud::chain
