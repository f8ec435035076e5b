// Golden vectors: every development vector in ../shared/vectors verifies to its expected.json,
// and the negative cases of ../shared/vectors/README.md ("Negative cases to generate") fail.
#include <gtest/gtest.h>

#include "attest/dcap/policy.h"
#include "attest/dcap/verify.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "testing/testing.h"

namespace teecloud::attest::dcap {
namespace {

struct Vector {
  std::string dir;
  Bytes quote;
  std::optional<Collateral> collateral;
  std::string collateral_text;
  Json expected;
};

Vector Load(const std::string& dir) {
  Vector v;
  v.dir = dir;
  v.quote = testing::ReadVector(dir + "/quote.bin");
  auto e = ParseJson(testing::ReadVectorText(dir + "/expected.json"));
  EXPECT_TRUE(e) << dir;
  v.expected = *e;
  if (v.expected.contains("verify_at") && !v.expected["verify_at"].is_null()) {
    v.collateral_text = testing::ReadVectorText(dir + "/collateral.json");
    auto c = ParseCollateral(v.collateral_text);
    EXPECT_TRUE(c) << dir << ": " << c.error().message;
    v.collateral = *c;
  }
  return v;
}

UnixTime VerifyAt(const Vector& v) { return v.expected["verify_at"].get<int64_t>(); }

VerifyResult VerifyVector(const Vector& v, bool cache = false) {
  QuoteVerifier verifier(IntelTrust(), cache);
  return verifier.Verify(v.quote, *v.collateral, VerifyAt(v));
}

void ExpectMeasurements(const VerifyResult& r, const Json& expected, const std::string& dir) {
  ASSERT_TRUE(expected.is_object()) << dir;
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    ASSERT_TRUE(r.measurements.contains(it.key())) << dir << ": missing " << it.key();
    EXPECT_EQ(r.measurements[it.key()], it.value()) << dir << ": " << it.key();
  }
}

class FullVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(FullVectors, MatchExpected) {
  TEECLOUD_REQUIRE_VECTORS();
  Vector v = Load(GetParam());
  for (bool cache : {false, true}) {
    VerifyResult r = VerifyVector(v, cache);
    EXPECT_EQ(r.valid, v.expected["valid"].get<bool>()) << v.dir << ": " << r.error;
    ASSERT_TRUE(r.tcb_status.has_value()) << v.dir << ": " << r.error;
    EXPECT_EQ(TcbStatusName(*r.tcb_status), v.expected["tcb_status"].get<std::string>()) << v.dir;
    EXPECT_EQ(Json(r.advisory_ids), v.expected["advisory_ids"]) << v.dir;
    EXPECT_EQ(r.collateral_expired, v.expected["collateral_expired"].get<bool>()) << v.dir;
    EXPECT_EQ(r.quote_version, v.expected["quote_version"].get<int>()) << v.dir;
    EXPECT_EQ(r.fmspc, v.expected["fmspc"].get<std::string>()) << v.dir;
    EXPECT_FALSE(r.simulated);
    ExpectMeasurements(r, v.expected["measurements"], v.dir);
    const Json& details = v.expected["details"];
    EXPECT_EQ(r.qe_tcb_status, details["qe_identity_status"].get<std::string>()) << v.dir;
    if (!details["tdx_module_status"].is_null()) {
      EXPECT_EQ(r.module_tcb_status, details["tdx_module_status"].get<std::string>()) << v.dir;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dcap, FullVectors,
                         ::testing::Values("tdx/t1-dcapqvl-v4", "tdx/t3-near-v4",
                                           "tdx/t5-spr-v4-nolevel", "sgx/s1-dcapqvl-v3"));

class ParseOnlyVectors : public ::testing::TestWithParam<const char*> {};

// No collateral: the quote structure, PCK chain to the Intel root, QE report signature and
// binding, and the quote signature all pass; no TCB status.
TEST_P(ParseOnlyVectors, SignatureChecksPass) {
  TEECLOUD_REQUIRE_VECTORS();
  Vector v = Load(GetParam());
  QuoteVerifier verifier(IntelTrust());
  VerifyResult r = verifier.VerifyWithoutCollateral(v.quote, std::nullopt);
  EXPECT_TRUE(r.valid) << v.dir << ": " << r.error;
  EXPECT_FALSE(r.tcb_status.has_value());
  EXPECT_EQ(r.fmspc, v.expected["fmspc"].get<std::string>());
  EXPECT_EQ(r.quote_version, v.expected["quote_version"].get<int>());
  ExpectMeasurements(r, v.expected["measurements"], v.dir);
  for (const char* check : {"pck_chain", "qe_report_signature", "qe_report_data_binding",
                            "quote_signature"}) {
    EXPECT_NE(std::find(r.checks_passed.begin(), r.checks_passed.end(), check),
              r.checks_passed.end())
        << check;
  }
}

INSTANTIATE_TEST_SUITE_P(Dcap, ParseOnlyVectors,
                         ::testing::Values("tdx/t7-gcp-ccel", "tdx/t8-dstack-ratls",
                                           "tdx/t8-dstack-tdxquote-hex", "tdx/t8-dstack-tappd",
                                           "tdx/t8-dstack-guest-agent"));

// Additional vectors (no documented outcome): v5 quotes and a GCP quote must at least pass the
// collateral-free signature checks and never crash with their collateral.
TEST(DcapVectors, AdditionalQuotesVerifySignatures) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const char* dir : {"tdx/t2-dcapqvl-v5", "tdx/t4-gcp-v4", "tdx/t6-gotdx-v5"}) {
    Bytes quote = testing::ReadVector(std::string(dir) + "/quote.bin");
    QuoteVerifier verifier(IntelTrust());
    VerifyResult r = verifier.VerifyWithoutCollateral(quote, std::nullopt);
    EXPECT_TRUE(r.valid) << dir << ": " << r.error;
    auto col = ParseCollateral(testing::ReadVectorText(std::string(dir) + "/collateral.json"));
    ASSERT_TRUE(col) << dir << ": " << col.error().message;
    VerifyResult full = verifier.Verify(quote, *col, 1751328000);
    if (!full.valid) {
      EXPECT_FALSE(full.error.empty()) << dir;
    }
  }
}

TEST(DcapVectors, PinnedIntelRootFingerprint) {
  auto fp = crypto::Sha256(IntelSgxRootCa().der());
  EXPECT_EQ(ToHex(crypto::View(fp)),
            "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
}

// ---- Negative cases (README "Negative cases to generate"). ----

class Negative : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::SharedDir().empty()) GTEST_SKIP() << "../shared/vectors not found";
    v4_ = Load("tdx/t1-dcapqvl-v4");
    v3_ = Load("sgx/s1-dcapqvl-v3");
  }
  VerifyResult VerifyFlipped(const Vector& v, size_t offset, uint8_t mask = 0x01) {
    Bytes q = v.quote;
    q.at(offset) ^= mask;
    QuoteVerifier verifier(IntelTrust());
    return verifier.Verify(q, *v.collateral, VerifyAt(v));
  }
  Vector v4_, v3_;
};

// 1. Quote signature: any byte of the signed region or of the signature.
TEST_F(Negative, QuoteSignature) {
  for (size_t off : {600u /* REPORTDATA */, 200u /* MRTD */, 48u /* TEE_TCB_SVN[0] */,
                     636u /* signature */, 699u}) {
    VerifyResult r = VerifyFlipped(v4_, off);
    EXPECT_FALSE(r.valid) << off;
    EXPECT_NE(r.error.find("quote signature"), std::string::npos) << off << ": " << r.error;
  }
  for (size_t off : {100u, 400u, 436u}) {
    VerifyResult r = VerifyFlipped(v3_, off);
    EXPECT_FALSE(r.valid) << off;
    EXPECT_NE(r.error.find("quote signature"), std::string::npos) << off << ": " << r.error;
  }
  // Header bytes may trip earlier checks (QE vendor id); still a failure.
  EXPECT_FALSE(VerifyFlipped(v4_, 20).valid);
}

// 2. Attestation key: invalid point, or the QE report data binding fails.
TEST_F(Negative, AttestationKey) {
  VerifyResult r = VerifyFlipped(v4_, 710);
  EXPECT_FALSE(r.valid);
  EXPECT_FALSE(VerifyFlipped(v3_, 520).valid);
}

// 3. QE report or its signature.
TEST_F(Negative, QeReport) {
  for (size_t off : {800u, 1154u, 1200u}) {
    VerifyResult r = VerifyFlipped(v4_, off);
    EXPECT_FALSE(r.valid);
    EXPECT_NE(r.error.find("QE report signature"), std::string::npos) << off << ": " << r.error;
  }
  EXPECT_FALSE(VerifyFlipped(v3_, 600).valid);
}

// 4. QE auth data: binding fails.
TEST_F(Negative, QeAuthData) {
  VerifyResult r = VerifyFlipped(v4_, 1230);
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("QE report data"), std::string::npos) << r.error;
  r = VerifyFlipped(v3_, 1020);
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("QE report data"), std::string::npos) << r.error;
}

// 5. TCB info / QE identity bytes or signatures.
TEST_F(Negative, SignedCollateral) {
  QuoteVerifier verifier(IntelTrust());
  auto check = [&](Collateral c, const char* what) {
    VerifyResult r = verifier.Verify(v4_.quote, c, VerifyAt(v4_));
    EXPECT_FALSE(r.valid) << what;
    EXPECT_NE(r.error.find("signature"), std::string::npos) << what << ": " << r.error;
  };
  Collateral c = *v4_.collateral;
  size_t pos = c.tcb_info.find("issueDate\":\"2");
  ASSERT_NE(pos, std::string::npos);
  c.tcb_info[pos + 14] = c.tcb_info[pos + 14] == '1' ? '2' : '1';
  check(c, "tcb_info digit");
  c = *v4_.collateral;
  c.tcb_info_signature[5] ^= 0x01;
  check(c, "tcb_info_signature");
  c = *v4_.collateral;
  c.qe_identity.insert(1, " ");
  check(c, "qe_identity space");
  c = *v4_.collateral;
  c.qe_identity_signature[40] ^= 0x80;
  check(c, "qe_identity_signature");
}

// 6. PCK CRL issuer binding: Platform-CA CRL for a Processor-CA PCK and vice versa.
TEST_F(Negative, CrlIssuerSwap) {
  QuoteVerifier verifier(IntelTrust());
  Collateral c = *v4_.collateral;
  c.pck_crl = v3_.collateral->pck_crl;
  c.pck_crl_issuer_chain = v3_.collateral->pck_crl_issuer_chain;
  VerifyResult r = verifier.Verify(v4_.quote, c, VerifyAt(v4_));
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("PCK CRL"), std::string::npos) << r.error;
  c = *v3_.collateral;
  c.pck_crl = v4_.collateral->pck_crl;
  c.pck_crl_issuer_chain = v4_.collateral->pck_crl_issuer_chain;
  r = verifier.Verify(v3_.quote, c, VerifyAt(v3_));
  EXPECT_FALSE(r.valid);
  EXPECT_NE(r.error.find("PCK CRL"), std::string::npos) << r.error;
}

// 7. Expiry is reported, not fatal; at exactly not_after nothing is expired yet.
TEST_F(Negative, CollateralExpiry) {
  for (const Vector* v : {&v4_, &v3_}) {
    const Json& window = v->expected["details"]["collateral_window"];
    const UnixTime not_after = window["not_after"].get<int64_t>();
    const UnixTime not_before = window["not_before"].get<int64_t>();
    QuoteVerifier verifier(IntelTrust());
    VerifyResult at_end = verifier.Verify(v->quote, *v->collateral, not_after);
    EXPECT_TRUE(at_end.valid) << v->dir << ": " << at_end.error;
    EXPECT_FALSE(at_end.collateral_expired) << v->dir;
    VerifyResult after = verifier.Verify(v->quote, *v->collateral, not_after + 1);
    EXPECT_TRUE(after.valid) << v->dir;
    EXPECT_TRUE(after.collateral_expired) << v->dir;
    EXPECT_FALSE(verifier.Verify(v->quote, *v->collateral, not_before).collateral_expired);
    EXPECT_TRUE(verifier.Verify(v->quote, *v->collateral, not_before - 1).collateral_expired);
    // A strict policy rejects expired collateral.
    auto q = ParseQuote(v->quote);
    ASSERT_TRUE(q);
    Policy strict;
    strict.allowed_statuses = {*after.tcb_status};
    EXPECT_FALSE(EvaluatePolicy(strict, after, *q, not_after + 1).accepted);
    EXPECT_TRUE(EvaluatePolicy(strict, at_end, *q, not_after).accepted);
  }
}

// 8. Length fields: clean parse errors, never a crash.
TEST_F(Negative, Truncation) {
  QuoteVerifier verifier(IntelTrust());
  for (size_t len : {0u, 47u, 48u, 631u, 700u, 1000u, 1257u, 2000u}) {
    Bytes q(v4_.quote.begin(), v4_.quote.begin() + len);
    VerifyResult r = verifier.Verify(q, *v4_.collateral, VerifyAt(v4_));
    EXPECT_FALSE(r.valid) << len;
    EXPECT_FALSE(r.error.empty()) << len;
  }
  Bytes q = v4_.quote;
  q[632] = 0xff;
  q[633] = 0xff;  // auth_data_len far past the end
  EXPECT_FALSE(verifier.Verify(q, *v4_.collateral, VerifyAt(v4_)).valid);
}

// 10. TDX module version without a module identity.
TEST_F(Negative, UnknownTdxModule) {
  VerifyResult r = VerifyFlipped(v4_, 49, 0x01 ^ 0x07);  // tee_tcb_svn[1]: 0x01 -> 0x07
  EXPECT_FALSE(r.valid);
}

// The warm path never serves a result for bytes it has not verified.
TEST_F(Negative, CacheIsKeyedByExactBytes) {
  QuoteVerifier verifier(IntelTrust(), /*cache=*/true);
  EXPECT_TRUE(verifier.Verify(v4_.quote, *v4_.collateral, VerifyAt(v4_)).valid);
  EXPECT_TRUE(verifier.Verify(v4_.quote, *v4_.collateral, VerifyAt(v4_)).valid);
  for (size_t off : {600u, 800u, 1230u, 1154u, 3000u /* inside the PEM chain */}) {
    Bytes q = v4_.quote;
    q[off] ^= 0x01;
    EXPECT_FALSE(verifier.Verify(q, *v4_.collateral, VerifyAt(v4_)).valid) << off;
  }
  Collateral c = *v4_.collateral;
  c.tcb_info_signature[0] ^= 0x01;
  EXPECT_FALSE(verifier.Verify(v4_.quote, c, VerifyAt(v4_)).valid);
  EXPECT_TRUE(verifier.Verify(v4_.quote, *v4_.collateral, VerifyAt(v4_)).valid);
}

TEST_F(Negative, RejectsNonIntelRoot) {
  // Trusting only the TCB signing certificate's issuer chain leaf (not a root) must fail.
  auto chain = crypto::ParsePemChain(v4_.collateral->tcb_info_issuer_chain);
  ASSERT_TRUE(chain);
  QuoteVerifier verifier(TrustSettings{{(*chain)[0]}, true});
  VerifyResult r = verifier.Verify(v4_.quote, *v4_.collateral, VerifyAt(v4_));
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(r.simulated);
}

// ---- Policy ----

TEST(DcapPolicy, StatusesAndAttributes) {
  TEECLOUD_REQUIRE_VECTORS();
  Vector s1 = Load("sgx/s1-dcapqvl-v3");
  VerifyResult r = VerifyVector(s1);
  auto q = ParseQuote(s1.quote);
  ASSERT_TRUE(q);
  Policy p;  // UpToDate only
  PolicyDecision d = EvaluatePolicy(p, r, *q, VerifyAt(s1));
  EXPECT_FALSE(d.accepted);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_NE(d.reasons[0].find("ConfigurationAndSWHardeningNeeded"), std::string::npos);
  p.allowed_statuses.push_back(TcbStatus::kConfigurationAndSWHardeningNeeded);
  EXPECT_TRUE(EvaluatePolicy(p, r, *q, VerifyAt(s1)).accepted);
  p.expected_measurements["mrenclave"] = std::string(64, '0');
  EXPECT_FALSE(EvaluatePolicy(p, r, *q, VerifyAt(s1)).accepted);
  p.expected_measurements["mrenclave"] =
      s1.expected["measurements"]["mrenclave"].get<std::string>();
  EXPECT_TRUE(EvaluatePolicy(p, r, *q, VerifyAt(s1)).accepted);
  p.max_collateral_age_seconds = 60;
  EXPECT_FALSE(EvaluatePolicy(p, r, *q, VerifyAt(s1)).accepted);

  Vector t1 = Load("tdx/t1-dcapqvl-v4");
  VerifyResult r1 = VerifyVector(t1);
  auto q1 = ParseQuote(t1.quote);
  Policy tdx;
  tdx.require_sept_ve_disable = true;
  tdx.require_mrservicetd_zero = true;
  PolicyDecision d1 = EvaluatePolicy(tdx, r1, *q1, VerifyAt(t1));
  EXPECT_EQ(d1.accepted, (q1->tdx_body->td_attributes[3] & 0x10) != 0);

  Vector t5 = Load("tdx/t5-spr-v4-nolevel");
  VerifyResult r5 = VerifyVector(t5);
  auto q5 = ParseQuote(t5.quote);
  PolicyDecision d5 = EvaluatePolicy(tdx, r5, *q5, VerifyAt(t5));
  EXPECT_FALSE(d5.accepted);
  bool sept = false;
  for (const auto& why : d5.reasons) sept |= why.find("SEPT_VE_DISABLE") != std::string::npos;
  EXPECT_TRUE(sept);
}

}  // namespace
}  // namespace teecloud::attest::dcap
