// End to end: a real anvil on a free loopback port, the contracts compiled during the build, and
// the real `teecloud` binary driving governance flows: deploy, create, propose, activate too
// early (refused), anvil time travel then activate on time, allowed/refused boot infos, guardian
// veto, revoke, rollback refused (minVersion), freeze. Plus the C++ client itself against anvil
// (both transaction types accepted, sender recovered by the node).
//
// Every wait is bounded; anvil is killed by its pid. Skips (with a message) only when anvil is
// not installed (scripts/deps.sh installs it; CI has it).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/jcs.h"
#include "base/json.h"
#include "chain/contracts.h"
#include "chain/deployment.h"
#include "chain/http_eth_rpc.h"
#include "chain/signer.h"
#include "chain/tx_sender.h"
#include "crypto/hash.h"
#include "testing/testing.h"

namespace teecloud::chain {
namespace {

using namespace std::chrono_literals;

// anvil's default accounts (well-known test keys, funded on every anvil).
constexpr char kKey0[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kAddr0[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr char kKey1[] = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr char kAddr1[] = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
constexpr char kKey2[] = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

std::string AnvilPath() {
  const char* env = std::getenv("TEECLOUD_ANVIL");
  return env != nullptr && *env != '\0' ? env : TEECLOUD_ANVIL;
}

std::string CliPath() {
  const char* dir = std::getenv("TEECLOUD_BIN_DIR");
  if (dir != nullptr && *dir != '\0') {
    std::string p = std::string(dir) + "/teecloud";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
#ifdef TEECLOUD_CLI_BINARY
  return TEECLOUD_CLI_BINARY;
#else
  return "";
#endif
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A child process with stdout/stderr in files, an explicit environment, killed by pid.
struct Child {
  pid_t pid = -1;
};

Child Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    if (key == kPrivateKeyEnv || key == "TEECLOUD_CONTRACTS" || env.contains(key)) continue;
    env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) {
    if (!v.empty()) env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env_strings) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  return c;
}

// Waits up to `timeout` for the child; kills it (by pid) after that. Returns the exit code, or
// -1 when it was killed or died of a signal.
int WaitOrKill(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One anvil per test process (CTest runs each test in its own process).
class AnvilNode {
 public:
  bool Start(const std::string& dir, std::string* why) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      if (port_ == 0) continue;
      child_ = Spawn({AnvilPath(), "--host", "127.0.0.1", "--port", std::to_string(port_)}, {},
                     dir + "/anvil.out", dir + "/anvil.err");
      RpcClientOptions options;
      options.request_timeout = 2s;
      auto rpc = HttpEthRpc::Create(url(), options);
      // anvil answers within ~0.2 s; give it 20 s on a loaded machine.
      for (int i = 0; i < 400; ++i) {
        if ((*rpc)->ChainId().has_value()) return true;
        int status = 0;
        if (::waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
          child_.pid = -1;
          break;
        }
        std::this_thread::sleep_for(50ms);
      }
      Stop();
    }
    *why = "anvil did not start: " + Slurp(dir + "/anvil.err");
    return false;
  }

  void Stop() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGTERM);
    if (WaitOrKill(child_.pid, 5s) == -1) {
      // WaitOrKill already sent SIGKILL and reaped it.
    }
    child_.pid = -1;
  }

  ~AnvilNode() { Stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  Child child_;
};

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
  Json json;
  std::string Output() const { return "stdout: " + out + "\nstderr: " + err; }
};

// The hash the CLI computes: SHA-256 of the manifest's RFC 8785 form.
struct TestManifest {
  std::string path;
  std::string hash;  // 0x + 64 hex
  uint64_t version = 0;
};

class ChainCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(AnvilPath().c_str(), X_OK) != 0) {
      skip_ = "anvil not found at " + AnvilPath() + " (scripts/deps.sh installs it; CI has it)";
      return;
    }
    dir_ = new std::string(testing::MakeTempDir());
    anvil_ = new AnvilNode();
    std::string why;
    if (!anvil_->Start(*dir_, &why)) failure_ = why;
  }

  static void TearDownTestSuite() {
    delete anvil_;
    anvil_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(failure_.empty()) << failure_;
    ASSERT_FALSE(CliPath().empty()) << "teecloud binary not built";
    auto artifacts = ReadFile(TEECLOUD_CONTRACTS_JSON);
    ASSERT_TRUE(artifacts.has_value())
        << "contract artifacts missing at " << TEECLOUD_CONTRACTS_JSON
        << " (node + tools/node_modules/solc are needed to build them)";
    home_ = testing::MakeTempDir();
  }

  std::string Home() const { return home_; }
  std::string DeploymentPath() const { return home_ + "/.teecloud/deployment.json"; }

  // Runs `teecloud args...` with HOME = a fresh directory and the given key in
  // TEECLOUD_PRIVATE_KEY ("" for none). Bounded to 60 s.
  CliRun Teecloud(const std::vector<std::string>& args, const std::string& key = kKey0) {
    static int n = 0;
    const std::string base = home_ + "/run" + std::to_string(n++);
    std::vector<std::string> argv = {CliPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = {
        {"HOME", home_}, {kPrivateKeyEnv, key}, {"TEECLOUD_CONTRACTS", TEECLOUD_CONTRACTS_JSON}};
    Child c = Spawn(argv, env, base + ".out", base + ".err");
    CliRun r;
    r.code = WaitOrKill(c.pid, 60s);
    r.out = Slurp(base + ".out");
    r.err = Slurp(base + ".err");
    if (auto j = ParseJson(r.out)) r.json = std::move(*j);
    // No output of any command ever contains a private key.
    for (const char* k : {kKey0, kKey1, kKey2}) {
      EXPECT_EQ(r.out.find(k), std::string::npos) << "private key printed";
      EXPECT_EQ(r.err.find(k), std::string::npos) << "private key printed";
    }
    return r;
  }

  void Deploy() {
    CliRun r = Teecloud({"chain", "deploy", "--rpc", anvil_->url(), "--min-upgrade-delay", "60"});
    ASSERT_EQ(r.code, 0) << r.Output();
  }

  TestManifest WriteManifest(const std::string& name, uint64_t version, const std::string& image) {
    Json m = {{"manifest_version", 1},
              {"name", name},
              {"version", version},
              {"runner", "docker-compose"},
              {"docker_compose_file", "services:\n  web:\n    image: " + image + "\n"},
              {"allowed_envs", Json::array()},
              {"ports", Json::array({{{"port", 80}, {"protocol", "http"}}})},
              {"key_provider", "kms"},
              {"gateway", true},
              {"public_logs", false}};
    TestManifest t;
    t.path = home_ + "/" + name + "-v" + std::to_string(version) + "-" +
             std::to_string(image.size()) + ".json";
    // Written pretty-printed: the hash is of the canonical form, not of the file's bytes.
    std::ofstream(t.path) << m.dump(2);
    auto canonical = CanonicalizeJson(m);
    EXPECT_TRUE(canonical.has_value());
    t.hash = HexData(crypto::Sha256(AsBytes(*canonical)));
    t.version = version;
    return t;
  }

  std::string WriteBootInfo(const std::string& manifest_hash, uint64_t version,
                            const std::string& os_image, const std::string& extra = "") {
    static int n = 0;
    const std::string path = home_ + "/boot" + std::to_string(n++) + ".json";
    std::ofstream(path) << R"({"manifest_hash":")" << manifest_hash << R"(","manifest_version":)"
                        << version << R"(,"os_image_hash":")" << os_image
                        << R"(","tcb_status":"UpToDate")" << extra << "}";
    return path;
  }

  std::string KeyFile(const std::string& key, mode_t mode) {
    static int n = 0;
    const std::string path = home_ + "/key" + std::to_string(n++);
    std::ofstream(path) << key << "\n";
    ::chmod(path.c_str(), mode);
    return path;
  }

  void TimeTravel(uint64_t seconds) {
    auto anvil = AnvilRpc::Create(anvil_->url());
    ASSERT_TRUE(anvil.has_value());
    ASSERT_TRUE((*anvil)->IncreaseTime(seconds).has_value());
    ASSERT_TRUE((*anvil)->Mine().has_value());
  }

  // Deploys, allows kOsImage and creates app `name` from manifest `v1`; returns the app id.
  std::string SetUpApp(const std::string& name, const TestManifest& v1,
                       const std::vector<std::string>& extra = {}) {
    Deploy();
    CliRun add = Teecloud({"registry", "add-os-image", kOsImage});
    EXPECT_EQ(add.code, 0) << add.Output();
    std::vector<std::string> args = {"app",   "create",  name,  "--manifest",
                                     v1.path, "--delay", "3600"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun create = Teecloud(args);
    EXPECT_EQ(create.code, 0) << create.Output();
    std::string id = create.out.substr(0, create.out.find('\n'));
    EXPECT_TRUE(ParseAddress(id).has_value()) << create.Output();
    return id;
  }

  static constexpr char kOsImage[] =
      "0x1111111111111111111111111111111111111111111111111111111111111111";
  static constexpr char kOtherOsImage[] =
      "0x2222222222222222222222222222222222222222222222222222222222222222";

  static inline std::string skip_;
  static inline std::string failure_;
  static inline std::string* dir_ = nullptr;
  static inline AnvilNode* anvil_ = nullptr;
  std::string home_;
};

bool IsTxHashLine(const std::string& out) {
  return out.size() == 67 && out.starts_with("0x") && out.back() == '\n';
}

TEST_F(ChainCliTest, DeployAndRegistry) {
  Deploy();
  struct stat st {};
  ASSERT_EQ(::stat(DeploymentPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  auto deployment = LoadDeployment(DeploymentPath());
  ASSERT_TRUE(deployment.has_value()) << deployment.error().ToString();
  EXPECT_EQ(deployment->chain_id, 31337u);
  EXPECT_EQ(deployment->rpc, anvil_->url());
  EXPECT_EQ(ChecksumAddress(deployment->deployer), kAddr0);
  EXPECT_NE(deployment->registry, deployment->factory);

  CliRun status = Teecloud({"registry", "status", "--json"});
  ASSERT_EQ(status.code, 0) << status.Output();
  EXPECT_EQ(status.json["owner"], kAddr0);
  EXPECT_EQ(status.json["app_factory"], ChecksumAddress(deployment->factory));
  EXPECT_EQ(status.json["min_upgrade_delay"], 60);
  EXPECT_TRUE(status.json["os_images"].empty());

  CliRun add = Teecloud({"registry", "add-os-image", kOsImage});
  ASSERT_EQ(add.code, 0) << add.Output();
  EXPECT_TRUE(IsTxHashLine(add.out)) << add.out;
  EXPECT_NE(add.err.find("mined in block"), std::string::npos);
  status = Teecloud({"registry", "status", "--json"});
  EXPECT_EQ(status.json["os_images"], Json::array({kOsImage}));
  CliRun text = Teecloud({"registry", "status"});
  EXPECT_NE(text.out.find(kOsImage), std::string::npos) << text.Output();

  // Only the owner governs the registry; reverts exit 1 with the decoded custom error.
  CliRun stranger = Teecloud({"registry", "add-os-image", kOtherOsImage}, kKey1);
  EXPECT_EQ(stranger.code, 1) << stranger.Output();
  EXPECT_NE(stranger.err.find("OwnableUnauthorizedAccount(account=" + std::string(kAddr1) + ")"),
            std::string::npos)
      << stranger.Output();

  ASSERT_EQ(Teecloud({"registry", "remove-os-image", kOsImage}).code, 0);
  CliRun again = Teecloud({"registry", "remove-os-image", kOsImage});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("OsImageNotAllowed(osImageHash=" + std::string(kOsImage) + ")"),
            std::string::npos)
      << again.Output();

  // A second deploy replaces the deployment file with a fresh network.
  CliRun redeploy = Teecloud({"chain", "deploy", "--rpc", anvil_->url()});
  ASSERT_EQ(redeploy.code, 0) << redeploy.Output();
  EXPECT_NE(redeploy.err.find("replacing"), std::string::npos);
  auto fresh = LoadDeployment(DeploymentPath());
  ASSERT_TRUE(fresh.has_value());
  EXPECT_NE(fresh->registry, deployment->registry);
  status = Teecloud({"registry", "status", "--json"});
  EXPECT_EQ(status.json["min_upgrade_delay"], 3600);  // the default
}

TEST_F(ChainCliTest, TimelockedUpgradeAndBootChecks) {
  const TestManifest v1 = WriteManifest("hello", 1, "nginx:1.25");
  const TestManifest v2 = WriteManifest("hello", 2, "nginx:1.27");
  const std::string app = SetUpApp("hello", v1);
  ASSERT_FALSE(HasFailure());
  auto deployment = LoadDeployment(DeploymentPath());
  ASSERT_TRUE(deployment.has_value());
  EXPECT_EQ(ChecksumAddress(deployment->apps.at("hello")), app);

  CliRun status = Teecloud({"app", "status", "hello", "--json"});
  ASSERT_EQ(status.code, 0) << status.Output();
  EXPECT_EQ(status.json["app"], app);
  EXPECT_EQ(status.json["registered"], true);
  EXPECT_EQ(status.json["owner"], kAddr0);
  EXPECT_EQ(status.json["frozen"], false);
  EXPECT_EQ(status.json["upgrade_delay"], 3600);
  ASSERT_EQ(status.json["manifests"].size(), 1u);
  EXPECT_EQ(status.json["manifests"][0]["hash"], v1.hash);  // SHA-256 of the JCS form
  EXPECT_EQ(status.json["manifests"][0]["version"], 1);

  // Boot checks: allowed, then each refusal with its reason (exit 1).
  CliRun ok = Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v1.hash, 1, kOsImage)});
  EXPECT_EQ(ok.code, 0) << ok.Output();
  EXPECT_EQ(ok.out, "allowed\n");
  CliRun os =
      Teecloud({"app", "check", "hello", "--boot-info", WriteBootInfo(v1.hash, 1, kOtherOsImage)});
  EXPECT_EQ(os.code, 1);
  EXPECT_EQ(os.out, "refused: OS image not allowed\n");
  CliRun unknown =
      Teecloud({"app", "check", app, "--json", "--boot-info", WriteBootInfo(v2.hash, 2, kOsImage)});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.json["allowed"], false);
  EXPECT_EQ(unknown.json["reason"], "manifest not allowed");
  CliRun mismatch =
      Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v1.hash, 2, kOsImage)});
  EXPECT_EQ(mismatch.out, "refused: manifest version mismatch\n");

  // Propose v2: activation refused before the timelock, accepted after anvil's time travel.
  CliRun propose = Teecloud({"app", "propose", "hello", "--manifest", v2.path});
  ASSERT_EQ(propose.code, 0) << propose.Output();
  EXPECT_TRUE(IsTxHashLine(propose.out));
  EXPECT_NE(propose.err.find("ManifestProposed(manifestHash=" + v2.hash + ", version=2"),
            std::string::npos)
      << propose.Output();
  status = Teecloud({"app", "status", app, "--json"});
  ASSERT_EQ(status.json["pending"].size(), 1u);
  EXPECT_EQ(status.json["pending"][0]["hash"], v2.hash);
  EXPECT_EQ(status.json["pending"][0]["ready"], false);
  const uint64_t ready_at = status.json["pending"][0]["ready_at"].get<uint64_t>();
  EXPECT_GE(ready_at, status.json["block"]["timestamp"].get<uint64_t>() + 3600 - 5);

  CliRun early = Teecloud({"app", "activate", app, v2.hash});
  EXPECT_EQ(early.code, 1) << early.Output();
  EXPECT_NE(early.err.find("TimelockNotElapsed(readyAt=" + std::to_string(ready_at)),
            std::string::npos)
      << early.Output();
  EXPECT_EQ(
      Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v2.hash, 2, kOsImage)}).code, 1);

  TimeTravel(3600);
  CliRun text_status = Teecloud({"app", "status", app});
  EXPECT_NE(text_status.out.find("(ready)"), std::string::npos) << text_status.Output();
  CliRun activate = Teecloud({"app", "activate", "hello", v2.hash});
  ASSERT_EQ(activate.code, 0) << activate.Output();
  EXPECT_TRUE(IsTxHashLine(activate.out));
  CliRun v2_ok =
      Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v2.hash, 2, kOsImage)});
  EXPECT_EQ(v2_ok.code, 0) << v2_ok.Output();
  // Activation alone keeps v1 allowed (gradual rollout).
  EXPECT_EQ(
      Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v1.hash, 1, kOsImage)}).code, 0);

  status = Teecloud({"app", "status", app, "--json", "--history"});
  EXPECT_EQ(status.json["manifests"].size(), 2u);
  EXPECT_TRUE(status.json["pending"].empty());
  std::vector<std::string> events;
  for (const Json& e : status.json["history"]) events.push_back(e["event"]);
  EXPECT_EQ(events, (std::vector<std::string>{"OwnershipTransferred", "UpgradeDelaySet",
                                              "ManifestActivated", "AllowAnyDeviceSet",
                                              "ManifestProposed", "ManifestActivated"}));
}

TEST_F(ChainCliTest, GuardianVeto) {
  const TestManifest v1 = WriteManifest("vetoed", 1, "redis:7");
  const TestManifest v2 = WriteManifest("vetoed", 2, "redis:7.2");
  const std::string app = SetUpApp("vetoed", v1, {"--guardian", kAddr1});
  ASSERT_FALSE(HasFailure());
  CliRun status = Teecloud({"app", "status", app, "--json"});
  EXPECT_EQ(status.json["guardian"], kAddr1);
  ASSERT_EQ(Teecloud({"app", "propose", app, "--manifest", v2.path}).code, 0);

  // A stranger cannot veto; the guardian can (its key from a 0600 key file).
  CliRun stranger = Teecloud({"app", "cancel", app, v2.hash}, kKey2);
  EXPECT_EQ(stranger.code, 1);
  EXPECT_NE(stranger.err.find("NotOwnerOrGuardian"), std::string::npos) << stranger.Output();
  CliRun veto = Teecloud({"app", "cancel", app, v2.hash, "--key-file", KeyFile(kKey1, 0600)}, "");
  ASSERT_EQ(veto.code, 0) << veto.Output();
  EXPECT_TRUE(IsTxHashLine(veto.out));

  TimeTravel(7200);
  CliRun activate = Teecloud({"app", "activate", app, v2.hash});
  EXPECT_EQ(activate.code, 1);
  EXPECT_NE(activate.err.find("NoProposal(manifestHash=" + v2.hash + ")"), std::string::npos)
      << activate.Output();
  status = Teecloud({"app", "status", app, "--json", "--history"});
  EXPECT_TRUE(status.json["pending"].empty());
  bool cancelled_by_guardian = false;
  for (const Json& e : status.json["history"]) {
    if (e["event"] == "ProposalCancelled") cancelled_by_guardian = e["fields"]["by"] == kAddr1;
  }
  EXPECT_TRUE(cancelled_by_guardian) << status.out;
}

TEST_F(ChainCliTest, RevokeAndRollbackProtection) {
  const TestManifest v1 = WriteManifest("rollback", 1, "app:1");
  const TestManifest v2 = WriteManifest("rollback", 2, "app:2");
  const TestManifest v1b = WriteManifest("rollback", 1, "app:1-patched");
  const std::string app = SetUpApp("rollback", v1);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Teecloud({"app", "propose", app, v2.hash, "--manifest-version", "2"}).code, 0);
  TimeTravel(3601);
  CliRun activate = Teecloud({"app", "activate", app, v2.hash, "--raise-min-version"});
  ASSERT_EQ(activate.code, 0) << activate.Output();
  CliRun status = Teecloud({"app", "status", app, "--json"});
  EXPECT_EQ(status.json["min_version"], 2);

  // v1 is still listed but refused: rollback protection.
  CliRun old = Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v1.hash, 1, kOsImage)});
  EXPECT_EQ(old.code, 1);
  EXPECT_EQ(old.out, "refused: manifest version below minimum\n");
  // Proposing another version-1 manifest is refused outright.
  CliRun propose_old = Teecloud({"app", "propose", app, "--manifest", v1b.path});
  EXPECT_EQ(propose_old.code, 1);
  EXPECT_NE(propose_old.err.find("VersionBelowMinimum(version=1, minVersion=2)"), std::string::npos)
      << propose_old.Output();

  // Revoke applies at once.
  CliRun revoke = Teecloud({"app", "revoke", app, v2.hash});
  ASSERT_EQ(revoke.code, 0) << revoke.Output();
  CliRun gone = Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v2.hash, 2, kOsImage)});
  EXPECT_EQ(gone.out, "refused: manifest not allowed\n");
  CliRun twice = Teecloud({"app", "revoke", app, v2.hash});
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("ManifestNotAllowed"), std::string::npos);
}

TEST_F(ChainCliTest, FreezeMakesTheAppImmutable) {
  const TestManifest v1 = WriteManifest("frozen", 1, "web:1");
  const TestManifest v2 = WriteManifest("frozen", 2, "web:2");
  const std::string app = SetUpApp("frozen", v1);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Teecloud({"app", "propose", app, "--manifest", v2.path}).code, 0);
  CliRun freeze = Teecloud({"app", "freeze", "frozen"});
  ASSERT_EQ(freeze.code, 0) << freeze.Output();
  EXPECT_TRUE(IsTxHashLine(freeze.out));
  CliRun status = Teecloud({"app", "status", app, "--json"});
  EXPECT_EQ(status.json["frozen"], true);

  TimeTravel(3600);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"app", "activate", app, v2.hash},
        std::vector<std::string>{"app", "revoke", app, v1.hash},
        std::vector<std::string>{"app", "cancel", app, v2.hash},
        std::vector<std::string>{"app", "freeze", app}}) {
    CliRun r = Teecloud(args);
    EXPECT_EQ(r.code, 1) << args[1];
    EXPECT_NE(r.err.find("AppIsFrozen()"), std::string::npos) << r.Output();
  }
  // The frozen rules keep answering.
  EXPECT_EQ(
      Teecloud({"app", "check", app, "--boot-info", WriteBootInfo(v1.hash, 1, kOsImage)}).code, 0);
}

TEST_F(ChainCliTest, UsageAndKeyErrors) {
  // No deployment yet.
  CliRun none = Teecloud({"registry", "status"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("chain deploy"), std::string::npos) << none.Output();
  Deploy();
  // No key at all.
  CliRun no_key = Teecloud({"registry", "add-os-image", kOsImage}, "");
  EXPECT_EQ(no_key.code, 2);
  EXPECT_NE(no_key.err.find("TEECLOUD_PRIVATE_KEY"), std::string::npos);
  // A key file others can read is refused before anything is sent.
  CliRun readable =
      Teecloud({"registry", "add-os-image", kOsImage, "--key-file", KeyFile(kKey0, 0644)}, "");
  EXPECT_EQ(readable.code, 2);
  EXPECT_NE(readable.err.find("chmod 600"), std::string::npos) << readable.Output();
  // A malformed key in the environment: the error says so without echoing it.
  CliRun bad_key =
      Teecloud({"registry", "add-os-image", kOsImage}, std::string(kKey0).substr(1) + "x");
  EXPECT_EQ(bad_key.code, 2);
  EXPECT_EQ(bad_key.err.find(std::string(kKey0).substr(1, 40)), std::string::npos);
  // Bad arguments.
  EXPECT_EQ(Teecloud({"registry", "add-os-image", "0x1234"}).code, 2);
  EXPECT_EQ(Teecloud({"app", "status", "no-such-app"}).code, 2);
  EXPECT_EQ(Teecloud({"app", "propose", "0x0000000000000000000000000000000000000001"}).code, 2);
  EXPECT_EQ(Teecloud({"app", "check", "x"}).code, 2);  // --boot-info is required
  // A deployment on another chain is refused.
  auto d = LoadDeployment(DeploymentPath());
  ASSERT_TRUE(d.has_value());
  d->chain_id = 1;
  const std::string other = Home() + "/other.json";
  ASSERT_TRUE(SaveDeployment(other, *d).has_value());
  CliRun wrong_chain = Teecloud({"registry", "status", "--deployment", other});
  EXPECT_EQ(wrong_chain.code, 2);
  EXPECT_NE(wrong_chain.err.find("chain 31337"), std::string::npos) << wrong_chain.Output();
  // A name recorded twice is refused before sending.
  const TestManifest m = WriteManifest("dup", 1, "x:1");
  ASSERT_EQ(Teecloud({"app", "create", "dup", "--manifest", m.path}).code, 0);
  CliRun dup = Teecloud({"app", "create", "dup", "--manifest", m.path});
  EXPECT_EQ(dup.code, 2);
  EXPECT_NE(dup.err.find("already recorded"), std::string::npos);
}

// The C++ client on its own against anvil: both transaction types are accepted and the node
// recovers our signer as the sender (an independent check of the signing code).
TEST_F(ChainCliTest, ClientSignsTransactionsAnvilAccepts) {
  auto rpc = HttpEthRpc::Create(anvil_->url());
  ASSERT_TRUE(rpc.has_value());
  auto key = ParsePrivateKeyHex(kKey2);
  auto signer = Signer::FromPrivateKey(std::move(*key));
  ASSERT_TRUE(signer.has_value());
  auto chain_id = (*rpc)->ChainId();
  ASSERT_TRUE(chain_id.has_value());
  SteadyTicker ticker;
  TransactionSender sender(**rpc, *signer, *chain_id, ticker);
  for (bool legacy : {false, true}) {
    TxRequest transfer;
    transfer.to = *ParseAddress(kAddr1);
    transfer.value = U256FromUint64(12345);
    SendOptions options;
    options.legacy = legacy;
    options.wait.timeout = 30s;
    auto sent = sender.Send(transfer, options);
    ASSERT_TRUE(sent.has_value()) << sent.error().ToString();
    EXPECT_TRUE(sent->receipt.status);
    EXPECT_EQ(sent->receipt.from, signer->address());
    EXPECT_EQ(sent->receipt.transaction_hash, sent->hash);
  }
  // anvil knows "finalized"; calls at it work.
  CallRequest call;
  call.to = *ParseAddress(kAddr1);
  ASSERT_TRUE((*rpc)->Call(call, BlockRef::Finalized()).has_value());
  EXPECT_EQ((*rpc)->finality_tags_supported(), std::optional<bool>(true));
  auto history = (*rpc)->GetFeeHistory(2, BlockRef::Latest(), {50.0});
  ASSERT_TRUE(history.has_value()) << history.error().ToString();
  EXPECT_FALSE(history->base_fee_per_gas.empty());
}

}  // namespace
}  // namespace teecloud::chain
