#include "node/node_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "crypto/hash.h"
#include "manifest/manifest.h"
#include "node/fake_cvm_backend.h"
#include "node/node_testing.h"
#include "testing/testing.h"

namespace teecloud::node {
namespace {

using ::teecloud::node::testing::TestManifest;

class NodeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = teecloud::testing::MakeTempDir();
    auto s = StateStore::Open(dir_ + "/state.db", clock_);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
    options_.stop_grace = std::chrono::milliseconds(0);
    options_.start_timeout_seconds = 30;
    options_.backoff_initial_seconds = 1;
    options_.backoff_max_seconds = 8;
    options_.backoff_reset_seconds = 60;
    RestartNode();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A new service over the same store and "machine" (the fake backend's processes survive).
  void RestartNode() {
    service_.reset();
    service_ = std::make_unique<NodeService>(*store_, backend_, clock_, random_, options_);
  }

  CvmRecord Deploy(const std::string& name, std::vector<PortMapping> ports = {},
                   RestartPolicy policy = RestartPolicy::kAlways) {
    DeployRequest r;
    r.name = name;
    r.manifest_json = TestManifest(name);
    r.ports = std::move(ports);
    r.restart_policy = policy;
    auto d = service_->Deploy(r);
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d ? d->cvm : CvmRecord{};
  }

  CvmRecord Get(const std::string& ref) {
    auto c = service_->Inspect(ref);
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c ? *c : CvmRecord{};
  }

  std::vector<std::string> EventKinds(const std::string& ref) {
    std::vector<std::string> out;
    const std::vector<CvmEvent> events = service_->Events(ref, 100).value();
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }

  size_t CountCalls(const std::string& prefix) {
    auto calls = backend_.calls();
    return static_cast<size_t>(std::count_if(
        calls.begin(), calls.end(), [&](const auto& c) { return c.rfind(prefix, 0) == 0; }));
  }

  FakeClock clock_{1750000000};
  crypto::FakeRandom random_{7};
  FakeCvmBackend backend_;
  NodeServiceOptions options_;
  std::string dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<NodeService> service_;
};

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string ManifestAllowing(const std::string& name, std::vector<std::string> allowed_envs,
                             uint64_t version = 1) {
  manifest::ManifestOptions o;
  o.name = name;
  o.version = version;
  o.key_provider = manifest::KeyProvider::kLocal;
  o.allowed_envs = std::move(allowed_envs);
  auto m = manifest::ManifestFromCompose(std::string(testing::kTestCompose), o);
  TEECLOUD_CHECK(m.has_value());
  return manifest::CanonicalManifestJson(*m);
}

TEST_F(NodeServiceTest, SealedSecretsAreKeptAcrossUpgradesUnlessReplaced) {
  const Bytes sealed(100, 0x5a);  // opaque to the node: only the agent can open it
  DeployRequest r;
  r.name = "web";
  r.manifest_json = ManifestAllowing("web", {"API_KEY"});
  r.sealed_env = sealed;
  auto d = service_->Deploy(r);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(Get("web").sealed_env, sealed);

  UpgradeRequest keep;
  keep.manifest_json = ManifestAllowing("web", {"API_KEY"}, 2);
  ASSERT_TRUE(service_->Upgrade("web", keep).has_value());
  EXPECT_EQ(Get("web").sealed_env, sealed);

  UpgradeRequest replace;
  replace.manifest_json = ManifestAllowing("web", {"API_KEY"}, 3);
  replace.sealed_env = Bytes(80, 0x33);
  ASSERT_TRUE(service_->Upgrade("web", replace).has_value());
  EXPECT_EQ(Get("web").sealed_env, Bytes(80, 0x33));

  // An upgrade whose manifest no longer lets any name through cannot keep secrets.
  UpgradeRequest drop_names;
  drop_names.manifest_json = ManifestAllowing("web", {}, 4);
  auto refused = service_->Upgrade("web", drop_names);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("allowed_envs"), std::string::npos);
  EXPECT_EQ(Get("web").generation, 3);
}

TEST_F(NodeServiceTest, SealedSecretsAreCheckedBeforeAnythingIsCreated) {
  DeployRequest r;
  r.name = "web";
  r.manifest_json = ManifestAllowing("web", {});
  r.sealed_env = Bytes(100, 1);
  auto no_names = service_->Deploy(r);
  ASSERT_FALSE(no_names.has_value());
  EXPECT_NE(no_names.error().message.find("allowed_envs"), std::string::npos);
  r.manifest_json = ManifestAllowing("web", {"API_KEY"});
  r.sealed_env = Bytes(10, 1);  // shorter than any sealed env
  auto too_short = service_->Deploy(r);
  ASSERT_FALSE(too_short.has_value());
  EXPECT_EQ(too_short.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(service_->List(true).value().empty());
  EXPECT_EQ(CountCalls("Create"), 0u);
}

TEST_F(NodeServiceTest, ComposeTheAgentWouldRefuseIsRefusedAtDeploy) {
  manifest::ManifestOptions o;
  o.name = "web";
  o.key_provider = manifest::KeyProvider::kLocal;
  o.allowed_envs = {"API_KEY"};
  // Valid for the manifest, but the secret would land in the engine's configuration.
  auto m = manifest::ManifestFromCompose(R"(services:
  web:
    image: teecloud/busybox:local
    command: ["echo", "${API_KEY}"]
)",
                                         o);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  DeployRequest r;
  r.name = "web";
  r.manifest_json = manifest::CanonicalManifestJson(*m);
  auto d = service_->Deploy(r);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("API_KEY"), std::string::npos);
  EXPECT_TRUE(service_->List(true).value().empty());
}

TEST_F(NodeServiceTest, DeployStartsTheAgentAndTickSeesItRunning) {
  const CvmRecord c = Deploy("web", {{8080, 80, "tcp"}});
  EXPECT_EQ(c.status, CvmStatus::kStarting);
  EXPECT_EQ(c.desired, DesiredState::kRunning);
  EXPECT_EQ(c.id.size(), 16u);
  EXPECT_EQ(c.instance_id.size(), 40u);
  EXPECT_NE(c.agent.pid, 0);
  // Policy-file mode: app id = manifest hash[0..20].
  EXPECT_EQ(c.app_id, c.manifest_hash.substr(0, 40));
  service_->Tick();
  EXPECT_EQ(Get("web").status, CvmStatus::kRunning);
  const auto kinds = EventKinds("web");
  EXPECT_EQ(kinds, (std::vector<std::string>{"created", "started", "running"}));
  // Found by id and app id too.
  EXPECT_EQ(Get(c.id).name, "web");
  EXPECT_EQ(Get(c.app_id).name, "web");
}

TEST_F(NodeServiceTest, InvalidDeploymentsChangeNothing) {
  struct Case {
    DeployRequest request;
    Code code;
    std::string message_part;
  };
  DeployRequest base;
  base.name = "web";
  base.manifest_json = TestManifest("web");
  std::vector<Case> cases;
  {
    Case c{base, Code::kInvalidArgument, "name"};
    c.request.name = "Web_1";
    cases.push_back(c);
  }
  {
    Case c{base, Code::kInvalidArgument, "invalid manifest"};
    c.request.manifest_json = "{\"manifest_version\": 1}";
    cases.push_back(c);
  }
  {
    Case c{base, Code::kInvalidArgument, "invalid manifest"};
    auto j = ParseJson(base.manifest_json).value();
    j["surprise"] = true;
    c.request.manifest_json = DumpJson(j);
    cases.push_back(c);
  }
  {
    Case c{base, Code::kFailedPrecondition, "key_provider \"kms\""};
    c.request.manifest_json = TestManifest("web", 1, manifest::KeyProvider::kKms);
    cases.push_back(c);
  }
  {
    Case c{base, Code::kInvalidArgument, "does not expose CVM port 81"};
    c.request.ports = {{8080, 81, "tcp"}};
    cases.push_back(c);
  }
  {
    Case c{base, Code::kInvalidArgument, "app_id"};
    c.request.app_id = "abc";
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    auto r = service_->Deploy(c.request);
    ASSERT_FALSE(r.has_value()) << c.message_part;
    EXPECT_EQ(r.error().code, c.code) << r.error().ToString();
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(backend_.calls().empty());
  EXPECT_TRUE(service_->List(true).value().empty());
}

TEST_F(NodeServiceTest, NameAndPortConflictsAre409AndChangeNothing) {
  Deploy("web", {{8080, 80, "tcp"}});
  const size_t calls = backend_.calls().size();

  DeployRequest again;
  again.name = "web";
  again.manifest_json = TestManifest("web");
  auto dup = service_->Deploy(again);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, Code::kAlreadyExists);
  EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);

  DeployRequest clash;
  clash.name = "api";
  clash.manifest_json = TestManifest("api");
  clash.ports = {{8080, 80, "tcp"}};
  auto port = service_->Deploy(clash);
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().code, Code::kAlreadyExists);
  EXPECT_NE(port.error().message.find("host port 8080/tcp is already reserved by CVM 'web'"),
            std::string::npos)
      << port.error().message;

  EXPECT_EQ(backend_.calls().size(), calls);
  EXPECT_EQ(service_->List(true).value().size(), 1u);
}

TEST_F(NodeServiceTest, PortsBusyOnTheHostAre409) {
  options_.host_port_available = [](uint16_t port, const std::string&) { return port != 9999; };
  RestartNode();
  DeployRequest r;
  r.name = "web";
  r.manifest_json = TestManifest("web");
  r.ports = {{9999, 80, "tcp"}};
  auto d = service_->Deploy(r);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, Code::kAlreadyExists);
  EXPECT_NE(d.error().message.find("another program"), std::string::npos);
  EXPECT_TRUE(service_->List(true).value().empty());
}

TEST_F(NodeServiceTest, AStartFailureAtDeployLeavesNothingBehind) {
  backend_.FailStarts("agent binary missing");
  DeployRequest r;
  r.name = "web";
  r.manifest_json = TestManifest("web");
  r.ports = {{8080, 80, "tcp"}};
  auto d = service_->Deploy(r);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("agent binary missing"), std::string::npos);
  EXPECT_NE(d.error().message.find("nothing was kept"), std::string::npos);
  EXPECT_TRUE(service_->List(true).value().empty());
  EXPECT_TRUE(backend_.data().empty());
  EXPECT_FALSE(store_->PortHolder(8080, "tcp").value().has_value());
}

TEST_F(NodeServiceTest, StopStartRestart) {
  const CvmRecord c = Deploy("web");
  service_->Tick();
  auto stopped = service_->Stop("web");
  ASSERT_TRUE(stopped.has_value()) << stopped.error().ToString();
  EXPECT_EQ(stopped->status, CvmStatus::kStopped);
  EXPECT_EQ(stopped->desired, DesiredState::kStopped);
  EXPECT_EQ(stopped->agent.pid, 0);
  EXPECT_TRUE(backend_.AliveProcesses(c.id).empty());
  clock_.Advance(100);
  service_->Tick();  // a stopped CVM stays stopped
  EXPECT_TRUE(backend_.AliveProcesses(c.id).empty());
  EXPECT_EQ(Get("web").status, CvmStatus::kStopped);
  // Stopping again is a no-op.
  EXPECT_TRUE(service_->Stop("web").has_value());

  auto started = service_->Start("web");
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->status, CvmStatus::kStarting);
  ASSERT_EQ(backend_.AliveProcesses(c.id).size(), 1u);
  // Starting a running CVM does not start a second agent.
  ASSERT_TRUE(service_->Start("web").has_value());
  EXPECT_EQ(backend_.AliveProcesses(c.id).size(), 1u);

  const int64_t before = Get("web").agent.pid;
  auto restarted = service_->Restart("web");
  ASSERT_TRUE(restarted.has_value());
  EXPECT_NE(restarted->agent.pid, before);
  EXPECT_EQ(backend_.AliveProcesses(c.id).size(), 1u);
  EXPECT_EQ(restarted->restart_count, 0);  // requested restarts are not crash restarts
  EXPECT_TRUE(Contains(EventKinds("web"), "restarted"));
}

TEST_F(NodeServiceTest, UpgradeKeepsAppIdInstanceAndData) {
  const CvmRecord c = Deploy("web", {{8080, 80, "tcp"}});
  service_->Tick();
  UpgradeRequest u;
  u.manifest_json = TestManifest("web", 2);
  auto up = service_->Upgrade("web", u);
  ASSERT_TRUE(up.has_value()) << up.error().ToString();
  EXPECT_EQ(up->app_id, c.app_id);
  EXPECT_EQ(up->instance_id, c.instance_id);
  EXPECT_NE(up->manifest_hash, c.manifest_hash);
  EXPECT_EQ(up->generation, 2);
  EXPECT_EQ(up->ports, c.ports);
  auto alive = backend_.AliveProcesses(c.id);
  ASSERT_EQ(alive.size(), 1u);
  EXPECT_EQ(alive[0].manifest_hash, up->manifest_hash);
  EXPECT_TRUE(backend_.data().count(c.id));
  auto history = service_->ManifestHistory("web").value();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].manifest_hash, c.manifest_hash);

  // A bad manifest changes nothing.
  UpgradeRequest bad;
  bad.manifest_json = "{}";
  ASSERT_FALSE(service_->Upgrade("web", bad).has_value());
  EXPECT_EQ(Get("web").manifest_hash, up->manifest_hash);
  EXPECT_EQ(backend_.AliveProcesses(c.id)[0].process, alive[0].process);
}

TEST_F(NodeServiceTest, UpgradeOfAStoppedCvmRunsAtTheNextStart) {
  const CvmRecord c = Deploy("web");
  ASSERT_TRUE(service_->Stop("web").has_value());
  UpgradeRequest u;
  u.manifest_json = TestManifest("web", 2);
  auto up = service_->Upgrade("web", u);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->status, CvmStatus::kStopped);
  EXPECT_TRUE(backend_.AliveProcesses(c.id).empty());
  ASSERT_TRUE(service_->Start("web").has_value());
  EXPECT_EQ(backend_.AliveProcesses(c.id)[0].manifest_hash, up->manifest_hash);
}

TEST_F(NodeServiceTest, RemoveKeepsDataAndDeployingTheNameResumesIt) {
  const CvmRecord c = Deploy("web", {{8080, 80, "tcp"}});
  auto removed = service_->Remove("web", false);
  ASSERT_TRUE(removed.has_value()) << removed.error().ToString();
  EXPECT_EQ(removed->status, CvmStatus::kRemoved);
  EXPECT_TRUE(backend_.AliveProcesses(c.id).empty());
  EXPECT_TRUE(backend_.data().count(c.id));  // data kept
  EXPECT_TRUE(service_->List(false).value().empty());
  EXPECT_EQ(service_->List(true).value().size(), 1u);
  // Its ports are free again, and lifecycle calls explain what happened.
  Deploy("other", {{8080, 80, "tcp"}});
  auto start = service_->Start("web");
  ASSERT_FALSE(start.has_value());
  EXPECT_EQ(start.error().code, Code::kFailedPrecondition);
  EXPECT_NE(start.error().message.find("removed"), std::string::npos);

  DeployRequest again;
  again.name = "web";
  again.manifest_json = TestManifest("web", 3);
  auto d = service_->Deploy(again);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_TRUE(d->resumed);
  EXPECT_EQ(d->cvm.id, c.id);
  EXPECT_EQ(d->cvm.app_id, c.app_id);  // identity kept although the manifest changed
  EXPECT_EQ(d->cvm.instance_id, c.instance_id);
  EXPECT_EQ(d->cvm.generation, 2);
  EXPECT_TRUE(Contains(EventKinds("web"), "resumed"));
}

TEST_F(NodeServiceTest, RemoveWithPurgeDeletesEverything) {
  const CvmRecord c = Deploy("web", {{8080, 80, "tcp"}});
  auto removed = service_->Remove("web", true);
  ASSERT_TRUE(removed.has_value());
  EXPECT_FALSE(backend_.data().count(c.id));
  EXPECT_EQ(service_->Inspect("web").error().code, Code::kNotFound);
  EXPECT_FALSE(store_->PortHolder(8080, "tcp").value().has_value());
  // A tombstone can be purged too.
  const CvmRecord d = Deploy("db");
  ASSERT_TRUE(service_->Remove("db", false).has_value());
  ASSERT_TRUE(service_->Remove("db", true).has_value());
  EXPECT_FALSE(backend_.data().count(d.id));
  EXPECT_TRUE(service_->List(true).value().empty());
}

TEST_F(NodeServiceTest, ADeadAgentIsRestartedWithBackoff) {
  const CvmRecord c = Deploy("web");
  service_->Tick();
  const int64_t pid1 = Get("web").agent.pid;
  backend_.Kill(pid1, 3);
  service_->Tick();
  CvmRecord now = Get("web");
  EXPECT_EQ(now.status, CvmStatus::kExited);
  EXPECT_EQ(now.agent.pid, 0);
  EXPECT_NE(now.status_detail.find("exited with code 3"), std::string::npos) << now.status_detail;
  EXPECT_NE(now.status_detail.find("restarting in 1s"), std::string::npos) << now.status_detail;
  service_->Tick();  // not yet
  EXPECT_EQ(Get("web").agent.pid, 0);
  clock_.Advance(1);
  service_->Tick();
  now = Get("web");
  EXPECT_EQ(now.status, CvmStatus::kStarting);
  EXPECT_EQ(now.restart_count, 1);
  EXPECT_EQ(service_->counters().agent_restarts, 1);
  // Second failure in a row: 2 s.
  backend_.Kill(now.agent.pid, 1);
  service_->Tick();
  EXPECT_NE(Get("web").status_detail.find("restarting in 2s"), std::string::npos);
  clock_.Advance(1);
  service_->Tick();
  EXPECT_EQ(Get("web").agent.pid, 0);
  clock_.Advance(1);
  service_->Tick();
  EXPECT_NE(Get("web").agent.pid, 0);
  EXPECT_EQ(Get("web").restart_count, 2);
  EXPECT_EQ(backend_.AliveProcesses(c.id).size(), 1u);
  EXPECT_TRUE(Contains(EventKinds("web"), "agent-exited"));
}

TEST_F(NodeServiceTest, BackoffIsCappedAndResetsAfterAStableRun) {
  Deploy("web");
  for (int i = 0; i < 6; ++i) {
    service_->Tick();
    backend_.Kill(Get("web").agent.pid, 1);
    service_->Tick();
    clock_.Advance(100);
    service_->Tick();
  }
  backend_.Kill(Get("web").agent.pid, 1);
  service_->Tick();
  EXPECT_NE(Get("web").status_detail.find("restarting in 8s"), std::string::npos)
      << Get("web").status_detail;  // capped at backoff_max_seconds
  clock_.Advance(8);
  service_->Tick();  // restarted
  service_->Tick();  // running
  clock_.Advance(61);
  service_->Tick();  // stable: reset
  backend_.Kill(Get("web").agent.pid, 1);
  service_->Tick();
  EXPECT_NE(Get("web").status_detail.find("restarting in 1s"), std::string::npos)
      << Get("web").status_detail;
}

TEST_F(NodeServiceTest, RestartPoliciesDecide) {
  const CvmRecord never = Deploy("never", {}, RestartPolicy::kNever);
  const CvmRecord onfail = Deploy("onfail", {}, RestartPolicy::kOnFailure);
  service_->Tick();
  backend_.Kill(Get("never").agent.pid, 1);
  backend_.Kill(Get("onfail").agent.pid, 0);  // clean exit
  service_->Tick();
  clock_.Advance(1000);
  service_->Tick();
  EXPECT_EQ(Get("never").status, CvmStatus::kExited);
  EXPECT_NE(Get("never").status_detail.find("not restarted (restart policy no)"),
            std::string::npos);
  EXPECT_EQ(Get("onfail").status, CvmStatus::kExited);
  EXPECT_TRUE(backend_.AliveProcesses(never.id).empty());
  EXPECT_TRUE(backend_.AliveProcesses(onfail.id).empty());
  // on-failure restarts a failure.
  ASSERT_TRUE(service_->Start("onfail").has_value());
  service_->Tick();
  backend_.Kill(Get("onfail").agent.pid, 2);
  service_->Tick();
  clock_.Advance(1);
  service_->Tick();
  EXPECT_EQ(backend_.AliveProcesses(onfail.id).size(), 1u);
}

TEST_F(NodeServiceTest, AnAgentThatNeverAnswersIsKilledAndRestarted) {
  const CvmRecord c = Deploy("web");
  backend_.SetAnswering(c.agent.pid, false);
  service_->Tick();
  EXPECT_EQ(Get("web").status, CvmStatus::kStarting);
  clock_.Advance(31);
  service_->Tick();
  const CvmRecord now = Get("web");
  EXPECT_EQ(now.status, CvmStatus::kExited);
  EXPECT_NE(now.status_detail.find("did not answer"), std::string::npos);
  EXPECT_TRUE(backend_.AliveProcesses(c.id).empty());
  clock_.Advance(1);
  service_->Tick();
  EXPECT_EQ(backend_.AliveProcesses(c.id).size(), 1u);
}

TEST_F(NodeServiceTest, ReconcileAdoptsRunningAgents) {
  const CvmRecord c = Deploy("web");
  service_->Tick();
  const size_t starts = CountCalls("Start ");
  RestartNode();
  auto report = service_->Reconcile();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->adopted, 1);
  EXPECT_EQ(report->started, 0);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_EQ(CountCalls("Start "), starts);
  const CvmRecord now = Get("web");
  EXPECT_EQ(now.agent, c.agent);  // same process
  EXPECT_EQ(now.status, CvmStatus::kRunning);
  EXPECT_TRUE(Contains(EventKinds("web"), "adopted"));
  EXPECT_EQ(service_->counters().adopted, 1);
}

TEST_F(NodeServiceTest, ReconcileRestartsAgentsThatDiedWhileTheNodeWasDown) {
  const CvmRecord c = Deploy("web");
  service_->Tick();
  RestartNode();
  backend_.Kill(c.agent.pid, 9);
  auto report = service_->Reconcile();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->started, 1);
  const CvmRecord now = Get("web");
  EXPECT_NE(now.agent.pid, c.agent.pid);
  EXPECT_EQ(now.restart_count, 1);
  EXPECT_EQ(backend_.AliveProcesses(c.id).size(), 1u);
}

TEST_F(NodeServiceTest, ReconcileStopsDuplicatesAndOrphans) {
  const CvmRecord c = Deploy("web");
  const AgentProcess dup = backend_.SpawnStray(c.id);
  const AgentProcess orphan = backend_.SpawnStray("ffffffffffffffff");
  RestartNode();
  auto report = service_->Reconcile();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->adopted, 1);
  EXPECT_EQ(report->duplicates_stopped, 1);
  EXPECT_EQ(report->orphans_stopped, 1);
  auto alive = backend_.AliveProcesses(c.id);
  ASSERT_EQ(alive.size(), 1u);
  EXPECT_EQ(alive[0].process, c.agent);  // the recorded one is kept
  EXPECT_TRUE(backend_.AliveProcesses("ffffffffffffffff").empty());
  (void)dup;
  (void)orphan;
}

// A crash between spawning an agent and recording its PID: the next start adopts the agent
// instead of starting a second one.
TEST_F(NodeServiceTest, ReconcileAdoptsAnAgentTheStoreNeverRecorded) {
  CvmRecord c;
  c.id = "00000000000000aa";
  c.name = "web";
  c.manifest_json = TestManifest("web");
  auto m = manifest::ParseManifest(c.manifest_json).value();
  c.manifest_hash = manifest::ManifestHashHex(m);
  c.app_id = c.manifest_hash.substr(0, 40);
  c.status = CvmStatus::kCreating;
  ASSERT_TRUE(store_->InsertCvm(c, {"created", ""}));
  ASSERT_TRUE(backend_.Create(c).has_value());
  const AgentProcess stray = backend_.SpawnStray(c.id);
  auto report = service_->Reconcile();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->adopted, 1);
  EXPECT_EQ(CountCalls("Start "), 0u);
  const CvmRecord now = Get("web");
  EXPECT_EQ(now.agent, stray);
  EXPECT_EQ(now.instance_id.size(), 40u);
}

TEST_F(NodeServiceTest, ReconcileFinishesInterruptedOperations) {
  const CvmRecord purge = Deploy("purge-me");
  const CvmRecord keep = Deploy("remove-me");
  const CvmRecord upgrade = Deploy("upgrade-me");
  const CvmRecord stop = Deploy("stop-me");
  // What each operation commits before it touches the backend, then the node dies.
  auto set = [&](const std::string& id, DesiredState d, CvmStatus s) {
    ASSERT_TRUE(store_->UpdateCvm(id, [&](CvmRecord& c, EventSpec&) {
      c.desired = d;
      c.status = s;
      return OkStatus();
    }));
  };
  set(purge.id, DesiredState::kPurged, CvmStatus::kRemoving);
  set(keep.id, DesiredState::kRemoved, CvmStatus::kRemoving);
  set(upgrade.id, DesiredState::kRunning, CvmStatus::kStopping);
  set(stop.id, DesiredState::kStopped, CvmStatus::kStopping);
  RestartNode();
  auto report = service_->Reconcile();
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->errors.empty());
  EXPECT_EQ(report->removals_finished, 2);

  EXPECT_EQ(service_->Inspect("purge-me").error().code, Code::kNotFound);
  EXPECT_FALSE(backend_.data().count(purge.id));
  EXPECT_TRUE(backend_.AliveProcesses(purge.id).empty());

  EXPECT_EQ(Get("remove-me").status, CvmStatus::kRemoved);
  EXPECT_TRUE(backend_.data().count(keep.id));
  EXPECT_TRUE(backend_.AliveProcesses(keep.id).empty());

  auto up = backend_.AliveProcesses(upgrade.id);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_NE(up[0].process, upgrade.agent);  // the old agent was stopped, a new one started

  EXPECT_EQ(Get("stop-me").status, CvmStatus::kStopped);
  EXPECT_TRUE(backend_.AliveProcesses(stop.id).empty());
}

TEST_F(NodeServiceTest, AttestBindsTheNonce) {
  const CvmRecord c = Deploy("web");
  const Bytes nonce(16, 0x42);
  auto early = service_->Attest("web", nonce);
  ASSERT_FALSE(early.has_value());  // still starting
  EXPECT_EQ(early.error().code, Code::kFailedPrecondition);
  service_->Tick();
  auto a = service_->Attest("web", nonce);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  const auto expected = crypto::Sha512(Concat({AsBytes("teecloud-node-attest:v1:"), nonce}));
  EXPECT_EQ(a->report_data, Bytes(expected.begin(), expected.end()));
  EXPECT_EQ(backend_.last_report_data(), a->report_data);
  EXPECT_EQ(a->cvm.id, c.id);
  auto short_nonce = service_->Attest("web", Bytes(4, 1));
  ASSERT_FALSE(short_nonce.has_value());
  EXPECT_EQ(short_nonce.error().code, Code::kInvalidArgument);
}

TEST_F(NodeServiceTest, LogsComeFromTheBackend) {
  const CvmRecord c = Deploy("web");
  backend_.AppendLog(c.id, "hello\n");
  std::string got;
  ASSERT_TRUE(service_->Logs("web", {}, [&](std::string_view s) {
    got.append(s);
    return true;
  }));
  EXPECT_EQ(got, "hello\n");
  EXPECT_EQ(service_->Logs("nope", {}, [](std::string_view) { return true; }).error().code,
            Code::kNotFound);
}

}  // namespace
}  // namespace teecloud::node
