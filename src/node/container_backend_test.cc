// The container backend with real processes: node_fake_agent stands in for teecloud-agent (same
// command line, answers /Info and /GetQuote on its socket). Every wait is bounded; every process
// started is killed by PID in TearDown.
#include "node/container_backend.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/file.h"
#include "manifest/manifest.h"
#include "node/agent_client.h"
#include "node/node_testing.h"
#include "node/process.h"
#include "testing/testing.h"

namespace teecloud::node {
namespace {

using ::teecloud::node::testing::TestManifest;

using ::teecloud::testing::WaitUntil;

class ContainerBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = teecloud::testing::MakeTempDir();
    backend_ = OpenBackend();
    ASSERT_TRUE(backend_);
  }
  void TearDown() override {
    ::unsetenv("TEECLOUD_FAKE_AGENT_EXIT");
    ::unsetenv("TEECLOUD_FAKE_AGENT_IGNORE_TERM");
    if (backend_) {
      if (auto agents = backend_->Discover()) {
        for (const auto& a : *agents) ::kill(static_cast<pid_t>(a.process.pid), SIGKILL);
        for (const auto& a : *agents) (void)TerminateProcess(a.process, std::chrono::seconds(0));
      }
    }
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ContainerBackend> OpenBackend() {
    ContainerBackendOptions o;
    o.data_dir = dir_;
    o.agent_binary = TEECLOUD_NODE_FAKE_AGENT;
    o.follow_poll = std::chrono::milliseconds(10);
    auto b = ContainerBackend::Open(o, clock_, random_);
    EXPECT_TRUE(b.has_value()) << b.error().ToString();
    return b ? std::move(*b) : nullptr;
  }

  CvmRecord Record(const std::string& id, const std::string& name = "web") {
    CvmRecord c;
    c.id = id;
    c.name = name;
    c.manifest_json = TestManifest(name);
    c.manifest_hash = manifest::ManifestHashHex(manifest::ParseManifest(c.manifest_json).value());
    c.app_id = c.manifest_hash.substr(0, 40);
    return c;
  }

  // Create + Start, then waits until the agent answers.
  CvmRecord Launch(const std::string& id) {
    CvmRecord c = Record(id);
    auto inst = backend_->Create(c);
    EXPECT_TRUE(inst.has_value()) << inst.error().ToString();
    c.instance_id = inst.value_or("");
    auto p = backend_->Start(c);
    EXPECT_TRUE(p.has_value()) << p.error().ToString();
    c.agent = p.value_or(AgentProcess{});
    EXPECT_TRUE(WaitUntil([&] { return backend_->Observe(c, true).state == AgentState::kRunning; },
                        std::chrono::seconds(10)));
    return c;
  }

  FakeClock clock_{1750000000};
  crypto::FakeRandom random_{11};
  std::string dir_;
  std::unique_ptr<ContainerBackend> backend_;
};

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST_F(ContainerBackendTest, OpenCreatesTheNodeLayoutOnce) {
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/sim/root.pem"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/sim/collateral.json"));
  EXPECT_EQ(Mode(dir_ + "/keys/local-key-seed"), 0600u);
  EXPECT_EQ(Mode(dir_ + "/keys"), 0700u);
  EXPECT_EQ(Mode(dir_ + "/cvms"), 0700u);
  const Bytes seed = ReadFile(dir_ + "/keys/local-key-seed").value();
  const Bytes root = ReadFile(dir_ + "/sim/root.pem").value();
  EXPECT_EQ(seed.size(), 32u);
  auto again = OpenBackend();
  ASSERT_TRUE(again);
  EXPECT_EQ(ReadFile(dir_ + "/keys/local-key-seed").value(), seed);
  EXPECT_EQ(ReadFile(dir_ + "/sim/root.pem").value(), root);
}

TEST_F(ContainerBackendTest, SimulationTrustIsTheSimDirsRootAndCollateral) {
  auto trust = backend_->SimulationTrust();
  ASSERT_TRUE(trust.has_value()) << trust.error().ToString();
  EXPECT_EQ(trust->root_pem, ReadTextFile(dir_ + "/sim/root.pem").value());
  EXPECT_EQ(trust->collateral_json, ReadTextFile(dir_ + "/sim/collateral.json").value());
  EXPECT_NE(trust->root_pem.find("BEGIN CERTIFICATE"), std::string::npos);

  // A damaged sim directory is the node's error, named as such.
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/sim/collateral.json", AsBytes("{}")));
  auto broken = backend_->SimulationTrust();
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code, Code::kInternal);
  EXPECT_NE(broken.error().message.find("simulation PKI"), std::string::npos)
      << broken.error().message;
}

TEST_F(ContainerBackendTest, OpenRefusesAMissingAgentBinary) {
  ContainerBackendOptions o;
  o.data_dir = dir_;
  o.agent_binary = dir_ + "/no-such-agent";
  auto b = ContainerBackend::Open(o, clock_, random_);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().message.find("--agent-binary"), std::string::npos);
}

TEST_F(ContainerBackendTest, AgentArgvHasEveryFlagAndNothingSecret) {
  AgentLaunch l;
  l.agent_binary = "/bin/teecloud-agent";
  l.sim_dir = "/d/sim";
  l.socket_path = "/d/cvms/x/agent.sock";
  l.manifest_path = "/d/cvms/x/manifest.json";
  l.app_id = std::string(40, 'a');
  l.key_provider = "local";
  l.key_seed_file = "/d/keys/local-key-seed";
  l.state_dir = "/d/cvms/x/state";
  EXPECT_EQ(AgentArgv(l),
            (std::vector<std::string>{"/bin/teecloud-agent", "--tee", "sim", "--sim-dir", "/d/sim",
                                      "--socket", "/d/cvms/x/agent.sock", "--manifest",
                                      "/d/cvms/x/manifest.json", "--app-id", std::string(40, 'a'),
                                      "--state-dir", "/d/cvms/x/state", "--key-provider", "local",
                                      "--key-seed-file", "/d/keys/local-key-seed"}));
  l.key_provider = "none";
  const auto none = AgentArgv(l);
  EXPECT_EQ(std::find(none.begin(), none.end(), "--key-provider"), none.end());
}

TEST_F(ContainerBackendTest, CreateKeepsTheInstanceSeed) {
  const CvmRecord c = Record("00000000000000a1");
  auto first = backend_->Create(c);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->size(), 40u);
  const std::string cvm_dir = dir_ + "/cvms/00000000000000a1";
  EXPECT_EQ(Mode(cvm_dir), 0700u);
  EXPECT_EQ(Mode(cvm_dir + "/state"), 0700u);
  EXPECT_EQ(Mode(cvm_dir + "/state/instance-seed"), 0600u);
  EXPECT_EQ(ReadTextFile(cvm_dir + "/manifest.json").value(), c.manifest_json);
  CvmRecord upgraded = c;
  upgraded.manifest_json = TestManifest("web", 2);
  EXPECT_EQ(backend_->Create(upgraded).value(), *first);  // same seed → same instance id
  EXPECT_EQ(ReadTextFile(cvm_dir + "/manifest.json").value(), upgraded.manifest_json);
  CvmRecord bad = c;
  bad.id = "../../etc";
  EXPECT_FALSE(backend_->Create(bad).has_value());
}

TEST_F(ContainerBackendTest, StartsTalksToAndStopsAnAgent) {
  CvmRecord c = Launch("00000000000000b1");
  ASSERT_NE(c.agent.pid, 0);
  // Its own session, and none of our descriptors.
  EXPECT_EQ(::getsid(static_cast<pid_t>(c.agent.pid)), c.agent.pid);
  // The agent reads the seed the node wrote: same instance id on both sides.
  auto info = AgentClient(backend_->SocketPath(c.id), std::chrono::seconds(5)).Info();
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ((*info)["instance_id"], c.instance_id);
  EXPECT_EQ((*info)["app_id"], c.app_id);

  const Bytes report_data(64, 0x5a);
  auto a = backend_->Attest(c, report_data);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(ToHex(a->quote), ToHex(AsBytes("FAKEQUOTE")) + ToHex(report_data));
  EXPECT_TRUE(a->event_log.is_array());
  EXPECT_TRUE(a->simulated);

  std::string logs;
  ASSERT_TRUE(backend_->Logs(c, {}, [&](std::string_view s) {
    logs.append(s);
    return true;
  }));
  EXPECT_NE(logs.find("fake agent: socket"), std::string::npos) << logs;

  ASSERT_TRUE(backend_->Stop(c.id, c.agent, std::chrono::seconds(5)));
  EXPECT_FALSE(ProcessStartTime(c.agent.pid).has_value());
  EXPECT_EQ(backend_->Observe(c, false).state, AgentState::kExited);
}

TEST_F(ContainerBackendTest, AgentsHoldNoneOfTheNodesDescriptors) {
  // A listening socket without close-on-exec, as a server library might leave it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const CvmRecord c = Launch("00000000000000b2");
  const std::string ours =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd)).string();
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(c.agent.pid) + "/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec).string();
    EXPECT_NE(target, ours) << "agent inherited fd " << e.path();
  }
  ::close(fd);
}

TEST_F(ContainerBackendTest, DetectsADeadAgent) {
  const CvmRecord c = Launch("00000000000000c1");
  ::kill(static_cast<pid_t>(c.agent.pid), SIGKILL);
  Observation obs;
  ASSERT_TRUE(WaitUntil(
      [&] {
        obs = backend_->Observe(c, false);
        return obs.state == AgentState::kExited;
      },
      std::chrono::seconds(10)));
  EXPECT_TRUE(obs.failed);
  EXPECT_NE(obs.detail.find("signal 9"), std::string::npos) << obs.detail;
}

TEST_F(ContainerBackendTest, ReportsAnAgentThatExitsAtOnce) {
  ::setenv("TEECLOUD_FAKE_AGENT_EXIT", "3", 1);
  CvmRecord c = Record("00000000000000c2");
  ASSERT_TRUE(backend_->Create(c).has_value());
  auto p = backend_->Start(c);
  ASSERT_TRUE(p.has_value());
  c.agent = *p;
  Observation obs;
  ASSERT_TRUE(WaitUntil(
      [&] {
        obs = backend_->Observe(c, true);
        return obs.state == AgentState::kExited;
      },
      std::chrono::seconds(10)));
  EXPECT_TRUE(obs.failed);
  EXPECT_NE(obs.detail.find("exited with code 3"), std::string::npos) << obs.detail;
}

TEST_F(ContainerBackendTest, StopFallsBackToSigkill) {
  ::setenv("TEECLOUD_FAKE_AGENT_IGNORE_TERM", "1", 1);
  const CvmRecord c = Launch("00000000000000c3");
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(backend_->Stop(c.id, c.agent, std::chrono::milliseconds(300)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_FALSE(ProcessStartTime(c.agent.pid).has_value());
}

TEST_F(ContainerBackendTest, StopNeverSignalsARecycledPid) {
  const CvmRecord c = Launch("00000000000000c4");
  AgentProcess wrong = c.agent;
  wrong.start_time += 1;  // same PID, another process as far as the node can tell
  ASSERT_TRUE(backend_->Stop(c.id, wrong, std::chrono::milliseconds(100)));
  EXPECT_TRUE(ProcessStartTime(c.agent.pid).has_value());
  EXPECT_EQ(backend_->Observe(c, true).state, AgentState::kRunning);
}

TEST_F(ContainerBackendTest, DiscoverFindsTheAgentsOfThisDataDirOnly) {
  const CvmRecord a = Launch("00000000000000d1");
  const CvmRecord b = Launch("00000000000000d2");
  auto fresh = OpenBackend();  // as after a node restart
  auto found = fresh->Discover();
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 2u);
  for (const DiscoveredAgent& d : *found) {
    const CvmRecord& c = d.cvm_id == a.id ? a : b;
    EXPECT_EQ(d.process, c.agent);
  }
  EXPECT_EQ(fresh->Observe(a, true).state, AgentState::kRunning);
}

TEST_F(ContainerBackendTest, RemoveKeepsStateUnlessPurged) {
  CvmRecord c = Launch("00000000000000e1");
  ASSERT_TRUE(backend_->Stop(c.id, c.agent, std::chrono::seconds(5)));
  const std::string cvm_dir = dir_ + "/cvms/" + c.id;
  ASSERT_TRUE(backend_->Remove(c, false));
  EXPECT_TRUE(std::filesystem::exists(cvm_dir + "/state/instance-seed"));
  EXPECT_FALSE(std::filesystem::exists(cvm_dir + "/agent.log"));
  EXPECT_FALSE(std::filesystem::exists(cvm_dir + "/manifest.json"));
  EXPECT_EQ(backend_->Create(c).value(), c.instance_id);  // resumable
  ASSERT_TRUE(backend_->Remove(c, true));
  EXPECT_FALSE(std::filesystem::exists(cvm_dir));
}

TEST_F(ContainerBackendTest, LogsTailAndFollow) {
  CvmRecord c = Record("00000000000000f1");
  ASSERT_TRUE(backend_->Create(c).has_value());
  const std::string log = dir_ + "/cvms/" + c.id + "/agent.log";
  ASSERT_TRUE(WriteFileAtomic(log, AsBytes("one\ntwo\nthree\n")));
  std::string tail;
  LogOptions o;
  o.tail_lines = 2;
  ASSERT_TRUE(backend_->Logs(c, o, [&](std::string_view s) {
    tail.append(s);
    return true;
  }));
  EXPECT_EQ(tail, "two\nthree\n");

  std::string followed;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    FILE* f = std::fopen(log.c_str(), "a");
    std::fputs("four\n", f);
    std::fclose(f);
  });
  LogOptions f;
  f.tail_lines = 0;
  f.follow = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  f.cancelled = [&] { return std::chrono::steady_clock::now() > deadline; };
  ASSERT_TRUE(backend_->Logs(c, f, [&](std::string_view s) {
    followed.append(s);
    return followed.find("four\n") == std::string::npos;
  }));
  writer.join();
  EXPECT_EQ(followed, "four\n");
}

}  // namespace
}  // namespace teecloud::node
