#include "agent/agent_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "agent/fake_attester.h"
#include "attest/eventlog/runtime_log.h"
#include "base/json.h"
#include "crypto/ed25519.h"
#include "crypto/secp256k1.h"
#include "crypto/x509.h"
#include "ratls/ratls.h"

namespace teecloud::agent {
namespace {

using testing::FakeAttester;
using testing::kTestManifest;

constexpr UnixTime kNow = 1767225600;  // 2026-01-01

class AgentServiceTest : public ::testing::Test {
 protected:
  AgentServiceTest()
      : provider_(crypto::SecretBytes(Bytes(32, 0x42))),
        clock_(kNow),
        random_(7),
        service_(attester_, clock_, random_,
                 ServiceOptions{"1.2.3", "abc", "", R"({"spec_version":1})"}) {}

  void Boot() {
    BootInputs in;
    in.manifest_json = kTestManifest;
    in.instance_seed = crypto::SecretBytes(Bytes(32, 0x01));
    auto booted = service_.Boot(provider_, in);
    ASSERT_TRUE(booted.has_value()) << booted.error().ToString();
  }

  // Verifies a /GetKey-style chain as an SDK user would: chain[0] recovers the app key from
  // "<purpose>:<pubkey hex>", chain[1] recovers the provider root from
  // "dstack-kms-issued:" || app_id || app key.
  void ExpectChainVerifies(const std::vector<Bytes>& chain, std::string_view purpose,
                           ByteView public_key) {
    ASSERT_EQ(chain.size(), 2u);
    auto app_key = RecoverKeccakSigner(AsBytes(KeyPurposeMessage(purpose, public_key)), chain[0]);
    ASSERT_TRUE(app_key.has_value()) << app_key.error().ToString();
    auto root =
        RecoverKeccakSigner(KmsIssuedMessage(service_.Identity().app_id, *app_key), chain[1]);
    ASSERT_TRUE(root.has_value());
    EXPECT_EQ(*root, *provider_.RootPublicKey());
  }

  FakeAttester attester_;
  LocalKeyProvider provider_;
  FakeClock clock_;
  crypto::FakeRandom random_;
  AgentService service_;
};

TEST_F(AgentServiceTest, BeforeBootOnlyQuotesAndVersionWork) {
  EXPECT_FALSE(service_.ready());
  EXPECT_EQ(service_.GetKey({"p", "", ""}).error().code, Code::kFailedPrecondition);
  EXPECT_EQ(service_.Info().error().code, Code::kFailedPrecondition);
  EXPECT_EQ(service_.GetTlsKey({}).error().code, Code::kFailedPrecondition);
  EXPECT_EQ(service_.Sign({"ed25519", Bytes{1}}).error().code, Code::kFailedPrecondition);
  auto refused = service_.EmitEvent("early", Bytes{1});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message.find("system-ready"), std::string::npos);
  EXPECT_TRUE(service_.GetQuote(Bytes{1, 2}).has_value());
  EXPECT_EQ(service_.Version().version, "1.2.3");
  EXPECT_EQ(service_.Version().rev, "abc");
}

TEST_F(AgentServiceTest, BootsOnce) {
  Boot();
  EXPECT_TRUE(service_.ready());
  BootInputs in;
  in.manifest_json = kTestManifest;
  in.instance_seed = crypto::SecretBytes(Bytes(32, 0x01));
  EXPECT_EQ(service_.Boot(provider_, in).error().code, Code::kFailedPrecondition);
}

TEST_F(AgentServiceTest, GetKeyIsDeterministicPerPathWithAVerifiableChain) {
  Boot();
  for (const char* alg : {"secp256k1", "k256", "", "ed25519"}) {
    SCOPED_TRACE(alg);
    auto a = service_.GetKey({"wallet/a", "ethereum", alg});
    auto a2 = service_.GetKey({"wallet/a", "other-purpose", alg});
    auto b = service_.GetKey({"wallet/b", "ethereum", alg});
    ASSERT_TRUE(a && a2 && b) << a.error().ToString();
    EXPECT_EQ(a->key.size(), 32u);
    EXPECT_EQ(ToHex(a->key.view()), ToHex(a2->key.view()));  // purpose is not derivation input
    EXPECT_NE(ToHex(a->key.view()), ToHex(b->key.view()));
    ExpectChainVerifies(a->signature_chain, "ethereum", a->public_key);
    ExpectChainVerifies(a2->signature_chain, "other-purpose", a2->public_key);
    // Wrong purpose: chain[0] no longer recovers the app key.
    auto wrong =
        RecoverKeccakSigner(AsBytes(KeyPurposeMessage("x", a->public_key)), a->signature_chain[0]);
    auto right = RecoverKeccakSigner(AsBytes(KeyPurposeMessage("ethereum", a->public_key)),
                                     a->signature_chain[0]);
    ASSERT_TRUE(right.has_value());
    if (wrong) {
      EXPECT_NE(*wrong, *right);
    }
  }
  auto k = service_.GetKey({"wallet/a", "", "secp256k1"});
  auto e = service_.GetKey({"wallet/a", "", "ed25519"});
  ASSERT_TRUE(k && e);
  EXPECT_EQ(k->public_key, *crypto::Secp256k1PublicKeyCompressed(k->key));
  EXPECT_EQ(e->public_key, *crypto::Ed25519PublicKey(e->key));
  EXPECT_NE(ToHex(k->key.view()), ToHex(e->key.view()));
  EXPECT_EQ(service_.GetKey({"p", "", "rsa"}).error().code, Code::kInvalidArgument);
}

TEST_F(AgentServiceTest, SignAndVerifyEveryAlgorithm) {
  Boot();
  const Bytes data = ToBytes(std::string_view("hello dstack"));
  const crypto::Digest256 digest = crypto::Sha256(data);
  const Bytes prehashed(digest.begin(), digest.end());
  struct Case {
    std::string alg;
    Bytes data;
  };
  for (const Case& c : {Case{"ed25519", data}, Case{"secp256k1", data}, Case{"k256", data},
                        Case{"secp256k1_prehashed", prehashed}}) {
    SCOPED_TRACE(c.alg);
    auto s = service_.Sign({c.alg, c.data});
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    EXPECT_EQ(s->signature.size(), 64u);
    ASSERT_EQ(s->signature_chain.size(), 3u);
    EXPECT_EQ(s->signature_chain[0], s->signature);
    // The signing key is GetKey("vms", "signing", alg) and the rest of the chain is its chain.
    const std::string key_alg = c.alg == "ed25519" ? "ed25519" : "secp256k1";
    auto key = service_.GetKey({"vms", "signing", key_alg});
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(s->public_key, key->public_key);
    ExpectChainVerifies({s->signature_chain[1], s->signature_chain[2]}, "signing", s->public_key);

    auto ok = service_.Verify({c.alg, c.data, s->signature, s->public_key});
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    EXPECT_TRUE(*ok);
    Bytes tampered = c.data;
    tampered[0] ^= 1;
    auto bad = service_.Verify({c.alg, tampered, s->signature, s->public_key});
    ASSERT_TRUE(bad.has_value());
    EXPECT_FALSE(*bad);
  }
  // secp256k1 signs SHA-256(data), so it equals prehashed signing of that digest (RFC 6979).
  EXPECT_EQ(service_.Sign({"secp256k1", data})->signature,
            service_.Sign({"secp256k1_prehashed", prehashed})->signature);
  EXPECT_TRUE(crypto::Secp256k1Verify(service_.Sign({"secp256k1", data})->public_key,
                                      crypto::View(digest),
                                      service_.Sign({"secp256k1", data})->signature));
  EXPECT_EQ(service_.Sign({"secp256k1_prehashed", data}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.Sign({"", data}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.Sign({"rsa", data}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.Verify({"ed25519", data, Bytes(64, 0), Bytes(31, 0)}).error().code,
            Code::kInvalidArgument);
  EXPECT_EQ(service_.Verify({"secp256k1", data, Bytes(64, 1), Bytes(33, 0)}).error().code,
            Code::kInvalidArgument);
  EXPECT_EQ(service_.Verify({"secp256k1_prehashed", data, Bytes(64, 1), Bytes(33, 2)}).error().code,
            Code::kInvalidArgument);
}

TEST_F(AgentServiceTest, QuoteCarriesPaddedReportDataAndAReplayableLog) {
  Boot();
  auto q = service_.GetQuote(Bytes{0xde, 0xad});
  ASSERT_TRUE(q.has_value());
  Bytes expected(64, 0);
  expected[0] = 0xde;
  expected[1] = 0xad;
  EXPECT_EQ(q->report_data, expected);
  EXPECT_EQ(q->vm_config, R"({"spec_version":1})");
  auto fake = FakeAttester::ParseQuote(q->quote);
  ASSERT_TRUE(fake.has_value());
  EXPECT_EQ(fake->report_data, expected);
  auto log = attest::eventlog::ParseRuntimeEventLog(q->event_log);
  ASSERT_TRUE(log.has_value()) << log.error().ToString();
  const auto replayed = attest::eventlog::ReplayRuntimeLog(*log);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replayed[i], fake->measurements.rtmr[i]);
  EXPECT_EQ(service_.GetQuote(Bytes(65, 1)).error().code, Code::kInvalidArgument);
  EXPECT_TRUE(service_.GetQuote(Bytes(64, 1)).has_value());
  EXPECT_TRUE(service_.GetQuote({}).has_value());
}

TEST_F(AgentServiceTest, EmitEventAfterSystemReadyExtendsRtmr3) {
  Boot();
  const auto before = attester_.ReadMeasurements()->rtmr[3];
  ASSERT_TRUE(service_.EmitEvent("config_loaded", ToBytes(std::string_view("v1.0.0"))));
  const auto after = attester_.ReadMeasurements()->rtmr[3];
  EXPECT_NE(before, after);
  const auto ev = attest::eventlog::MakeRuntimeEvent("config_loaded", AsBytes("v1.0.0"));
  EXPECT_EQ(after, crypto::Sha384(Concat({crypto::View(before), ev.digest})));
  auto q = service_.GetQuote({});
  auto log = attest::eventlog::ParseRuntimeEventLog(q->event_log);
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->back().event, "config_loaded");
  EXPECT_EQ(attest::eventlog::ReplayRuntimeLog(*log)[3],
            FakeAttester::ParseQuote(q->quote)->measurements.rtmr[3]);

  EXPECT_EQ(service_.EmitEvent("", {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.EmitEvent("a:b", {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.EmitEvent("has space", {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.EmitEvent(std::string(129, 'x'), {}).error().code, Code::kInvalidArgument);
  EXPECT_EQ(service_.EmitEvent("big", Bytes(64 * 1024 + 1, 0)).error().code,
            Code::kInvalidArgument);
  EXPECT_TRUE(service_.EmitEvent("empty-payload", {}).has_value());
}

TEST_F(AgentServiceTest, FailedExtensionStopsFurtherEvents) {
  Boot();
  attester_.FailNextExtend();
  EXPECT_EQ(service_.EmitEvent("x", {}).error().code, Code::kInternal);
  EXPECT_EQ(service_.EmitEvent("y", {}).error().code, Code::kFailedPrecondition);
}

TEST_F(AgentServiceTest, InfoDescribesTheApp) {
  Boot();
  ASSERT_TRUE(service_.EmitEvent("app-started", {}));
  auto info = service_.Info();
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  const AppIdentity id = service_.Identity();
  EXPECT_EQ(info->app_id, ToHex(id.app_id));
  EXPECT_EQ(info->instance_id, ToHex(id.instance_id));
  EXPECT_EQ(info->compose_hash, ToHex(id.manifest_hash));
  EXPECT_EQ(info->app_name, "hello");
  EXPECT_EQ(info->key_provider_info, id.key_provider_info);
  EXPECT_EQ(info->vm_config, R"({"spec_version":1})");
  EXPECT_EQ(info->device_id, "");  // the fake quote has no PCK certificate
  auto ca = crypto::Certificate::FromPem(info->app_cert);
  ASSERT_TRUE(ca.has_value());
  EXPECT_TRUE(ca->IsCa());

  auto tcb = ParseJson(info->tcb_info);
  ASSERT_TRUE(tcb.has_value());
  auto m = attester_.ReadMeasurements();
  EXPECT_EQ((*tcb)["mrtd"], ToHex(crypto::View(m->mrtd)));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*tcb)["rtmr" + std::to_string(i)], ToHex(crypto::View(m->rtmr[i])));
  }
  EXPECT_EQ((*tcb)["compose_hash"], info->compose_hash);
  EXPECT_EQ((*tcb)["mr_aggregated"], info->mr_aggregated);
  const std::string app_compose = (*tcb)["app_compose"];
  EXPECT_EQ(ToHex(crypto::View(crypto::Sha256(AsBytes(app_compose)))), info->compose_hash);
  auto log = attest::eventlog::ParseRuntimeEventLog(DumpJson((*tcb)["event_log"]));
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(attest::eventlog::ReplayRuntimeLog(*log)[3], m->rtmr[3]);
  EXPECT_EQ(log->back().event, "app-started");
}

TEST_F(AgentServiceTest, TlsKeysAreIssuedByTheAppCa) {
  Boot();
  TlsKeyArgs args;
  args.subject = "api.example.com";
  args.alt_names = {"localhost", "127.0.0.1", "::1"};
  args.usage_client_auth = true;
  auto tls = service_.GetTlsKey(args);
  ASSERT_TRUE(tls.has_value()) << tls.error().ToString();
  ASSERT_EQ(tls->certificate_chain.size(), 2u);
  auto leaf = crypto::Certificate::FromPem(tls->certificate_chain[0]);
  auto ca = crypto::Certificate::FromPem(tls->certificate_chain[1]);
  ASSERT_TRUE(leaf && ca);
  EXPECT_TRUE(leaf->VerifySignedBy(*ca).has_value());
  EXPECT_EQ(tls->certificate_chain[1], service_.Info()->app_cert);
  EXPECT_FALSE(leaf->IsCa());
  EXPECT_NE(leaf->SubjectName().find("api.example.com"), std::string::npos);
  EXPECT_EQ(leaf->NotBefore(), kNow - 3600);
  auto key = crypto::EcPrivateKey::FromPkcs8(AsBytes(tls->key_pem));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->PublicKey().SpkiDer(), leaf->SpkiDer());
  EXPECT_NE(tls->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_FALSE(leaf->ExtensionValue(ratls::kOidQuote).has_value());

  // A fresh key per call; a path makes it deterministic.
  auto again = service_.GetTlsKey(args);
  EXPECT_NE(again->key_pem, tls->key_pem);
  args.path = "svc";
  auto p1 = service_.GetTlsKey(args);
  auto p2 = service_.GetTlsKey(args);
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(p1->key_pem, p2->key_pem);

  args.not_before = kNow;
  args.not_after = kNow + 60;
  auto bounded = service_.GetTlsKey(args);
  ASSERT_TRUE(bounded.has_value());
  auto bounded_leaf = crypto::Certificate::FromPem(bounded->certificate_chain[0]);
  EXPECT_EQ(bounded_leaf->NotAfter(), kNow + 60);
  args.not_after = kNow - 1;
  EXPECT_EQ(service_.GetTlsKey(args).error().code, Code::kInvalidArgument);

  TlsKeyArgs bad;
  bad.alt_names = {"not a name!"};
  EXPECT_EQ(service_.GetTlsKey(bad).error().code, Code::kInvalidArgument);
  bad.alt_names = {};
  bad.subject = std::string(65, 'a');
  EXPECT_EQ(service_.GetTlsKey(bad).error().code, Code::kInvalidArgument);
}

TEST_F(AgentServiceTest, RaTlsCertificatesCarryABindingQuote) {
  Boot();
  TlsKeyArgs args;
  args.subject = "ratls";
  args.usage_ra_tls = true;
  args.with_app_info = true;
  auto tls = service_.GetTlsKey(args);
  ASSERT_TRUE(tls.has_value()) << tls.error().ToString();
  auto leaf = crypto::Certificate::FromPem(tls->certificate_chain[0]);
  ASSERT_TRUE(leaf.has_value());
  auto evidence = ratls::ParseRaTlsExtensions(*leaf);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().ToString();
  auto quote = FakeAttester::ParseQuote(evidence->quote);
  ASSERT_TRUE(quote.has_value());
  const auto rd = ratls::ReportDataForKey(leaf->SpkiDer());
  EXPECT_EQ(quote->report_data, Bytes(rd.begin(), rd.end()));
  EXPECT_EQ(evidence->app_id, service_.Identity().app_id);
  auto log = attest::eventlog::ParseRuntimeEventLog(evidence->event_log_json);
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(attest::eventlog::ReplayRuntimeLog(*log)[3], quote->measurements.rtmr[3]);

  // The app CA is bound the same way.
  auto ca = crypto::Certificate::FromPem(tls->certificate_chain[1]);
  auto ca_evidence = ratls::ParseRaTlsExtensions(*ca);
  ASSERT_TRUE(ca_evidence.has_value());
  const auto ca_rd = ratls::ReportDataForKey(ca->SpkiDer());
  EXPECT_EQ(FakeAttester::ParseQuote(ca_evidence->quote)->report_data,
            Bytes(ca_rd.begin(), ca_rd.end()));
}

TEST_F(AgentServiceTest, AttestBundlesQuoteLogAndConfig) {
  Boot();
  auto blob = service_.Attest(Bytes{7});
  ASSERT_TRUE(blob.has_value());
  auto j = ParseJson(AsStringView(*blob));
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["format"], "teecloud-attestation-v1");
  EXPECT_EQ((*j)["tee"], "fake");
  EXPECT_TRUE((*j)["event_log"].is_array());
  auto quote = FromHex((*j)["quote"].get<std::string>());
  ASSERT_TRUE(quote.has_value());
  EXPECT_EQ(FakeAttester::ParseQuote(*quote)->report_data[0], 7);
}

TEST_F(AgentServiceTest, ConcurrentEventsAndQuotesStayConsistent) {
  Boot();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (t % 2 == 0) {
          ASSERT_TRUE(service_.EmitEvent("e" + std::to_string(t) + "-" + std::to_string(i), {}));
        } else {
          auto q = service_.GetQuote({});
          ASSERT_TRUE(q.has_value());
          auto log = attest::eventlog::ParseRuntimeEventLog(q->event_log);
          ASSERT_TRUE(log.has_value());
          if (attest::eventlog::ReplayRuntimeLog(*log)[3] !=
              FakeAttester::ParseQuote(q->quote)->measurements.rtmr[3]) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace teecloud::agent
