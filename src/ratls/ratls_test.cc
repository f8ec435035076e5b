// RA-TLS extension encoding and parsing (no quotes verified here; see ratls_handshake_test.cc).
#include "ratls/ratls.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/der.h"
#include "crypto/x509_builder.h"

namespace teecloud::ratls {
namespace {

constexpr UnixTime kStart = 1735689600;  // 2025-01-01
constexpr UnixTime kEnd = 2051222400;    // 2035-01-01

crypto::EcPrivateKey Key() {
  auto k = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  TEECLOUD_CHECK(k.has_value());
  return *k;
}

crypto::CertificateSpec Spec() {
  crypto::CertificateSpec s;
  s.subject = {{"CN", "RA-TLS test"}};
  s.not_before = kStart;
  s.not_after = kEnd;
  s.digital_signature = true;
  return s;
}

// A self-signed certificate with exactly these extensions.
crypto::Certificate CertWith(std::vector<crypto::CertificateExtension> exts) {
  static const crypto::EcPrivateKey key = Key();
  crypto::CertificateSpec spec = Spec();
  spec.extensions = std::move(exts);
  auto cert = crypto::IssueCertificate(spec, key.PublicKey(), nullptr, key);
  TEECLOUD_CHECK(cert.has_value());
  return *cert;
}

Bytes OctetString(ByteView b) {
  crypto::DerWriter w;
  w.OctetString(b);
  return w.Finish();
}

const Bytes kQuote(5000, 0x5a);

TEST(RaTlsExtensionsTest, ReportDataKnownAnswer) {
  EXPECT_EQ(ToHex(ReportDataForKey(AsBytes("abc"))),
            "2104d977fd953d211a78cf19b1dd93985fdab7945221d9bc9844d2d07f37b0e4"
            "99b419e8c9ad8c170a1a04512c14223202db82acac5257d70a900e4b18d13b10");
}

TEST(RaTlsExtensionsTest, RoundTrip) {
  RaTlsEvidence ev;
  ev.quote = kQuote;
  ev.event_log_json =
      R"([{"imr":3,"event_type":134217729,"digest":"00","event":"x","event_payload":""}])";
  ev.app_id = Bytes(20, 0xaa);
  ev.usage = "ra-tls";
  const auto exts = RaTlsExtensions(ev);
  ASSERT_EQ(exts.size(), 4u);
  for (const auto& e : exts) EXPECT_FALSE(e.critical);
  const crypto::Certificate cert = CertWith(exts);

  // dstack's encoding: extnValue holds one DER OCTET STRING with the raw bytes.
  const auto raw = cert.ExtensionValue(kOidQuote);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(ToHex(ByteView(*raw).first(4)), "04821388");  // OCTET STRING, length 5000
  EXPECT_EQ(cert.ExtensionValue(kOidCertUsage), (Bytes{0x04, 0x06, 'r', 'a', '-', 't', 'l', 's'}));

  auto parsed = ParseRaTlsExtensions(cert);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->quote, ev.quote);
  EXPECT_EQ(parsed->event_log_json, ev.event_log_json);
  EXPECT_EQ(parsed->app_id, ev.app_id);
  EXPECT_EQ(parsed->usage, ev.usage);
}

TEST(RaTlsExtensionsTest, QuoteOnly) {
  RaTlsEvidence ev;
  ev.quote = kQuote;
  const auto exts = RaTlsExtensions(ev);
  ASSERT_EQ(exts.size(), 1u);
  EXPECT_EQ(exts[0].oid, kOidQuote);
  auto parsed = ParseRaTlsExtensions(CertWith(exts));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(parsed->quote, kQuote);
  EXPECT_EQ(parsed->event_log_json, "");
  EXPECT_TRUE(parsed->app_id.empty());
  EXPECT_EQ(parsed->usage, "");
}

TEST(RaTlsExtensionsTest, MissingQuoteIsNotFound) {
  auto r = ParseRaTlsExtensions(CertWith({}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kNotFound);
  // Other RA-TLS extensions without the quote are still not an RA-TLS certificate.
  r = ParseRaTlsExtensions(CertWith({{kOidEventLog, false, OctetString(AsBytes("[]"))},
                                     {kOidAppId, false, OctetString(Bytes(20, 1))}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kNotFound);
}

TEST(RaTlsExtensionsTest, WrongTypesAreRejected) {
  crypto::DerWriter utf8;
  utf8.Utf8String("quote");
  crypto::DerWriter integer;
  integer.Uint(5);
  crypto::DerWriter seq;
  crypto::DerWriter inner;
  inner.OctetString(kQuote);
  seq.Sequence(inner);
  Bytes trailing = OctetString(kQuote);
  trailing.push_back(0x00);
  const Bytes constructed = {0x24, 0x80, 0x04, 0x01, 0x41, 0x00, 0x00};  // BER constructed form
  const Bytes truncated = {0x04, 0x10, 0x41};
  const Bytes long_length = {0x04, 0x81, 0x01, 0x41};  // non-minimal DER length
  for (const Bytes& value : {utf8.bytes(), integer.bytes(), seq.bytes(), trailing, constructed,
                             truncated, long_length, kQuote, Bytes{}}) {
    auto r = ParseRaTlsExtensions(CertWith({{kOidQuote, false, value}}));
    ASSERT_FALSE(r.has_value()) << ToHex(ByteView(value).first(std::min<size_t>(8, value.size())));
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().ToString();
  }
  // The same for every other RA-TLS extension.
  for (const char* oid : {kOidEventLog, kOidAppId, kOidCertUsage}) {
    auto r = ParseRaTlsExtensions(
        CertWith({{kOidQuote, false, OctetString(kQuote)}, {oid, false, utf8.bytes()}}));
    ASSERT_FALSE(r.has_value()) << oid;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().ToString();
  }
}

TEST(RaTlsExtensionsTest, EmptyQuoteIsRejected) {
  auto r = ParseRaTlsExtensions(CertWith({{kOidQuote, false, OctetString({})}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

TEST(RaTlsExtensionsTest, SizeLimits) {
  const Bytes q = OctetString(kQuote);
  struct Case {
    const char* oid;
    size_t limit;
  };
  for (const Case c : {Case{kOidQuote, kMaxQuoteSize}, Case{kOidEventLog, kMaxEventLogSize},
                       Case{kOidAppId, kMaxAppIdSize}, Case{kOidCertUsage, kMaxUsageSize}}) {
    for (const size_t n : {c.limit, c.limit + 1}) {
      std::vector<crypto::CertificateExtension> exts;
      const Bytes value = OctetString(Bytes(n, 'a'));
      if (std::string_view(c.oid) != kOidQuote) exts.push_back({kOidQuote, false, q});
      exts.push_back({c.oid, false, value});
      auto r = ParseRaTlsExtensions(CertWith(exts));
      EXPECT_EQ(r.has_value(), n == c.limit) << c.oid << " " << n;
      if (!r) {
        EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().ToString();
      }
    }
  }
}

TEST(RaTlsExtensionsTest, TextValuesMustBeUtf8) {
  const Bytes q = OctetString(kQuote);
  for (const char* oid : {kOidEventLog, kOidCertUsage}) {
    for (const Bytes& bad : {Bytes{0xff}, Bytes{'a', 0xc3}, Bytes{0xc0, 0x80},
                             Bytes{0xed, 0xa0, 0x80}, Bytes{0xf4, 0x90, 0x80, 0x80}}) {
      auto r =
          ParseRaTlsExtensions(CertWith({{kOidQuote, false, q}, {oid, false, OctetString(bad)}}));
      ASSERT_FALSE(r.has_value()) << oid << " " << ToHex(bad);
      EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    }
  }
  // Multi-byte UTF-8 is fine; the app id is binary.
  auto r = ParseRaTlsExtensions(
      CertWith({{kOidQuote, false, q},
                {kOidCertUsage, false, OctetString(AsBytes("\xc3\xa4\xe2\x82\xac"))},
                {kOidAppId, false, OctetString(Bytes{0xff, 0x00})}}));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->app_id, (Bytes{0xff, 0x00}));
}

TEST(RaTlsExtensionsTest, CompressedEventLogIsUnimplemented) {
  auto r = ParseRaTlsExtensions(
      CertWith({{kOidQuote, false, OctetString(kQuote)},
                {kOidEventLog, false, OctetString(AsBytes("ELGZv1\x1f\x8b"))}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnimplemented);
}

TEST(RaTlsExtensionsTest, DuplicateExtensionIsRejected) {
  // IssueCertificate refuses duplicates, so patch the app-id OID (…62397.1.3) of a valid
  // certificate into the quote OID (…62397.1.1). The signature breaks; parsing does not care.
  const crypto::Certificate cert = CertWith(
      {{kOidQuote, false, OctetString(kQuote)}, {kOidAppId, false, OctetString(Bytes(20, 7))}});
  auto app_oid = crypto::EncodeOid(kOidAppId);
  ASSERT_TRUE(app_oid.has_value());
  Bytes der = cert.der();
  auto it = std::search(der.begin(), der.end(), app_oid->begin(), app_oid->end());
  ASSERT_NE(it, der.end());
  *(it + static_cast<long>(app_oid->size()) - 1) = 0x01;
  auto patched = crypto::Certificate::FromDer(der);
  ASSERT_TRUE(patched.has_value());
  auto r = ParseRaTlsExtensions(*patched);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("more than once"), std::string::npos);
}

TEST(RaTlsExtensionsTest, IssueRefusesUnparseableQuote) {
  const crypto::EcPrivateKey key = Key();
  RaTlsEvidence ev;
  ev.quote = kQuote;  // not a quote
  auto r = IssueRaTlsCertificate(Spec(), key.PublicKey(), ev, nullptr, key);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace teecloud::ratls
