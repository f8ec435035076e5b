#include "agent/boot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/fake_attester.h"
#include "base/file.h"
#include "base/jcs.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::agent {
namespace {

using testing::FakeAttester;
using testing::kTestManifest;

BootInputs Inputs() {
  BootInputs in;
  in.manifest_json = kTestManifest;
  in.instance_seed = crypto::SecretBytes(Bytes(32, 0x5e));
  return in;
}

Bytes ManifestHashByJcs() {
  auto j = ParseJson(kTestManifest);
  auto canon = CanonicalizeJson(*j);
  const crypto::Digest256 h = crypto::Sha256(AsBytes(*canon));
  return Bytes(h.begin(), h.end());
}

TEST(BootTest, EmitsTheBootEventsInOrderAndReplaysToRtmr3) {
  FakeAttester attester;
  LocalKeyProvider provider(crypto::SecretBytes(Bytes(32, 1)));
  auto out = RunBootSequence(attester, provider, Inputs());
  ASSERT_TRUE(out.has_value()) << out.error().ToString();

  auto log = attester.ReadEventLog();
  ASSERT_TRUE(log.has_value());
  std::vector<attest::eventlog::RuntimeEvent> rtmr3;
  for (const auto& e : *log) {
    if (e.imr == 3) rtmr3.push_back(e);
  }
  ASSERT_EQ(rtmr3.size(), kBootEventNames.size());
  for (size_t i = 0; i < rtmr3.size(); ++i) {
    EXPECT_EQ(rtmr3[i].event, kBootEventNames[i]);
    EXPECT_EQ(rtmr3[i].event_type, attest::eventlog::kRuntimeEventType);
    EXPECT_EQ(rtmr3[i], out->events[i]);
  }
  const AppIdentity& id = out->identity;
  const Bytes hash = ManifestHashByJcs();
  EXPECT_EQ(id.manifest_hash, hash);
  EXPECT_EQ(id.app_id, Bytes(hash.begin(), hash.begin() + 20));
  EXPECT_TRUE(rtmr3[0].payload.empty());
  EXPECT_EQ(rtmr3[1].payload, id.app_id);
  EXPECT_EQ(rtmr3[2].payload, hash);
  EXPECT_EQ(rtmr3[3].payload, id.instance_id);
  EXPECT_TRUE(rtmr3[4].payload.empty());
  EXPECT_EQ(AsStringView(rtmr3[5].payload), id.key_provider_info);
  EXPECT_TRUE(rtmr3[6].payload.empty());
  EXPECT_EQ(id.key_provider_name, "local");
  EXPECT_EQ(id.manifest.name, "hello");
  EXPECT_EQ(ToHex(crypto::View(crypto::Sha256(AsBytes(id.canonical_manifest)))), ToHex(hash));

  auto m = attester.ReadMeasurements();
  ASSERT_TRUE(m.has_value());
  const auto replayed = attest::eventlog::ReplayRuntimeLog(*log);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replayed[i], m->rtmr[i]) << "rtmr" << i;
  // Replay of the boot events alone, from 48 zero bytes (ARCHITECTURE.md).
  crypto::Digest384 acc{};
  for (const auto& e : rtmr3) acc = crypto::Sha384(Concat({crypto::View(acc), e.digest}));
  EXPECT_EQ(acc, m->rtmr[3]);
}

TEST(BootTest, InstanceIdIsSeedAndAppIdHash) {
  const crypto::SecretBytes seed(Bytes(32, 0x5e));
  const Bytes app_id(20, 0x01);
  const crypto::Digest256 h = crypto::Sha256(Concat({seed.view(), app_id}));
  EXPECT_EQ(InstanceId(seed, app_id), Bytes(h.begin(), h.begin() + 20));
}

TEST(BootTest, ExplicitAppIdIsMeasured) {
  FakeAttester attester;
  LocalKeyProvider provider(crypto::SecretBytes(Bytes(32, 1)));
  BootInputs in = Inputs();
  in.app_id = Bytes(20, 0xab);
  auto out = RunBootSequence(attester, provider, in);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->identity.app_id, Bytes(20, 0xab));
  EXPECT_EQ(out->events[1].payload, Bytes(20, 0xab));
  EXPECT_EQ(out->identity.instance_id, InstanceId(in.instance_seed, Bytes(20, 0xab)));
}

TEST(BootTest, BadInputsMeasureNothing) {
  LocalKeyProvider provider(crypto::SecretBytes(Bytes(32, 1)));
  {
    FakeAttester attester;
    BootInputs in = Inputs();
    in.manifest_json = R"({"name": "x"})";
    EXPECT_FALSE(RunBootSequence(attester, provider, in).has_value());
    EXPECT_EQ(attester.ReadEventLog()->size(), 6u);  // boot registers only
  }
  {
    FakeAttester attester;
    BootInputs in = Inputs();
    in.app_id = Bytes(19, 1);
    EXPECT_EQ(RunBootSequence(attester, provider, in).error().code, Code::kInvalidArgument);
    EXPECT_EQ(attester.ReadEventLog()->size(), 6u);
  }
  {
    FakeAttester attester;
    BootInputs in = Inputs();
    in.instance_seed = crypto::SecretBytes(Bytes(16, 1));
    EXPECT_FALSE(RunBootSequence(attester, provider, in).has_value());
  }
}

class FailingProvider final : public KeyProvider {
 public:
  std::string Name() const override { return "failing"; }
  Result<AppKeyGrant> GetAppKey(const KeyRequest& request) override {
    seen = request;
    return Unavailable("kms unreachable");
  }
  KeyRequest seen;
};

TEST(BootTest, KeysAreRequestedAfterBootMrDoneAndFailureStopsBeforeReady) {
  FakeAttester attester;
  FailingProvider provider;
  auto out = RunBootSequence(attester, provider, Inputs());
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, Code::kUnavailable);
  EXPECT_EQ(provider.seen.attester, &attester);
  EXPECT_EQ(provider.seen.app_id.size(), 20u);
  auto log = attester.ReadEventLog();
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), 6u + 5);
  EXPECT_EQ(log->back().event, "boot-mr-done");
}

TEST(BootTest, ExtendFailureIsReported) {
  FakeAttester attester;
  attester.FailNextExtend();
  LocalKeyProvider provider(crypto::SecretBytes(Bytes(32, 1)));
  auto out = RunBootSequence(attester, provider, Inputs());
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().message.find("system-preparing"), std::string::npos);
}

TEST(BootTest, InstanceSeedIsCreatedOnceWithMode0600) {
  const std::string dir = teecloud::testing::MakeTempDir() + "/state/nested";
  crypto::FakeRandom random(1);
  auto first = LoadOrCreateInstanceSeed(dir, random);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/instance-seed").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto second = LoadOrCreateInstanceSeed(dir, random);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(ToHex(first->view()), ToHex(second->view()));
}

TEST(BootTest, InstanceSeedRejectsLooseModeAndWrongSize) {
  crypto::FakeRandom random(1);
  const std::string dir = teecloud::testing::MakeTempDir();
  ASSERT_TRUE(WriteFileAtomic(dir + "/instance-seed", Bytes(32, 1), 0644));
  EXPECT_EQ(LoadOrCreateInstanceSeed(dir, random).error().code, Code::kPermissionDenied);
  ASSERT_TRUE(WriteFileAtomic(dir + "/instance-seed", Bytes(31, 1), 0600));
  EXPECT_EQ(LoadOrCreateInstanceSeed(dir, random).error().code, Code::kDataLoss);
  ASSERT_TRUE(WriteFileAtomic(dir + "/file", Bytes(1, 1), 0600));
  EXPECT_FALSE(LoadOrCreateInstanceSeed(dir + "/file", random).has_value());
}

}  // namespace
}  // namespace teecloud::agent
