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

// --- DerWriter -------------------------------------------------------------------------

std::string WriterHex(const DerWriter& w) { return ToHex(w.bytes()); }

TEST(DerWriterTest, Integers) {
  EXPECT_EQ(WriterHex(DerWriter().Uint(0)), "020100");
  EXPECT_EQ(WriterHex(DerWriter().Uint(5)), "020105");
  EXPECT_EQ(WriterHex(DerWriter().Uint(127)), "02017f");
  EXPECT_EQ(WriterHex(DerWriter().Uint(128)), "02020080");
  EXPECT_EQ(WriterHex(DerWriter().Uint(256)), "02020100");
  EXPECT_EQ(WriterHex(DerWriter().Uint(UINT64_MAX)), "020900ffffffffffffffff");
  EXPECT_EQ(WriterHex(DerWriter().Integer({})), "020100");
  EXPECT_EQ(WriterHex(DerWriter().Integer(Hex("000000"))), "020100");
  EXPECT_EQ(WriterHex(DerWriter().Integer(Hex("0001ff"))), "020201ff");
  EXPECT_EQ(WriterHex(DerWriter().Integer(Hex("ff01"))), "020300ff01");
  EXPECT_EQ(WriterHex(DerWriter().Enumerated(1)), "0a0101");
  EXPECT_EQ(WriterHex(DerWriter().Enumerated(200)), "0a0200c8");
  // Round trip through the reader for a spread of values.
  for (uint64_t v :
       std::initializer_list<uint64_t>{0, 1, 0x7f, 0x80, 0xffff, 0x1234567890, UINT64_MAX}) {
    DerWriter w;
    w.Uint(v);
    DerReader r(w.bytes());
    auto e = r.Expect(kDerInteger, "int");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(*DecodeUint(e->contents), v);
  }
}

TEST(DerWriterTest, Primitives) {
  EXPECT_EQ(WriterHex(DerWriter().Boolean(true)), "0101ff");
  EXPECT_EQ(WriterHex(DerWriter().Boolean(false)), "010100");
  EXPECT_EQ(WriterHex(DerWriter().Null()), "0500");
  EXPECT_EQ(WriterHex(DerWriter().OctetString(Hex("0102"))), "04020102");
  EXPECT_EQ(WriterHex(DerWriter().OctetString({})), "0400");
  EXPECT_EQ(WriterHex(DerWriter().Utf8String("hi")), "0c026869");
  EXPECT_EQ(WriterHex(DerWriter().PrintableString("US")), "13025553");
  EXPECT_EQ(WriterHex(DerWriter().Ia5String("a")), "160161");
  EXPECT_EQ(WriterHex(DerWriter().BitString(Hex("ff"), 1)), "030201fe");
  EXPECT_EQ(WriterHex(DerWriter().BitString(Hex("0a0b"))), "0303000a0b");
  EXPECT_EQ(WriterHex(DerWriter().ContextImplicit(2, AsBytes("x"))), "820178");
}

TEST(DerWriterTest, Oids) {
  EXPECT_EQ(WriterHex(DerWriter().Oid("1.2.840.113549.1.1.11")), "06092a864886f70d01010b");
  EXPECT_EQ(WriterHex(DerWriter().Oid("1.2.840.113741.1.13.1")), "06092a864886f84d010d01");
  EXPECT_EQ(WriterHex(DerWriter().Oid("2.5.29.19")), "0603551d13");
  EXPECT_EQ(WriterHex(DerWriter().Oid("2.999")), "06028837");
  EXPECT_EQ(WriterHex(DerWriter().Oid("0.0")), "060100");
  for (const char* oid : {"1.2.840.113741.1.13.1.2.17", "2.23.133.5.4.1", "1.3.6.1.4.1.99999.1",
                          "1.2.18446744073709551615"}) {
    auto enc = EncodeOid(oid);
    ASSERT_TRUE(enc.has_value()) << oid;
    EXPECT_EQ(*DecodeOid(*enc), oid);
  }
  for (const char* bad : {"", "1", "3.1", "1.40", "0.40", "1..2", "1.2.", ".1.2", "1.a", "1.02",
                          "1.2.-3", "1.2.18446744073709551616", "2.18446744073709551615"}) {
    EXPECT_FALSE(EncodeOid(bad).has_value()) << bad;
  }
}

TEST(DerWriterTest, LongLengths) {
  for (size_t n : std::initializer_list<size_t>{0, 127, 128, 255, 256, 65535, 65536}) {
    const Bytes payload(n, 0x5a);
    DerWriter w;
    w.OctetString(payload);
    DerReader r(w.bytes());
    auto e = r.Expect(kDerOctetString, "octets");
    ASSERT_TRUE(e.has_value()) << n << ": " << e.error().ToString();
    EXPECT_EQ(e->contents.size(), n);
    EXPECT_TRUE(r.empty());
  }
  EXPECT_EQ(ToHex(DerWriter().OctetString(Bytes(128, 0)).bytes()).substr(0, 6), "048180");
  EXPECT_EQ(ToHex(DerWriter().OctetString(Bytes(256, 0)).bytes()).substr(0, 8), "04820100");
}

TEST(DerWriterTest, NestedStructures) {
  DerWriter inner;
  inner.Uint(5).OctetString(Bytes(130, 0xab));
  DerWriter seq;
  seq.Sequence(inner);
  // Same bytes as the hand-built reader test above.
  Bytes expect = Hex("020105");
  expect.insert(expect.end(), {0x04, 0x81, 0x82});
  expect.insert(expect.end(), 130, 0xab);
  Bytes framed = {0x30, 0x81, static_cast<uint8_t>(expect.size())};
  framed.insert(framed.end(), expect.begin(), expect.end());
  EXPECT_EQ(seq.bytes(), framed);

  DerWriter set_inner;
  set_inner.Utf8String("a");
  EXPECT_EQ(WriterHex(DerWriter().Set(set_inner)), "31030c0161");
  EXPECT_EQ(WriterHex(DerWriter().ContextExplicit(0, DerWriter().Uint(2))), "a003020102");
  EXPECT_EQ(WriterHex(DerWriter().Raw(Hex("0500")).Raw(Hex("0101ff"))), "05000101ff");
  EXPECT_EQ(WriterHex(DerWriter().Tlv(0x04, Hex("aa"))), "0401aa");

  // Wrapping itself.
  DerWriter self;
  self.Uint(1).Uint(2);
  self.Sequence(self);
  EXPECT_EQ(WriterHex(self), "3006020101020102");

  Bytes out = self.Finish();
  EXPECT_EQ(out.size(), 8u);
  EXPECT_TRUE(self.empty());
}

// Rebuilds a PCK-style SGX extension with the writer and checks the reader walks it the same
// way it walks Intel's.
TEST(DerWriterTest, BuildsPckStyleExtension) {
  DerWriter tcb;
  for (int i = 1; i <= 16; ++i) {
    DerWriter comp;
    comp.Oid("1.2.840.113741.1.13.1.2." + std::to_string(i)).Uint(static_cast<uint64_t>(i));
    tcb.Sequence(comp);
  }
  DerWriter ext;
  ext.Sequence(DerWriter().Oid("1.2.840.113741.1.13.1.1").OctetString(Bytes(16, 1)))
      .Sequence(DerWriter().Oid("1.2.840.113741.1.13.1.2").Sequence(tcb))
      .Sequence(DerWriter().Oid("1.2.840.113741.1.13.1.5").Enumerated(1));
  DerWriter top;
  top.Sequence(ext);
  int oids = 0, ints = 0;
  Walk(top.bytes(), 0, &oids, &ints);
  EXPECT_EQ(oids, 19);
  EXPECT_EQ(ints, 17);
}

}  // namespace
}  // namespace teecloud::crypto
