#include "crypto/x509.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::crypto {
namespace {

using ::teecloud::testing::ReadVector;
using ::teecloud::testing::ReadVectorText;

constexpr UnixTime kVerifyAt = 1751328000;  // 2025-07-01, mid-window for t1-dcapqvl-v4
constexpr std::string_view kSgxExtensionsOid = "1.2.840.113741.1.13.1";

// The PCK chain (leaf, Platform CA, Root CA) carried NUL-terminated inside the quote.
std::vector<Certificate> QuotePckChain() {
  const Bytes quote = ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  const std::string_view text = AsStringView(quote);
  const size_t begin = text.find("-----BEGIN CERTIFICATE-----");
  TEECLOUD_CHECK(begin != std::string_view::npos);
  auto chain = ParsePemChain(text.substr(begin));  // includes the NUL and trailing zeros
  TEECLOUD_CHECK(chain.has_value());
  return *chain;
}

Certificate IntelRoot() {
  auto root = Certificate::FromPem(
      ReadVectorText("trust-anchors/intel/Intel_SGX_Provisioning_Certification_RootCA.pem"));
  TEECLOUD_CHECK(root.has_value());
  return *root;
}

std::string CollateralField(std::string_view key) {
  auto json = ParseJson(ReadVectorText("tdx/t1-dcapqvl-v4/collateral.json"));
  TEECLOUD_CHECK(json.has_value());
  auto s = JsonString(*json, key, "collateral");
  TEECLOUD_CHECK(s.has_value());
  return *s;
}

Crl CollateralCrl(std::string_view key) {
  auto der = FromHex(CollateralField(key));
  TEECLOUD_CHECK(der.has_value());
  auto crl = Crl::FromDer(*der);
  TEECLOUD_CHECK(crl.has_value());
  return *crl;
}

Bytes FlipLastByte(Bytes der) {
  der.back() ^= 0x01;  // the last byte of a certificate is inside its signature
  return der;
}

TEST(X509Test, ParsesQuotePckChain) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_NE(chain[0].SubjectName().find("CN=Intel SGX PCK Certificate"), std::string::npos);
  EXPECT_NE(chain[0].IssuerName().find("CN=Intel SGX PCK Platform CA"), std::string::npos);
  EXPECT_NE(chain[2].SubjectName().find("CN=Intel SGX Root CA"), std::string::npos);
  EXPECT_EQ(ToHex(chain[0].SerialNumber()), "3c16ed54eacbb4ced072be72630c85788cf46e36");
  EXPECT_EQ(chain[0].NotBefore(), 1738884351);  // 2025-02-06T23:25:51Z
  EXPECT_EQ(chain[0].NotAfter(), 1959722751);   // 2032-02-06T23:25:51Z
  EXPECT_FALSE(chain[0].IsCa());
  EXPECT_TRUE(chain[1].IsCa());
  EXPECT_TRUE(chain[2].IsCa());
  EXPECT_EQ(chain[0].IssuerNameDer(), chain[1].SubjectNameDer());
  EXPECT_EQ(chain[2].der(), IntelRoot().der());

  auto key = chain[0].PublicKey();
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  EXPECT_EQ(key->curve(), Curve::kP256);
  EXPECT_EQ(key->SpkiDer(), chain[0].SpkiDer());

  // Round trip through the DER kept by the certificate.
  auto again = Certificate::FromDer(chain[0].der());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->SubjectNameDer(), chain[0].SubjectNameDer());
}

TEST(X509Test, ExtensionValueReturnsSgxExtensionsSequence) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  const std::optional<Bytes> ext = chain[0].ExtensionValue(kSgxExtensionsOid);
  ASSERT_TRUE(ext.has_value());
  ASSERT_FALSE(ext->empty());
  EXPECT_EQ((*ext)[0], 0x30);  // SEQUENCE of SGX extension entries
  EXPECT_FALSE(chain[0].ExtensionValue("1.2.3.4.5").has_value());
  EXPECT_FALSE(chain[0].ExtensionValue("not an oid").has_value());
  // basicConstraints on the root: SEQUENCE { BOOLEAN TRUE, ... }.
  const auto bc = chain[2].ExtensionValue("2.5.29.19");
  ASSERT_TRUE(bc.has_value());
  EXPECT_EQ((*bc)[0], 0x30);
}

TEST(X509Test, ParsePemChainRejectsGarbage) {
  EXPECT_FALSE(ParsePemChain("").has_value());
  EXPECT_FALSE(ParsePemChain("no certificates here").has_value());
  EXPECT_FALSE(ParsePemChain("-----BEGIN CERTIFICATE-----\nAAAA\n").has_value());
  EXPECT_FALSE(
      ParsePemChain("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").has_value());
  EXPECT_FALSE(Certificate::FromDer({}).has_value());
  EXPECT_FALSE(Certificate::FromDer(AsBytes("\x30\x82\xff\xff")).has_value());
}

TEST(X509Test, ParsePemChainStopsAtNul) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string root_pem =
      ReadVectorText("trust-anchors/intel/Intel_SGX_Provisioning_Certification_RootCA.pem");
  std::string text = root_pem + std::string(1, '\0') + root_pem;
  auto chain = ParsePemChain(text);
  ASSERT_TRUE(chain.has_value());
  EXPECT_EQ(chain->size(), 1u);
}

TEST(X509Test, TrailingBytesRejected) {
  TEECLOUD_REQUIRE_VECTORS();
  Bytes der = IntelRoot().der();
  der.push_back(0);
  EXPECT_FALSE(Certificate::FromDer(der).has_value());
}

TEST(X509Test, AmdVcekWithSerialZeroParsesAndVerifiesRsaPss) {
  TEECLOUD_REQUIRE_VECTORS();
  auto vcek = Certificate::FromDer(ReadVector("snp/a2-milan-virtee/vcek.der"));
  ASSERT_TRUE(vcek.has_value()) << vcek.error().ToString();
  EXPECT_TRUE(vcek->SerialNumber().empty());
  EXPECT_NE(vcek->SubjectName().find("CN=SEV-VCEK"), std::string::npos);
  auto ask = Certificate::FromPem(ReadVectorText("snp/a2-milan-virtee/ask.pem"));
  auto ark = Certificate::FromPem(ReadVectorText("snp/a2-milan-virtee/ark.pem"));
  ASSERT_TRUE(ask.has_value());
  ASSERT_TRUE(ark.has_value());

  auto vcek_key = vcek->PublicKey();  // P-384
  ASSERT_TRUE(vcek_key.has_value()) << vcek_key.error().ToString();
  EXPECT_EQ(vcek_key->curve(), Curve::kP384);
  EXPECT_FALSE(ask->PublicKey().has_value());  // RSA: not an EC key

  EXPECT_TRUE(vcek->VerifySignedBy(*ask).has_value());
  EXPECT_TRUE(ask->VerifySignedBy(*ark).has_value());
  EXPECT_TRUE(ark->VerifySignedBy(*ark).has_value());
  auto wrong = vcek->VerifySignedBy(*ark);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, Code::kUnauthenticated);

  ChainOptions at;
  at.at = 1751328000;
  EXPECT_TRUE(VerifyChain({*vcek, *ask}, {*ark}, at).has_value());
  EXPECT_TRUE(VerifyChain({*vcek, *ask, *ark}, {*ark}, {}).has_value());

  auto bad_vcek = Certificate::FromDer(FlipLastByte(vcek->der()));
  ASSERT_TRUE(bad_vcek.has_value());
  EXPECT_FALSE(bad_vcek->VerifySignedBy(*ask).has_value());
}

TEST(ChainTest, PckChainVerifiesToIntelRoot) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  const std::vector<Certificate> roots = {IntelRoot()};
  auto no_time = VerifyChain(chain, roots, {});
  EXPECT_TRUE(no_time.has_value()) << no_time.error().ToString();
  ChainOptions at;
  at.at = kVerifyAt;
  auto timed = VerifyChain(chain, roots, at);
  EXPECT_TRUE(timed.has_value()) << timed.error().ToString();
  // Without the root in the chain: the Platform CA is signed by the trusted root.
  EXPECT_TRUE(VerifyChain({chain[0], chain[1]}, roots, at).has_value());
}

TEST(ChainTest, FlippedSignatureFails) {
  TEECLOUD_REQUIRE_VECTORS();
  auto chain = QuotePckChain();
  const std::vector<Certificate> roots = {IntelRoot()};
  for (size_t i = 0; i < 2; ++i) {
    auto tampered = chain;
    auto cert = Certificate::FromDer(FlipLastByte(chain[i].der()));
    ASSERT_TRUE(cert.has_value());
    tampered[i] = *cert;
    auto s = VerifyChain(tampered, roots, {});
    ASSERT_FALSE(s.has_value()) << "link " << i;
    EXPECT_EQ(s.error().code, Code::kUnauthenticated);
    EXPECT_NE(s.error().message.find("chain link " + std::to_string(i)), std::string::npos)
        << s.error().message;
  }
}

TEST(ChainTest, TamperedTbsFails) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  const Bytes& der = chain[0].der();
  // Flip bytes inside the leaf's public key (just before the signature algorithm near the end
  // of the TBS) until one still parses; its signature must then fail.
  int checked = 0;
  for (size_t pos = 200; pos < der.size() - 120 && checked < 5; pos += 37) {
    Bytes bad = der;
    bad[pos] ^= 0x01;
    auto cert = Certificate::FromDer(bad);
    if (!cert) continue;
    ++checked;
    auto s = cert->VerifySignedBy(chain[1]);
    ASSERT_FALSE(s.has_value()) << pos;
    EXPECT_EQ(s.error().code, Code::kUnauthenticated);
  }
  EXPECT_GT(checked, 0);
  // Parsing the same DER twice (cache hit) gives an equivalent certificate.
  auto again = Certificate::FromDer(der);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->der(), der);
  EXPECT_TRUE(again->VerifySignedBy(chain[1]).has_value());
}

TEST(ChainTest, TimeCheckedOnlyWhenSet) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  const std::vector<Certificate> roots = {IntelRoot()};
  ChainOptions late;
  late.at = chain[0].NotAfter() + 1;
  auto s = VerifyChain(chain, roots, late);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("expired"), std::string::npos);
  ChainOptions early;
  early.at = chain[0].NotBefore() - 1;
  EXPECT_FALSE(VerifyChain(chain, roots, early).has_value());
  ChainOptions edge;
  edge.at = chain[0].NotAfter();  // notAfter is inclusive (RFC 5280 §4.1.2.5)
  EXPECT_TRUE(VerifyChain(chain, roots, edge).has_value());
}

TEST(ChainTest, StructuralFailures) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto chain = QuotePckChain();
  const std::vector<Certificate> roots = {IntelRoot()};
  EXPECT_EQ(VerifyChain({}, roots, {}).error().code, Code::kInvalidArgument);
  // Untrusted root.
  EXPECT_FALSE(VerifyChain(chain, {}, {}).has_value());
  auto amd_ark = Certificate::FromPem(ReadVectorText("snp/a2-milan-virtee/ark.pem"));
  ASSERT_TRUE(amd_ark.has_value());
  EXPECT_FALSE(VerifyChain(chain, {*amd_ark}, {}).has_value());
  // Wrong order: issuer name mismatch.
  auto s = VerifyChain({chain[1], chain[0]}, roots, {});
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("issuer"), std::string::npos);
  // Skipping the intermediate: the leaf is not signed by the root.
  EXPECT_FALSE(VerifyChain({chain[0], chain[2]}, roots, {}).has_value());
  // The leaf is not a CA, so nothing may chain through it.
  auto self = VerifyChain({chain[0], chain[0]}, roots, {});
  EXPECT_FALSE(self.has_value());
}

TEST(CrlTest, CollateralCrlsVerify) {
  TEECLOUD_REQUIRE_VECTORS();
  auto pck_issuer_chain = ParsePemChain(CollateralField("pck_crl_issuer_chain"));
  auto tcb_chain = ParsePemChain(CollateralField("tcb_info_issuer_chain"));
  ASSERT_TRUE(pck_issuer_chain.has_value());
  ASSERT_TRUE(tcb_chain.has_value());
  ASSERT_EQ(pck_issuer_chain->size(), 2u);
  const Certificate root = IntelRoot();
  const Certificate& platform_ca = (*pck_issuer_chain)[0];
  const Certificate& tcb_signing = (*tcb_chain)[0];
  EXPECT_TRUE(VerifyChain(*pck_issuer_chain, {root}, {}).has_value());
  EXPECT_TRUE(VerifyChain(*tcb_chain, {root}, {}).has_value());

  const Crl root_crl = CollateralCrl("root_ca_crl");
  EXPECT_EQ(root_crl.IssuerNameDer(), root.SubjectNameDer());
  EXPECT_TRUE(root_crl.VerifySignedBy(root).has_value());
  EXPECT_FALSE(root_crl.VerifySignedBy(platform_ca).has_value());

  const Crl pck_crl = CollateralCrl("pck_crl");
  EXPECT_NE(pck_crl.IssuerName().find("CN=Intel SGX PCK Platform CA"), std::string::npos);
  EXPECT_TRUE(pck_crl.VerifySignedBy(platform_ca).has_value());
  auto wrong = pck_crl.VerifySignedBy(tcb_signing);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, Code::kUnauthenticated);
  EXPECT_LE(pck_crl.ThisUpdate(), kVerifyAt + 86400 * 30);
  ASSERT_TRUE(pck_crl.NextUpdate().has_value());
  EXPECT_GT(*pck_crl.NextUpdate(), pck_crl.ThisUpdate());

  const auto chain = QuotePckChain();
  EXPECT_FALSE(pck_crl.IsRevoked(chain[0].SerialNumber()));
  EXPECT_FALSE(root_crl.IsRevoked(chain[1].SerialNumber()));
}

TEST(CrlTest, IsRevokedFindsListedSerials) {
  TEECLOUD_REQUIRE_VECTORS();
  const Crl pck_crl = CollateralCrl("pck_crl");
  // First and last-listed-here entries of the t1 PCK CRL (openssl crl -text).
  EXPECT_TRUE(pck_crl.IsRevoked(*FromHex("6fc34e5023e728923435d61aa4b83c618166ad35")));
  EXPECT_TRUE(pck_crl.IsRevoked(*FromHex("b1257978cfa9ccdd0759abf8c5ca72fae3a78a9b")));
  // Serials compare as magnitudes: a leading zero byte does not matter.
  EXPECT_TRUE(pck_crl.IsRevoked(*FromHex("00efae6e9715fca13b87e333e8261ed6d990a926ad")));
  EXPECT_FALSE(pck_crl.IsRevoked(*FromHex("6fc34e5023e728923435d61aa4b83c618166ad36")));
  EXPECT_FALSE(pck_crl.IsRevoked(Bytes{}));
  EXPECT_FALSE(CollateralCrl("root_ca_crl").IsRevoked(Bytes{0x01}));
}

TEST(CrlTest, RejectsMalformed) {
  EXPECT_FALSE(Crl::FromDer({}).has_value());
  EXPECT_FALSE(Crl::FromDer(AsBytes("\x30\x00")).has_value());
  EXPECT_FALSE(Crl::FromPem("nothing").has_value());
}

}  // namespace
}  // namespace teecloud::crypto
