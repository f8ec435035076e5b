#include "crypto/der.h"

#include <gtest/gtest.h>

#include "crypto/x509.h"
#include "testing/testing.h"

namespace teecloud::crypto {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  TEECLOUD_CHECK(b.has_value());
  return *b;
}

TEST(DerTest, ReadsShortAndLongForm) {
  // SEQUENCE { INTEGER 5, OCTET STRING (130 bytes) }
  Bytes octets(130, 0xab);
  Bytes inner = Hex("020105");
  inner.insert(inner.end(), {0x04, 0x81, 0x82});
  inner.insert(inner.end(), octets.begin(), octets.end());
  Bytes seq = {0x30, 0x81, static_cast<uint8_t>(inner.size())};
  seq.insert(seq.end(), inner.begin(), inner.end());

  DerReader outer(seq);
  auto s = outer.Expect(kDerSequence, "outer");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_TRUE(outer.empty());
  EXPECT_EQ(s->encoded.size(), seq.size());
  DerReader r(s->contents);
  auto i = r.Expect(kDerInteger, "int");
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(*DecodeUint(i->contents), 5u);
  auto o = r.Next();
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->tag, kDerOctetString);
  EXPECT_EQ(ToBytes(o->contents), octets);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.Next().has_value());
}

TEST(DerTest, ExpectWrongTagNamesField) {
  const Bytes b = Hex("020105");
  DerReader r(b);
  auto e = r.Expect(kDerSequence, "tcb levels");
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().message.find("tcb levels"), std::string::npos);
  EXPECT_NE(e.error().message.find("0x30"), std::string::npos);
  // The reader did not advance.
  EXPECT_TRUE(r.Expect(kDerInteger, "int").has_value());
}

TEST(DerTest, RejectsMalformedLengths) {
  const char* bad[] = {
      "",                      // nothing
      "30",                    // truncated header
      "3080",                  // indefinite length
      "300300",                // length 3, only 1 byte
      "3081",                  // long form, missing length octet
      "30817f",                // long form for a length < 128 (non-minimal)
      "3082000100",            // leading zero length octet (non-minimal)
      "3084ffffffff00",        // 4 GiB length past the end
      "3088ffffffffffffffff",  // 8 length octets: huge
      "30ff",                  // reserved length octet
      "1f0100",                // high tag number form
  };
  for (const char* h : bad) {
    const Bytes b = Hex(h);
    DerReader r(b);
    EXPECT_FALSE(r.Next().has_value()) << h;
  }
}

TEST(DerTest, TruncationAtEveryPrefixFails) {
  const Bytes full = Hex("300d06092a864886f70d01010b0500");
  for (size_t n = 0; n < full.size(); ++n) {
    DerReader r(ByteView(full).first(n));
    EXPECT_FALSE(r.Next().has_value()) << n;
  }
  DerReader ok(full);
  EXPECT_TRUE(ok.Next().has_value());
}

TEST(DerTest, DecodeOid) {
  EXPECT_EQ(*DecodeOid(Hex("2a864886f70d01010b")), "1.2.840.113549.1.1.11");
  EXPECT_EQ(*DecodeOid(Hex("2a864886f84d010d01")), "1.2.840.113741.1.13.1");
  EXPECT_EQ(*DecodeOid(Hex("551d13")), "2.5.29.19");
  EXPECT_EQ(*DecodeOid(Hex("8837")), "2.999");  // arc0 = 2 with a large arc1 (X.690 §8.19.4)
  EXPECT_FALSE(DecodeOid({}).has_value());
  EXPECT_FALSE(DecodeOid(Hex("2a86")).has_value());                    // unterminated subidentifier
  EXPECT_FALSE(DecodeOid(Hex("2a8001")).has_value());                  // non-minimal 0x80 lead
  EXPECT_FALSE(DecodeOid(Hex("2affffffffffffffffff7f")).has_value());  // > 64 bits
}

TEST(DerTest, DecodeUint) {
  EXPECT_EQ(*DecodeUint(Hex("00")), 0u);
  EXPECT_EQ(*DecodeUint(Hex("7f")), 127u);
  EXPECT_EQ(*DecodeUint(Hex("0080")), 128u);
  EXPECT_EQ(*DecodeUint(Hex("00ffffffffffffffff")), UINT64_MAX);
  EXPECT_FALSE(DecodeUint({}).has_value());
  EXPECT_FALSE(DecodeUint(Hex("80")).has_value());                  // negative
  EXPECT_FALSE(DecodeUint(Hex("0001")).has_value());                // non-minimal
  EXPECT_FALSE(DecodeUint(Hex("010000000000000000")).has_value());  // 2^64
}

// Walks the real Intel SGX PCK extension: every TLV parses, every INTEGER decodes, every OID
// starts with Intel's arc.
void Walk(ByteView data, int depth, int* oids, int* ints) {
  ASSERT_LT(depth, 8);
  DerReader r(data);
  while (!r.empty()) {
    auto e = r.Next();
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    if (e->tag == kDerSequence) {
      Walk(e->contents, depth + 1, oids, ints);
    } else if (e->tag == kDerOid) {
      auto oid = DecodeOid(e->contents);
      ASSERT_TRUE(oid.has_value());
      EXPECT_EQ(oid->rfind("1.2.840.113741.1.13.1", 0), 0u) << *oid;
      ++*oids;
    } else if (e->tag == kDerInteger || e->tag == kDerEnumerated) {
      ASSERT_TRUE(DecodeUint(e->contents).has_value());
      ++*ints;
    }
  }
}

TEST(DerTest, WalksRealPckExtension) {
  TEECLOUD_REQUIRE_VECTORS();
  const Bytes quote = testing::ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  const std::string_view text = AsStringView(quote);
  auto chain = ParsePemChain(text.substr(text.find("-----BEGIN CERTIFICATE-----")));
  ASSERT_TRUE(chain.has_value());
  const auto ext = (*chain)[0].ExtensionValue("1.2.840.113741.1.13.1");
  ASSERT_TRUE(ext.has_value());
  int oids = 0, ints = 0;
  Walk(*ext, 0, &oids, &ints);
  EXPECT_GT(oids, 10);  // PPID, TCB (with 16 components + PCESVN + CPUSVN), PCE-ID, FMSPC, ...
  EXPECT_GT(ints, 10);
}

}  // namespace
}  // namespace teecloud::crypto
