#include "chain/rlp.h"

#include <gtest/gtest.h>

#include <string>

namespace teecloud::chain {
namespace {

Bytes Hex(std::string_view h) { return *FromHex(h); }
RlpItem Str(std::string_view s) { return RlpBytes(AsBytes(s)); }
std::string EncHex(const RlpItem& item) { return ToHex(RlpEncode(item)); }

void ExpectRoundTrip(const RlpItem& item) {
  Bytes enc = RlpEncode(item);
  auto dec = RlpDecode(enc);
  ASSERT_TRUE(dec) << dec.error().ToString();
  EXPECT_EQ(*dec, item);
}

// Known answers from the Ethereum wiki "RLP" page and Yellow Paper Appendix B.
TEST(Rlp, KnownAnswers) {
  EXPECT_EQ(EncHex(Str("dog")), "83646f67");
  EXPECT_EQ(EncHex(RlpList({Str("cat"), Str("dog")})), "c88363617483646f67");
  EXPECT_EQ(EncHex(Str("")), "80");
  EXPECT_EQ(EncHex(RlpList({})), "c0");
  EXPECT_EQ(EncHex(RlpUint(0)), "80");
  EXPECT_EQ(EncHex(RlpBytes(Hex("00"))), "00");
  EXPECT_EQ(EncHex(RlpUint(15)), "0f");
  EXPECT_EQ(EncHex(RlpUint(1024)), "820400");
  EXPECT_EQ(EncHex(RlpUint(0x7f)), "7f");
  EXPECT_EQ(EncHex(RlpUint(0x80)), "8180");
  // Set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
  RlpItem three = RlpList(
      {RlpList({}), RlpList({RlpList({})}), RlpList({RlpList({}), RlpList({RlpList({})})})});
  EXPECT_EQ(EncHex(three), "c7c0c1c0c3c0c1c0");
  EXPECT_EQ(EncHex(Str("Lorem ipsum dolor sit amet, consectetur adipisicing elit")),
            "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572"
            "206164697069736963696e6720656c6974");
}

TEST(Rlp, Uint256StripsLeadingZeros) {
  Bytes be(32, 0);
  EXPECT_EQ(EncHex(RlpUint256(be)), "80");
  be[30] = 0x04;
  EXPECT_EQ(EncHex(RlpUint256(be)), "820400");
  Bytes full(32, 0xff);
  EXPECT_EQ(EncHex(RlpUint256(full)), "a0" + std::string(64, 'f'));
}

TEST(Rlp, LongLists) {
  // A list whose payload is >= 56 bytes takes the long form f8 <len>.
  std::vector<RlpItem> items(60, RlpUint(1));
  Bytes enc = RlpEncode(RlpList(items));
  EXPECT_EQ(ToHex(ByteView(enc).first(2)), "f83c");
  ExpectRoundTrip(RlpList(items));
  // A 1024-byte string: b9 0400.
  Bytes big(1024, 0xab);
  Bytes enc2 = RlpEncode(RlpBytes(big));
  EXPECT_EQ(ToHex(ByteView(enc2).first(3)), "b90400");
  ExpectRoundTrip(RlpBytes(big));
}

TEST(Rlp, RoundTrips) {
  ExpectRoundTrip(Str(""));
  ExpectRoundTrip(Str("dog"));
  ExpectRoundTrip(RlpBytes(Hex("00")));
  ExpectRoundTrip(RlpBytes(Hex("80")));
  ExpectRoundTrip(RlpList({}));
  ExpectRoundTrip(RlpList({Str("cat"), RlpList({Str("dog"), RlpUint(1024)}), RlpList({})}));
  ExpectRoundTrip(RlpUint(UINT64_MAX));
  auto v = RlpToUint64(*RlpDecode(RlpEncode(RlpUint(0x0102030405060708ull))));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 0x0102030405060708ull);
}

TEST(Rlp, DecodeKnownAnswers) {
  auto dec = RlpDecode(Hex("c88363617483646f67"));
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, RlpList({Str("cat"), Str("dog")}));
  auto three = RlpDecode(Hex("c7c0c1c0c3c0c1c0"));
  ASSERT_TRUE(three);
  ASSERT_TRUE(three->is_list());
  EXPECT_EQ(three->list().size(), 3u);
}

TEST(Rlp, RejectsNonCanonical) {
  EXPECT_FALSE(RlpDecode(Hex("8100")));                             // single byte < 0x80 wrapped
  EXPECT_FALSE(RlpDecode(Hex("817f")));                             // single byte < 0x80 wrapped
  EXPECT_TRUE(RlpDecode(Hex("8180")));                              // 0x80 itself needs the prefix
  EXPECT_FALSE(RlpDecode(Hex("b80161")));                           // long form for length 1
  EXPECT_FALSE(RlpDecode(Hex("b837" + std::string(55 * 2, '6'))));  // long form for 55
  EXPECT_FALSE(RlpDecode(Hex("b90038" + std::string(56 * 2, '6'))));  // leading zero length
  EXPECT_FALSE(RlpDecode(Hex("f800")));                               // long-form list of length 0
  EXPECT_FALSE(RlpDecode(Hex("f90038" + std::string(56 * 2, '0'))));
  EXPECT_FALSE(RlpToUint64(*RlpDecode(Hex("820004"))));  // integer with leading zero
}

TEST(Rlp, RejectsTruncatedAndTrailing) {
  EXPECT_FALSE(RlpDecode(Bytes{}));
  EXPECT_FALSE(RlpDecode(Hex("83646f")));              // string past the end
  EXPECT_FALSE(RlpDecode(Hex("c883636174")));          // list past the end
  EXPECT_FALSE(RlpDecode(Hex("b8")));                  // missing length byte
  EXPECT_FALSE(RlpDecode(Hex("b9ff")));                // truncated length
  EXPECT_FALSE(RlpDecode(Hex("bbffffffff")));          // huge length, no allocation
  EXPECT_FALSE(RlpDecode(Hex("bfffffffffffffffff")));  // 2^64-1 length
  EXPECT_FALSE(RlpDecode(Hex("ffffffffffffffffff")));
  EXPECT_FALSE(RlpDecode(Hex("83646f6700")));  // trailing byte
  EXPECT_FALSE(RlpDecode(Hex("c0c0")));        // two items
  EXPECT_FALSE(RlpDecode(Hex("c28363")));      // child overruns its list
  EXPECT_FALSE(RlpDecode(Hex("c3836364")));    // child overruns parent payload
}

TEST(Rlp, RejectsDeepNesting) {
  auto nested = [](int depth) {
    RlpItem item = RlpList({});
    for (int i = 0; i < depth; ++i) item = RlpList({item});
    return RlpEncode(item);
  };
  EXPECT_TRUE(RlpDecode(nested(kRlpMaxDepth)));
  EXPECT_FALSE(RlpDecode(nested(kRlpMaxDepth + 1)));
  // 100k nested list prefixes with bogus lengths must fail cleanly without deep recursion.
  Bytes deep(100000, 0xc1);
  EXPECT_FALSE(RlpDecode(deep));
}

TEST(Rlp, FlippedBytesNeverCrash) {
  RlpItem item = RlpList({Str("cat"), RlpList({Str("dog"), RlpUint(1024)}),
                          Str("Lorem ipsum dolor sit amet, consectetur adipisicing elit")});
  Bytes enc = RlpEncode(item);
  for (size_t i = 0; i < enc.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes mutated = enc;
      mutated[i] ^= static_cast<uint8_t>(1 << bit);
      auto dec = RlpDecode(mutated);
      if (dec) {
        EXPECT_EQ(RlpEncode(*dec), mutated);  // whatever decodes is canonical
      }
    }
    auto trunc = RlpDecode(ByteView(enc).first(i));
    EXPECT_FALSE(trunc);
  }
}

}  // namespace
}  // namespace teecloud::chain
