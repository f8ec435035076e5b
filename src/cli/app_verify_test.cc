// VerifyAppEvidence on REAL simulated quotes: a sim PKI in a temp dir (tee::InitSimDir), a
// SimAttester that measured the agent's boot events, a quote over the node's attest binding of
// a nonce. Each negative changes one thing: another nonce (replay), a tampered event log, a node
// record naming another identity, another root.
#include "cli/app_verify.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "attest/eventlog/runtime_log.h"
#include "base/file.h"
#include "manifest/manifest.h"
#include "node/attest_binding.h"
#include "tee/sim_attester.h"
#include "testing/testing.h"

namespace teecloud::cli {
namespace {

namespace fs = std::filesystem;

constexpr UnixTime kNow = 1751328000;  // 2025-07-01T00:00:00Z

constexpr char kCompose[] =
    "services:\n"
    "  web:\n"
    "    image: busybox:latest\n";

class AppVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir());
    tee::SimInitOptions o;
    o.now = kNow;
    o.validity_days = 30;
    auto s = tee::InitSimDir(*dir_ + "/sim", o);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    auto other = tee::InitSimDir(*dir_ + "/other-sim", o);
    ASSERT_TRUE(other.has_value()) << other.error().ToString();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    manifest::ManifestOptions mo;
    mo.name = "hello";
    mo.key_provider = manifest::KeyProvider::kLocal;
    auto m = manifest::ManifestFromCompose(kCompose, mo);
    ASSERT_TRUE(m.has_value()) << m.error().ToString();
    manifest_json_ = manifest::CanonicalManifestJson(*m);
    manifest_hash_ = FromHex(manifest::ManifestHashHex(*m)).value();
    app_id_ = Bytes(manifest_hash_.begin(), manifest_hash_.begin() + 20);
    instance_id_ = Bytes(20, 0x1d);
    nonce_ = Bytes(32, 0x5a);
    attester_ = Boot();
  }

  // A simulated CVM that ran the agent's boot sequence (agent/boot.h) for the fixture's app.
  std::unique_ptr<tee::SimAttester> Boot() {
    auto a = tee::SimAttester::Open(*dir_ + "/sim");
    EXPECT_TRUE(a.has_value());
    auto extend = [&](const std::string& name, ByteView payload) {
      auto ev = (*a)->ExtendRuntimeEvent(3, name, payload);
      EXPECT_TRUE(ev.has_value());
    };
    extend("system-preparing", {});
    extend("app-id", app_id_);
    extend("compose-hash", manifest_hash_);
    extend("instance-id", instance_id_);
    extend("boot-mr-done", {});
    extend("key-provider", AsBytes(R"({"name":"local","id":"00"})"));
    extend("system-ready", {});
    return std::move(*a);
  }

  std::string EventLogJson() {
    auto events = attester_->ReadEventLog();
    EXPECT_TRUE(events.has_value());
    return DumpJson(attest::eventlog::RuntimeEventLogToJson(*events));
  }

  Bytes QuoteOver(ByteView nonce) {
    const Bytes rd = node::AttestReportData(nonce).value();
    auto q = attester_->GetQuote(rd);
    EXPECT_TRUE(q.has_value()) << q.error().ToString();
    return *q;
  }

  AppTrust SimTrust(const std::string& sim = "sim") {
    AppTrust t;
    t.root = ReadTextFile(*dir_ + "/" + sim + "/root.pem").value();
    t.collateral_json = ReadTextFile(*dir_ + "/" + sim + "/collateral.json").value();
    t.root_source = "test sim root";
    return t;
  }

  // Everything as an honest node would report it for `nonce_`.
  AppVerifyInput Honest() {
    AppVerifyInput in;
    in.nonce = nonce_;
    in.reply.quote = QuoteOver(nonce_);
    in.reply.event_log_json = EventLogJson();
    in.reply.tee = "sim";
    in.reply.simulated = true;
    in.claim.cvm_id = "0123456789abcdef";
    in.claim.name = "hello";
    in.claim.app_id = ToHex(app_id_);
    in.claim.instance_id = ToHex(instance_id_);
    in.claim.manifest_hash = ToHex(manifest_hash_);
    in.claim.manifest_json = manifest_json_;
    in.trust = SimTrust();
    in.now = kNow;
    return in;
  }

  static void ExpectRefused(const Result<AppVerification>& r, const std::string& part) {
    ASSERT_FALSE(r.has_value()) << "verified, expected a refusal mentioning: " << part;
    EXPECT_NE(r.error().code, Code::kInvalidArgument) << r.error().ToString();
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
  }

  static std::string* dir_;
  std::string manifest_json_;
  Bytes manifest_hash_, app_id_, instance_id_, nonce_;
  std::unique_ptr<tee::SimAttester> attester_;
};

std::string* AppVerifyTest::dir_ = nullptr;

TEST_F(AppVerifyTest, AnHonestNodesEvidenceVerifies) {
  auto r = VerifyAppEvidence(Honest());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->name, "hello");
  EXPECT_TRUE(r->manifest_checked);
  EXPECT_EQ(r->app_id, ToHex(app_id_));
  EXPECT_EQ(r->instance_id, ToHex(instance_id_));
  EXPECT_EQ(r->manifest_hash, ToHex(manifest_hash_));
  EXPECT_EQ(r->key_provider, R"({"name":"local","id":"00"})");
  EXPECT_TRUE(r->system_ready);
  EXPECT_TRUE(r->simulated);
  EXPECT_EQ(r->platform, "tdx");
  ASSERT_TRUE(r->quote.tcb_status.has_value());
  EXPECT_EQ(*r->quote.tcb_status, attest::dcap::TcbStatus::kUpToDate);
  auto m = attester_->ReadMeasurements();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(r->mrtd, ToHex(m->mrtd));
  EXPECT_EQ(r->rtmr[3], ToHex(m->rtmr[3]));
  EXPECT_EQ(r->report_data, ToHex(node::AttestReportData(nonce_).value()));
  EXPECT_EQ(r->event_count, 11u);  // 4 sim OS boot events + the agent's 7

  const OrderedJson j = AppVerificationToJson(*r);
  EXPECT_EQ(j["verdict"], "VERIFIED");
  EXPECT_EQ(j["tee"], "simulated");
  EXPECT_EQ(j["tcb_status"], "UpToDate");
  EXPECT_EQ(j["nonce_fresh"], true);
  EXPECT_EQ(j["event_log_replayed"], true);
  EXPECT_EQ(j["measurements"]["mrtd"], r->mrtd);
  const std::string text = AppVerificationToText(*r);
  for (const char* part :
       {"SIMULATED", "app hello", "UpToDate", "replayed: yes", "fresh: yes", "verdict: VERIFIED"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST_F(AppVerifyTest, WithoutCollateralTheTcbStatusIsNotDetermined) {
  AppVerifyInput in = Honest();
  in.trust.collateral_json.reset();
  auto r = VerifyAppEvidence(in);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->quote.tcb_status.has_value());
  EXPECT_TRUE(AppVerificationToJson(*r)["tcb_status"].is_null());
}

TEST_F(AppVerifyTest, AQuoteOverAnotherNonceIsAReplay) {
  AppVerifyInput in = Honest();
  in.reply.quote = QuoteOver(Bytes(32, 0x11));  // an earlier request's quote
  ExpectRefused(VerifyAppEvidence(in), "not bound to this request's nonce");
}

TEST_F(AppVerifyTest, ATamperedEventLogIsRefused) {
  AppVerifyInput in = Honest();
  // Drop the app's last event: the log no longer explains RTMR3.
  auto events = attest::eventlog::ParseRuntimeEventLog(in.reply.event_log_json).value();
  events.pop_back();
  in.reply.event_log_json = DumpJson(attest::eventlog::RuntimeEventLogToJson(events));
  ExpectRefused(VerifyAppEvidence(in), "does not replay to the quote's RTMR3");

  // A rewritten payload with a matching digest is still caught by the replay.
  in = Honest();
  events = attest::eventlog::ParseRuntimeEventLog(in.reply.event_log_json).value();
  for (auto& ev : events) {
    if (ev.event == "compose-hash") ev = attest::eventlog::MakeRuntimeEvent(ev.event, Bytes(32, 1));
  }
  in.reply.event_log_json = DumpJson(attest::eventlog::RuntimeEventLogToJson(events));
  ExpectRefused(VerifyAppEvidence(in), "does not replay");

  in = Honest();
  in.reply.event_log_json = "{\"not\": \"a log\"}";
  ExpectRefused(VerifyAppEvidence(in), "event log");
}

TEST_F(AppVerifyTest, ANodeRecordOfAnotherIdentityIsRefusedNamingBothValues) {
  AppVerifyInput in = Honest();
  in.claim.app_id = std::string(40, 'b');
  auto r = VerifyAppEvidence(in);
  ExpectRefused(r, "app id " + std::string(40, 'b'));
  ExpectRefused(r, "measured " + ToHex(app_id_));

  in = Honest();
  in.claim.instance_id = std::string(40, 'c');
  ExpectRefused(VerifyAppEvidence(in), "instance id");

  in = Honest();
  in.claim.manifest_hash = std::string(64, 'd');
  ExpectRefused(VerifyAppEvidence(in), "manifest hash " + std::string(64, 'd'));

  // The manifest the node shows must be the measured one.
  manifest::ManifestOptions mo;
  mo.name = "other";
  in = Honest();
  in.claim.manifest_json =
      manifest::CanonicalManifestJson(manifest::ManifestFromCompose(kCompose, mo).value());
  ExpectRefused(VerifyAppEvidence(in), "the node shows a different manifest");

  in = Honest();
  in.claim.app_id = "zz";
  ExpectRefused(VerifyAppEvidence(in), "not hex");
}

TEST_F(AppVerifyTest, AnotherRootIsRefused) {
  AppVerifyInput in = Honest();
  in.trust = SimTrust("other-sim");
  ExpectRefused(VerifyAppEvidence(in), "does not verify against the trusted root");

  // Intel's root (the default) refuses simulated quotes.
  in = Honest();
  in.trust = AppTrust{};
  ExpectRefused(VerifyAppEvidence(in), "does not verify against the trusted root");
}

TEST_F(AppVerifyTest, UnusableTrustMaterialIsAnInputError) {
  AppVerifyInput in = Honest();
  in.trust.root = "not a certificate";
  auto r = VerifyAppEvidence(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("trust root"), std::string::npos);

  in = Honest();
  in.trust.collateral_json = "{}";
  r = VerifyAppEvidence(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);

  in = Honest();
  in.nonce = Bytes(4, 0);
  r = VerifyAppEvidence(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

TEST_F(AppVerifyTest, GarbageInsteadOfAQuoteIsRefused) {
  AppVerifyInput in = Honest();
  in.reply.quote = ToBytes(AsBytes("fake-quote"));
  ExpectRefused(VerifyAppEvidence(in), "does not parse");
}

}  // namespace
}  // namespace teecloud::cli
