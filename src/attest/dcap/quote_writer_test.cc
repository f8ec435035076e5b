#include "attest/dcap/quote_writer.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "testing/testing.h"

namespace teecloud::attest::dcap {
namespace {

template <size_t N>
std::array<uint8_t, N> Filled(uint8_t seed) {
  std::array<uint8_t, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = static_cast<uint8_t>(seed + i);
  return a;
}

// Every field distinct, so a field written at the wrong offset cannot read back equal.
TdxReportBody DistinctBody() {
  TdxReportBody b;
  b.tee_tcb_svn = Filled<16>(1);
  b.mr_seam = Filled<48>(20);
  b.mr_signer_seam = Filled<48>(70);
  b.seam_attributes = Filled<8>(120);
  b.td_attributes = Filled<8>(130);
  b.xfam = Filled<8>(140);
  b.mr_td = Filled<48>(150);
  b.mr_config_id = Filled<48>(200);
  b.mr_owner = Filled<48>(2);
  b.mr_owner_config = Filled<48>(55);
  for (size_t i = 0; i < 4; ++i) b.rtmr[i] = Filled<48>(static_cast<uint8_t>(100 + 10 * i));
  b.report_data = Filled<64>(7);
  return b;
}

SgxReportBody DistinctQeReport() {
  SgxReportBody r;
  r.cpu_svn = Filled<16>(3);
  r.misc_select = 0x01020304;
  r.isv_ext_prod_id = Filled<16>(33);
  r.attributes = Filled<16>(66);
  r.mr_enclave = Filled<32>(99);
  r.mr_signer = Filled<32>(133);
  r.config_id = Filled<64>(166);
  r.isv_prod_id = 0x1122;
  r.isv_svn = 0x3344;
  r.config_svn = 0x5566;
  r.isv_family_id = Filled<16>(200);
  return r;
}

struct Keys {
  crypto::EcPrivateKey attestation = *crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  crypto::EcPrivateKey pck = *crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
};

TEST(QuoteWriterTest, RoundTripsThroughParseQuote) {
  Keys k;
  const Bytes auth = {1, 2, 3, 4, 5};
  auto qe = MakeQeCertification(DistinctQeReport(), k.attestation.PublicKey(), auth, k.pck,
                                "-----BEGIN CERTIFICATE-----\nnot parsed here\n");
  ASSERT_TRUE(qe.has_value()) << qe.error().ToString();
  const TdxReportBody body = DistinctBody();
  auto quote = BuildTdxV4Quote(body, *qe, k.attestation);
  ASSERT_TRUE(quote.has_value()) << quote.error().ToString();

  auto q = ParseQuote(*quote);
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->header.attestation_key_type, 2);
  EXPECT_EQ(q->header.tee_type, kTeeTypeTdx);
  EXPECT_EQ(q->header.qe_vendor_id, kIntelQeVendorId);
  EXPECT_EQ(q->body_type, kBodyTypeTdx10);
  ASSERT_TRUE(q->tdx_body.has_value());
  const auto& b = *q->tdx_body;
  EXPECT_EQ(b.tee_tcb_svn, body.tee_tcb_svn);
  EXPECT_EQ(b.mr_seam, body.mr_seam);
  EXPECT_EQ(b.mr_signer_seam, body.mr_signer_seam);
  EXPECT_EQ(b.seam_attributes, body.seam_attributes);
  EXPECT_EQ(b.td_attributes, body.td_attributes);
  EXPECT_EQ(b.xfam, body.xfam);
  EXPECT_EQ(b.mr_td, body.mr_td);
  EXPECT_EQ(b.mr_config_id, body.mr_config_id);
  EXPECT_EQ(b.mr_owner, body.mr_owner);
  EXPECT_EQ(b.mr_owner_config, body.mr_owner_config);
  EXPECT_EQ(b.rtmr, body.rtmr);
  EXPECT_EQ(b.report_data, body.report_data);
  EXPECT_EQ(q->trailing_bytes, 0u);

  // The QE report: every field back, REPORTDATA = SHA-256(attestation key || auth) || zeros.
  const auto& r = q->qe_report;
  const auto want = DistinctQeReport();
  EXPECT_EQ(r.cpu_svn, want.cpu_svn);
  EXPECT_EQ(r.misc_select, want.misc_select);
  EXPECT_EQ(r.isv_ext_prod_id, want.isv_ext_prod_id);
  EXPECT_EQ(r.attributes, want.attributes);
  EXPECT_EQ(r.mr_enclave, want.mr_enclave);
  EXPECT_EQ(r.mr_signer, want.mr_signer);
  EXPECT_EQ(r.config_id, want.config_id);
  EXPECT_EQ(r.isv_prod_id, want.isv_prod_id);
  EXPECT_EQ(r.isv_svn, want.isv_svn);
  EXPECT_EQ(r.config_svn, want.config_svn);
  EXPECT_EQ(r.isv_family_id, want.isv_family_id);
  const auto binding = crypto::Sha256(Concat({k.attestation.PublicKey().RawPoint(), auth}));
  EXPECT_TRUE(BytesEqual(ByteView(r.report_data).first(32), binding));
  EXPECT_TRUE(IsAllZero(ByteView(r.report_data).subspan(32)));
  EXPECT_EQ(q->qe_auth_data, auth);
  EXPECT_EQ(q->cert_data_type, kCertDataTypePckChain);
  EXPECT_EQ(AsStringView(q->cert_data), "-----BEGIN CERTIFICATE-----\nnot parsed here\n");

  // Signatures: the quote by the attestation key over header + body, the QE report by the PCK.
  EXPECT_EQ(q->signed_region.size(), 632u);
  EXPECT_TRUE(ToBytes(q->attestation_key) == k.attestation.PublicKey().RawPoint());
  EXPECT_TRUE(k.attestation.PublicKey()
                  .VerifyRaw(q->signed_region, q->signature, crypto::HashAlg::kSha256)
                  .has_value());
  EXPECT_TRUE(k.pck.PublicKey()
                  .VerifyRaw(q->qe_report_raw, q->qe_report_signature, crypto::HashAlg::kSha256)
                  .has_value());
  // Offsets of ../shared/vectors/README.md "Negative cases": signature at 636, QE report at 770.
  EXPECT_TRUE(BytesEqual(ByteView(*quote).subspan(636, 64), q->signature));
  EXPECT_TRUE(BytesEqual(ByteView(*quote).subspan(770, 384), q->qe_report_raw));
}

TEST(QuoteWriterTest, RejectsBadInputs) {
  Keys k;
  auto p384 = *crypto::EcPrivateKey::Generate(crypto::Curve::kP384);
  EXPECT_FALSE(MakeQeCertification({}, p384.PublicKey(), {}, k.pck, "").has_value());
  EXPECT_FALSE(MakeQeCertification({}, k.attestation.PublicKey(), {}, p384, "").has_value());
  EXPECT_FALSE(
      MakeQeCertification({}, k.attestation.PublicKey(), Bytes(70000, 0), k.pck, "").has_value());
  auto qe = *MakeQeCertification({}, k.attestation.PublicKey(), {}, k.pck, "x");
  TdxReportBody tdx15 = DistinctBody();
  tdx15.tee_tcb_svn2 = std::array<uint8_t, 16>{};
  tdx15.mr_service_td = std::array<uint8_t, 48>{};
  EXPECT_FALSE(BuildTdxV4Quote(tdx15, qe, k.attestation).has_value());
  EXPECT_EQ(SerializeTdxReportBody(tdx15).size(), kTdx15ReportBodySize);
  EXPECT_FALSE(BuildTdxV4Quote(DistinctBody(), qe, p384).has_value());
  QeCertification short_report = qe;
  short_report.qe_report.pop_back();
  EXPECT_FALSE(BuildTdxV4Quote(DistinctBody(), short_report, k.attestation).has_value());
}

// The serializers are byte-exact inverses of the parser on a real Intel quote.
TEST(QuoteWriterTest, ReserializesARealQuote) {
  TEECLOUD_REQUIRE_VECTORS();
  const Bytes raw = testing::ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  auto q = ParseQuote(raw);
  ASSERT_TRUE(q.has_value());
  const Bytes region =
      Concat({SerializeQuoteHeader(q->header), SerializeTdxReportBody(*q->tdx_body)});
  EXPECT_EQ(region, q->signed_region);
  EXPECT_EQ(SerializeSgxReportBody(q->qe_report), q->qe_report_raw);
  // Intel's header differs from ours only where the QE is free to put data (user data).
  const auto ours = TdxV4QuoteHeader();
  EXPECT_EQ(ours.version, q->header.version);
  EXPECT_EQ(ours.tee_type, q->header.tee_type);
  EXPECT_EQ(ours.qe_vendor_id, q->header.qe_vendor_id);
}

}  // namespace
}  // namespace teecloud::attest::dcap
