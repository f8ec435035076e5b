// The agent on the real simulated TEE (tee/sim_attester.h): its quotes, event log, TLS and
// app-CA certificates pass the real verifiers (attest/dcap, ratls) with the sim root.
#include <gtest/gtest.h>

#include "agent/agent_service.h"
#include "agent/fake_attester.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/replay.h"
#include "crypto/x509.h"
#include "ratls/ratls.h"
#include "tee/sim_attester.h"
#include "testing/testing.h"

namespace teecloud::agent {
namespace {

class SimIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_dir_ = teecloud::testing::MakeTempDir() + "/sim";
    tee::SimInitOptions init;
    init.now = clock_.Now();
    ASSERT_TRUE(tee::InitSimDir(sim_dir_, init).has_value());
    auto attester = tee::SimAttester::Open(sim_dir_);
    ASSERT_TRUE(attester.has_value()) << attester.error().ToString();
    attester_ = std::move(*attester);
    auto trust = tee::LoadSimTrust(sim_dir_);
    ASSERT_TRUE(trust.has_value());
    trust_ = std::move(*trust);
    service_ = std::make_unique<AgentService>(*attester_, clock_, random_,
                                              ServiceOptions{"v", "r", "", "{}"});
    BootInputs in;
    in.manifest_json = testing::kTestManifest;
    in.instance_seed = crypto::SecretBytes(Bytes(32, 0x77));
    auto booted = service_->Boot(provider_, in);
    ASSERT_TRUE(booted.has_value()) << booted.error().ToString();
  }

  // The quote verifies with the sim root and the log replays to all four RTMRs.
  void ExpectVerifiedQuote(const QuoteReply& q) {
    attest::dcap::QuoteVerifier verifier(trust_.trust);
    attest::dcap::VerifyResult r = verifier.Verify(q.quote, trust_.collateral, clock_.Now());
    EXPECT_TRUE(r.valid) << r.error;
    EXPECT_TRUE(r.simulated);
    auto quote = attest::dcap::ParseQuote(q.quote);
    ASSERT_TRUE(quote.has_value());
    ASSERT_TRUE(quote->tdx_body.has_value());
    auto replay = attest::eventlog::ReplayAgainstQuote(AsBytes(q.event_log), quote->tdx_body->rtmr);
    ASSERT_TRUE(replay.has_value()) << replay.error().ToString();
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replay->rtmr_match[i], true) << "rtmr" << i;
    EXPECT_EQ(ToBytes(ByteView(quote->report_data())), q.report_data);
  }

  SystemClock clock_;
  crypto::SystemRandom random_;
  LocalKeyProvider provider_{crypto::SecretBytes(Bytes(32, 0x42))};
  std::string sim_dir_;
  std::unique_ptr<tee::SimAttester> attester_;
  tee::SimTrust trust_;
  std::unique_ptr<AgentService> service_;
};

TEST_F(SimIntegrationTest, QuotesVerifyAndReplayBeforeAndAfterAppEvents) {
  auto q = service_->GetQuote(AsBytes("nonce"));
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  ExpectVerifiedQuote(*q);
  ASSERT_TRUE(service_->EmitEvent("app-event", AsBytes("x")));
  auto q2 = service_->GetQuote({});
  ASSERT_TRUE(q2.has_value());
  ExpectVerifiedQuote(*q2);
  EXPECT_NE(q->quote, q2->quote);
}

TEST_F(SimIntegrationTest, InfoReportsTheSimPlatformDeviceId) {
  auto info = service_->Info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->device_id.size(), 64u) << "SHA-256 of the sim PCK certificate's PPID";
}

TEST_F(SimIntegrationTest, RaTlsCertificatesPassTheRaTlsVerifier) {
  TlsKeyArgs args;
  args.subject = "svc";
  args.usage_ra_tls = true;
  auto tls = service_->GetTlsKey(args);
  ASSERT_TRUE(tls.has_value()) << tls.error().ToString();
  auto chain = crypto::ParsePemChain(tls->certificate_chain[0] + tls->certificate_chain[1]);
  ASSERT_TRUE(chain.has_value());
  ASSERT_EQ(chain->size(), 2u);

  ratls::VerifierSettings settings;
  settings.trust = trust_.trust;
  settings.collateral = trust_.collateral;
  ratls::RaTlsVerifier verifier(settings, clock_);
  auto peer = verifier.Verify(*chain);
  ASSERT_TRUE(peer.has_value()) << peer.error().ToString();
  const AppIdentity id = service_->Identity();
  EXPECT_EQ(peer->app_id, id.app_id);
  EXPECT_EQ(peer->manifest_hash, id.manifest_hash);
  EXPECT_EQ(peer->instance_id, id.instance_id);
  EXPECT_EQ(peer->key_provider, id.key_provider_info);
  EXPECT_TRUE(peer->system_ready);
  EXPECT_TRUE(peer->quote.simulated);

  // The app CA (/Info app_cert) is an RA-TLS certificate of the same app.
  auto ca_peer = verifier.Verify({(*chain)[1]});
  ASSERT_TRUE(ca_peer.has_value()) << ca_peer.error().ToString();
  EXPECT_EQ(ca_peer->app_id, id.app_id);

  // Without the sim root the same certificate is refused.
  ratls::VerifierSettings intel;
  intel.trust = attest::dcap::IntelTrust();
  intel.collateral = trust_.collateral;
  EXPECT_FALSE(ratls::RaTlsVerifier(intel, clock_).Verify(*chain).has_value());
}

}  // namespace
}  // namespace teecloud::agent
