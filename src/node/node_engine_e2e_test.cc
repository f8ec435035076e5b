// Issue 5's deployment path end to end with the real engine: a private dockerd
// (compose/testing_dockerd.h), the built teecloud-node on a temp data dir and a free loopback
// port, driven by the `teecloud` CLI, running examples/hello with its demo secret. The tests
// share one deployed app and run in order: deploy, secrets, volume ciphertext, logs, stop/start,
// upgrade, node SIGKILL, refusals that change nothing, rm --purge. Each asserts its own feature.
//
// Skips when the process is not root or dockerd is absent (like compose_integration_test).
// Every wait is bounded; nodes and agents are ended by PID; the dockerd environment removes
// whatever is left on the engine.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "compose/compose_project.h"
#include "compose/engine_client.h"
#include "compose/testing_dockerd.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "node/cvm.h"
#include "node/process.h"
#include "testing/testing.h"

extern char** environ;

namespace teecloud::node {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

compose::PrivateDockerd* const g_dockerd = compose::PrivateDockerd::Register();

// examples/hello/demo.env's value (checked against the file in the deploy test).
constexpr char kSecret[] = "demo-secret-5f1c0de";

bool WaitFor(double seconds, const std::function<bool()>& pred) {
  return teecloud::testing::WaitUntil(
      pred, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)),
      std::chrono::milliseconds(100));
}

struct HttpReply {
  bool connected = false;
  int status = 0;
  std::string body;
};

HttpReply HttpGet(uint16_t port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  c.set_read_timeout(3, 0);
  auto r = c.Get(path.c_str());
  if (!r) return {};
  return {true, r->status, r->body};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string ReadOr(const std::string& path) { return ReadTextFile(path).value_or(""); }

std::string Sha256Hex(std::string_view s) { return ToHex(crypto::Sha256(AsBytes(s))); }

// The agents of a node data dir (their --socket lies below <data>/cvms/).
std::vector<int64_t> AgentPidsOf(const std::string& data_dir) {
  std::vector<int64_t> out;
  const std::string prefix = data_dir + "/cvms/";
  for (int64_t pid : ListPids()) {
    const auto argv = ProcessArgv(pid);
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--socket" && argv[i + 1].rfind(prefix, 0) == 0) out.push_back(pid);
    }
  }
  return out;
}

// A teecloud-node child process.
class NodeProcess {
 public:
  NodeProcess(std::string binary, std::string dir, std::string engine_socket)
      : binary_(std::move(binary)),
        dir_(std::move(dir)),
        engine_socket_(std::move(engine_socket)),
        port_(teecloud::testing::FreeLoopbackPort()) {}
  ~NodeProcess() { Kill(SIGKILL); }

  // Starts it and waits (bounded) for /healthz; "" or what went wrong.
  std::string Start() {
    fs::create_directories(dir_);
    const std::string config = dir_ + "/node.yaml";
    TEECLOUD_CHECK(WriteFileAtomic(config, AsBytes("supervise_interval_ms: 100\n"
                                                   "stop_grace_seconds: 5\n"
                                                   "service_stop_timeout_seconds: 3\n")));
    const std::vector<std::string> argv = {binary_,
                                           "--config",
                                           config,
                                           "--data-dir",
                                           data_dir(),
                                           "--listen",
                                           "127.0.0.1:" + std::to_string(port_),
                                           "--engine-socket",
                                           engine_socket_,
                                           "--log-level",
                                           "debug"};
    const std::string log = log_path();
    const int pid = teecloud::testing::SpawnToLog(argv, log);
    if (pid <= 0) return "cannot start " + binary_;
    pid_ = pid;
    const bool up = WaitFor(60, [&] {
      if (!Alive()) return true;
      httplib::Client c("127.0.0.1", port_);
      c.set_connection_timeout(0, 200000);
      auto r = c.Get("/healthz");
      return r && r->status == 200;
    });
    if (!Alive()) return "the node exited during start-up; its log:\n" + Log();
    if (!up) return "the node did not answer /healthz within 60 s; its log:\n" + Log();
    return "";
  }

  // Signals it and reaps it (bounded; SIGKILL after 30 s). Returns the wait status.
  int Kill(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    const bool gone = WaitFor(30, [&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; });
    if (!gone) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return status;
  }

  bool Alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  std::string Log() const { return ReadTextFile(log_path()).value_or("(no log)"); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string data_dir() const { return dir_ + "/data"; }
  std::string log_path() const { return dir_ + "/node.log"; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_, dir_, engine_socket_;
  uint16_t port_;
  pid_t pid_ = -1;
};

// What a refused operation must leave as it was: the node's CVMs, its cvms/ directory, the
// engine's containers, networks and volumes.
struct Snapshot {
  std::string ls_all;
  std::set<std::string> cvm_dirs, containers, networks, volumes;
};

// Everything the tests share: the node, the deployed app.
struct Suite {
  std::string dir;  // temp: node/, scratch files, compose copies
  std::string cli, node_binary;
  std::unique_ptr<NodeProcess> node;
  uint16_t host_port = 0;  // --port host_port:8080
  // hello, once deployed.
  std::string id, app_id, instance_id;
};

class NodeEngineE2eTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (s_ == nullptr) return;
    if (s_->node) {
      const std::string data = s_->node->data_dir();
      s_->node->Kill(SIGKILL);
      // Agents stop their services and unmount their volumes on SIGTERM.
      for (int64_t pid : AgentPidsOf(data)) ::kill(static_cast<pid_t>(pid), SIGTERM);
      if (!WaitFor(20, [&] { return AgentPidsOf(data).empty(); })) {
        for (int64_t pid : AgentPidsOf(data)) ::kill(static_cast<pid_t>(pid), SIGKILL);
        WaitFor(10, [&] { return AgentPidsOf(data).empty(); });
      }
    }
    compose::UnmountBelow(s_->dir, /*fuse_only=*/false);
    std::error_code ec;
    fs::remove_all(s_->dir, ec);
    delete s_;
    s_ = nullptr;
  }

  void SetUp() override {
    REQUIRE_PRIVATE_DOCKERD(g_dockerd);
    if (s_ == nullptr) {
      s_ = new Suite;
      s_->dir = teecloud::testing::MakeTempDir();
      const std::string bin = teecloud::testing::BinDir();
      s_->cli = teecloud::testing::TeecloudBinary(TEECLOUD_CLI_BINARY);
      s_->node_binary = !bin.empty() && ::access((bin + "/teecloud-node").c_str(), X_OK) == 0
                            ? bin + "/teecloud-node"
                            : TEECLOUD_NODE_BINARY;
      const std::string agent = fs::path(s_->node_binary).parent_path() / "teecloud-agent";
      ASSERT_EQ(::access(agent.c_str(), X_OK), 0) << agent << " is not built";
      s_->node = std::make_unique<NodeProcess>(s_->node_binary, s_->dir + "/node",
                                               g_dockerd->socket_path());
      const std::string err = s_->node->Start();
      ASSERT_TRUE(err.empty()) << err;
      ::setenv("TEECLOUD_NODE", s_->node->url().c_str(), 1);
    }
    ASSERT_TRUE(s_->node && s_->node->Alive()) << "the node is not running; its log:\n"
                                               << (s_->node ? s_->node->Log() : "");
  }

  // `teecloud args...` against $TEECLOUD_NODE, bounded by timeout(1).
  static teecloud::testing::CliRun Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"-k", "5", "150", s_->cli});
    return teecloud::testing::RunBinary("timeout", args, s_->dir);
  }

  static Json Inspect() {
    auto r = Cli({"inspect", "hello"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.json;
  }

  static std::string Src() { return teecloud::testing::SourceDir(); }
  static std::string Data() { return s_->node->data_dir(); }
  static std::string CvmDir() { return Data() + "/cvms/" + s_->id; }
  static std::string Project() { return "tc-" + s_->id; }
  static std::string ProjectFilter() {
    return std::string(compose::kLabelComposeProject) + "=" + Project();
  }
  static compose::EngineClient& Engine() { return *g_dockerd->engine(); }

  static std::string Get(const std::string& path) {
    HttpReply r = HttpGet(s_->host_port, path);
    return r.status == 200 ? r.body : "";
  }

  // The running container of a hello service.
  static std::optional<compose::ContainerInfo> ServiceContainer(const std::string& service) {
    auto list = Engine().ListContainers(
        {ProjectFilter(), std::string(compose::kLabelComposeService) + "=" + service}, false);
    if (!list || list->size() != 1) return std::nullopt;
    auto info = Engine().InspectContainer((*list)[0].id);
    if (!info) return std::nullopt;
    return *info;
  }

  static std::vector<std::pair<std::string, std::string>> FuseMountsBelow(const std::string& root) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& m : compose::MountsBelow(root)) {
      if (m.second.rfind("fuse", 0) == 0) out.push_back(m);
    }
    return out;
  }

  static Snapshot Take() {
    Snapshot s;
    s.ls_all = Cli({"ls", "--all", "--json"}).out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(Data() + "/cvms", ec)) {
      s.cvm_dirs.insert(e.path().filename().string());
    }
    if (auto c = Engine().ListContainers({}); c) {
      for (const auto& x : *c) s.containers.insert(x.id + " " + x.state);
    }
    if (auto n = Engine().ListNetworks({}); n) {
      for (const auto& x : *n) s.networks.insert(x.id);
    }
    if (auto v = Engine().ListVolumes({}); v) {
      for (const auto& x : *v) s.volumes.insert(x.name);
    }
    return s;
  }
  static void ExpectUnchanged(const Snapshot& before) {
    const Snapshot now = Take();
    EXPECT_EQ(now.ls_all, before.ls_all);
    EXPECT_EQ(now.cvm_dirs, before.cvm_dirs);
    EXPECT_EQ(now.containers, before.containers);
    EXPECT_EQ(now.networks, before.networks);
    EXPECT_EQ(now.volumes, before.volumes);
  }

  static inline Suite* s_ = nullptr;
};

#define REQUIRE_HELLO() \
  ASSERT_FALSE(s_->id.empty()) << "hello is not deployed (DeployServesTheAppWithItsSecret failed)"

// --------------------------------------------------------------------------------------------

TEST_F(NodeEngineE2eTest, DeployServesTheAppWithItsSecret) {
  ASSERT_THAT(ReadOr(Src() + "/examples/hello/demo.env"),
              HasSubstr(std::string("API_KEY=") + kSecret));
  s_->host_port = teecloud::testing::FreeLoopbackPort();
  auto d = Cli({"deploy", "-f", Src() + "/examples/hello/docker-compose.yml", "--name", "hello",
                "--env-file", Src() + "/examples/hello/demo.env", "--port",
                std::to_string(s_->host_port) + ":8080", "--timeout", "90"});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err << "\nnode log:\n" << s_->node->Log();
  EXPECT_THAT(d.out, HasSubstr("deployed hello"));
  EXPECT_THAT(d.err, HasSubstr("sealed 1 secret(s)"));
  EXPECT_THAT(d.out + d.err, Not(HasSubstr(kSecret)));
  const Json cvm = Inspect();
  ASSERT_TRUE(cvm.is_object());
  EXPECT_EQ(cvm["status"], "running");
  EXPECT_EQ(cvm["has_secrets"], true);
  s_->id = cvm["id"].get<std::string>();
  s_->app_id = cvm["app_id"].get<std::string>();
  s_->instance_id = cvm["instance_id"].get<std::string>();
  EXPECT_THAT(d.out, HasSubstr("app id:        " + s_->app_id));
  EXPECT_THAT(d.out, HasSubstr("127.0.0.1:" + std::to_string(s_->host_port) + " -> CVM port 8080"));

  HttpReply page;
  ASSERT_TRUE(WaitFor(60, [&] { return (page = HttpGet(s_->host_port, "/")).status == 200; }))
      << "no page on 127.0.0.1:" << s_->host_port << "\nnode log:\n"
      << s_->node->Log();
  EXPECT_THAT(page.body, HasSubstr("hello from teecloud"));
  std::string boots;
  ASSERT_TRUE(WaitFor(30, [&] { return !(boots = Trim(Get("/data/boots"))).empty(); }));
  EXPECT_EQ(boots, "1");
  EXPECT_EQ(Trim(Get("/data/api_key.sha256")), Sha256Hex(kSecret));
}

TEST_F(NodeEngineE2eTest, SecretsAreNowhereOnTheHost) {
  REQUIRE_HELLO();
  // The plaintext views are FUSE mounts (the CVM's decrypted volumes, and the engine's binds of
  // them below its data root): those are the CVM's inside, skipped. Everything else on disk —
  // the node's state, sealed env, manifests, agent log, the engine's container configs, OCI
  // specs, logs — is searched byte for byte.
  const std::vector<std::string> roots = {s_->dir, g_dockerd->dir()};
  std::vector<std::string> skip;
  for (const auto& root : roots) {
    for (const auto& [point, type] : FuseMountsBelow(root)) skip.push_back(point);
  }
  ASSERT_THAT(skip, ::testing::Contains(CvmDir() + "/volumes"))
      << "the CVM's volumes are not a FUSE mount";
  for (const auto& root : roots) {
    EXPECT_THAT(compose::FilesContaining(root, kSecret, skip), IsEmpty()) << "under " << root;
  }
  // The search finds what is there in plaintext.
  EXPECT_THAT(compose::FilesContaining(Data(), s_->app_id, skip), Not(IsEmpty()));
  EXPECT_THAT(compose::FilesContaining(g_dockerd->dir(), Project(), skip), Not(IsEmpty()));

  // The sealed env is ciphertext; the database holds it only sealed.
  const std::string sealed = ReadOr(CvmDir() + "/env.sealed");
  EXPECT_GT(sealed.size(), 32u);
  EXPECT_THAT(sealed, Not(HasSubstr(kSecret)));
  EXPECT_THAT(sealed, Not(HasSubstr("API_KEY")));
  for (const char* db : {"/state.db", "/state.db-wal"}) {
    EXPECT_THAT(ReadOr(Data() + db), Not(HasSubstr(kSecret))) << db;
  }
  // The engine never sees it: not in the store container's environment, command or labels.
  auto store = ServiceContainer("store");
  ASSERT_TRUE(store.has_value());
  for (const auto& e : store->env) EXPECT_THAT(e, Not(HasSubstr(kSecret)));
  for (const auto& e : store->cmd) EXPECT_THAT(e, Not(HasSubstr(kSecret)));
  for (const auto& [k, v] : store->labels) EXPECT_THAT(v, Not(HasSubstr(kSecret))) << k;
  // ... while the service has it (it published its hash).
  EXPECT_EQ(Trim(Get("/data/api_key.sha256")), Sha256Hex(kSecret));
}

TEST_F(NodeEngineE2eTest, VolumeBytesOnTheHostAreCiphertext) {
  REQUIRE_HELLO();
  const std::string cipher = CvmDir() + "/state/volumes.enc";
  const std::string view = CvmDir() + "/volumes";
  ASSERT_TRUE(fs::is_directory(cipher)) << cipher;
  ASSERT_THAT(FuseMountsBelow(Data()),
              ::testing::Contains(::testing::Pair(view, HasSubstr("gocryptfs"))));

  // The plaintext view has store's files; a marker written through it reaches the service.
  std::string data_dir;
  for (const auto& e : fs::recursive_directory_iterator(view)) {
    if (e.path().filename() == "api_key.sha256") data_dir = e.path().parent_path().string();
  }
  ASSERT_FALSE(data_dir.empty()) << "no api_key.sha256 below " << view;
  const std::string sha = Sha256Hex(kSecret);
  EXPECT_EQ(Trim(ReadOr(data_dir + "/api_key.sha256")), sha);
  crypto::SystemRandom rng;
  const std::string marker = "TEECLOUD-E2E-PLAINTEXT-" + ToHex(rng.RandomBytes(8));
  ASSERT_TRUE(WriteFileAtomic(data_dir + "/marker.txt", AsBytes(marker)));
  EXPECT_EQ(Get("/data/marker.txt"), marker);

  // Below the cipher directory: neither the names nor the contents.
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(cipher)) {
    const std::string name = e.path().filename().string();
    for (const char* plain : {"api_key", "boots", "last-seen", "marker", "secrets", "data"}) {
      EXPECT_EQ(name.find(plain), std::string::npos) << e.path();
    }
    if (!e.is_regular_file()) continue;
    ++files;
  }
  EXPECT_GT(files, 4u);
  for (const std::string& needle : {sha, marker, std::string(kSecret)}) {
    EXPECT_THAT(compose::FilesContaining(cipher, needle), IsEmpty()) << needle;
  }
}

TEST_F(NodeEngineE2eTest, LogsShowTheServices) {
  REQUIRE_HELLO();
  auto logs = Cli({"logs", "hello"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("store | store: boot 1; API_KEY received (19 characters)"));
  EXPECT_THAT(logs.out, Not(HasSubstr(kSecret)));
  auto tail = Cli({"logs", "hello", "--tail", "1"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 1) << tail.out;
}

TEST_F(NodeEngineE2eTest, DataSurvivesStopAndStart) {
  REQUIRE_HELLO();
  auto stop = Cli({"stop", "hello"});
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  EXPECT_EQ(Inspect()["status"], "stopped");
  EXPECT_TRUE(WaitFor(30, [] { return !HttpGet(s_->host_port, "/").connected; }))
      << "the service still answers after stop";
  auto left = Engine().ListContainers({ProjectFilter()});
  ASSERT_TRUE(left.has_value());
  EXPECT_THAT(*left, IsEmpty()) << "containers left after stop";
  EXPECT_THAT(FuseMountsBelow(Data()), IsEmpty()) << "the volumes are still mounted after stop";
  EXPECT_THAT(AgentPidsOf(Data()), IsEmpty());

  auto start = Cli({"start", "hello", "--timeout", "90"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err << "\nnode log:\n" << s_->node->Log();
  std::string boots;
  EXPECT_TRUE(WaitFor(60, [&] { return (boots = Trim(Get("/data/boots"))) == "2"; }))
      << "boots is '" << boots << "' (expected 2: the count survived stop/start)";
  EXPECT_EQ(Trim(Get("/data/api_key.sha256")), Sha256Hex(kSecret));
}

TEST_F(NodeEngineE2eTest, UpgradeKeepsIdentityDataAndSecrets) {
  REQUIRE_HELLO();
  // web without -v (verbose access log): a changed compose file.
  std::string compose = ReadOr(Src() + "/examples/hello/docker-compose.yml");
  const std::string from = R"(command: ["httpd", "-f", "-v", "-p", "80", "-h", "/www"])";
  const std::string to = R"(command: ["httpd", "-f", "-p", "80", "-h", "/www"])";
  const auto at = compose.find(from);
  ASSERT_NE(at, std::string::npos) << "examples/hello/docker-compose.yml changed; update this test";
  compose.replace(at, from.size(), to);
  const std::string path = s_->dir + "/upgraded.yml";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes(compose)));
  const Json before = Inspect();

  auto up = Cli({"upgrade", "hello", "-f", path, "--timeout", "90"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err << "\nnode log:\n" << s_->node->Log();
  EXPECT_THAT(up.out, HasSubstr("upgraded hello to generation 2"));
  const Json after = Inspect();
  EXPECT_EQ(after["id"], s_->id);
  EXPECT_EQ(after["app_id"], s_->app_id);
  EXPECT_EQ(after["instance_id"], s_->instance_id);
  EXPECT_NE(after["manifest_hash"], before["manifest_hash"]);
  EXPECT_EQ(after["generation"], 2);
  EXPECT_EQ(after["has_secrets"], true);
  EXPECT_EQ(after["manifest"]["version"], 2);

  std::string boots;
  EXPECT_TRUE(WaitFor(60, [&] { return (boots = Trim(Get("/data/boots"))) == "3"; }))
      << "boots is '" << boots << "' (expected 3)";
  EXPECT_EQ(Trim(Get("/data/api_key.sha256")), Sha256Hex(kSecret)) << "secrets lost by upgrade";
  auto web = ServiceContainer("web");
  ASSERT_TRUE(web.has_value());
  EXPECT_THAT(web->cmd, ::testing::ElementsAre("httpd", "-f", "-p", "80", "-h", "/www"));
}

TEST_F(NodeEngineE2eTest, NodeSigkillLeavesTheAppRunningAndIsAdopted) {
  REQUIRE_HELLO();
  const Json before = Inspect();
  const int64_t agent_pid = before["agent_pid"].get<int64_t>();
  ASSERT_GT(agent_pid, 0);
  auto store = ServiceContainer("store");
  ASSERT_TRUE(store.has_value());
  const std::string boots = Trim(Get("/data/boots"));
  ASSERT_FALSE(boots.empty());

  const int status = s_->node->Kill(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(HttpGet(s_->host_port, "/").status, 200) << "the service died with the node";
  EXPECT_EQ(Trim(Get("/data/boots")), boots);

  const std::string err = s_->node->Start();
  ASSERT_TRUE(err.empty()) << err;
  auto ls = Cli({"ls", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  ASSERT_TRUE(ls.json.is_array() && ls.json.size() == 1) << ls.out;
  EXPECT_EQ(ls.json[0]["name"], "hello");
  EXPECT_EQ(ls.json[0]["status"], "running");
  const Json after = Inspect();
  EXPECT_EQ(after["agent_pid"], agent_pid) << "the agent was restarted, not adopted";
  EXPECT_EQ(after["restart_count"], before["restart_count"]);
  auto store_after = ServiceContainer("store");
  ASSERT_TRUE(store_after.has_value());
  EXPECT_EQ(store_after->id, store->id) << "the services were restarted";
  EXPECT_EQ(Trim(Get("/data/boots")), boots);
}

// ------------------------------------------------------------------ refusals change nothing

TEST_F(NodeEngineE2eTest, MalformedComposeChangesNothing) {
  REQUIRE_HELLO();
  const Snapshot before = Take();
  ASSERT_THAT(before.ls_all, HasSubstr("\"hello\""));
  const std::string hello = ReadOr(Src() + "/examples/hello/docker-compose.yml");
  struct Case {
    std::string name, compose, message;
  };
  std::string bad_port = hello;
  bad_port.replace(bad_port.find("\"8080:80\""), 9, "\"80800:80\"");
  const std::vector<Case> cases = {
      {"list", "services: [1, 2]\n", "services"},
      {"yaml", "services:\n  web: {image: [\n", "docker_compose_file"},
      {"port", bad_port, "80800"},
  };
  for (const Case& c : cases) {
    const std::string path = s_->dir + "/bad-" + c.name + ".yml";
    ASSERT_TRUE(WriteFileAtomic(path, AsBytes(c.compose)));
    auto r = Cli({"deploy", "-f", path, "--name", "bad-" + c.name, "--port",
                  std::to_string(teecloud::testing::FreeLoopbackPort()) + ":8080"});
    EXPECT_NE(r.exit_code, 0) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.name;
    ExpectUnchanged(before);
  }

  // The node checks for itself (a client other than the CLI): 400, nothing created.
  Json manifest = Inspect()["manifest"];
  ASSERT_TRUE(manifest.is_object());
  manifest["name"] = "bad-api";
  manifest["docker_compose_file"] = "services: [1, 2]\n";
  httplib::Client client("127.0.0.1", s_->node->port());
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(30, 0);
  auto r = client.Post("/v1/cvms", DumpJson(Json{{"name", "bad-api"}, {"manifest", manifest}}),
                       "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, HasSubstr("services: must be a non-empty mapping"));
  ExpectUnchanged(before);
}

TEST_F(NodeEngineE2eTest, UnknownManifestFieldChangesNothing) {
  REQUIRE_HELLO();
  const Snapshot before = Take();
  Json manifest = Inspect()["manifest"];
  ASSERT_TRUE(manifest.is_object());
  manifest["name"] = "extra";
  httplib::Client c("127.0.0.1", s_->node->port());
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(30, 0);

  Json with_field = manifest;
  with_field["surprise_field"] = true;
  auto r = c.Post("/v1/cvms", DumpJson(Json{{"name", "extra"}, {"manifest", with_field}}),
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, HasSubstr("surprise_field"));
  ExpectUnchanged(before);

  // An unknown field of the request itself, too.
  r = c.Post("/v1/cvms",
             DumpJson(Json{{"name", "extra"}, {"manifest", manifest}, {"surprise_request", 1}}),
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, HasSubstr("surprise_request"));
  ExpectUnchanged(before);
}

TEST_F(NodeEngineE2eTest, PortConflictChangesNothing) {
  REQUIRE_HELLO();
  const Snapshot before = Take();
  std::string port;
  teecloud::testing::CliRun r;
  {
    const teecloud::testing::PortHolder holder;  // another program on the port
    port = std::to_string(holder.port());
    r = Cli({"deploy", "-f", Src() + "/examples/hello/docker-compose.yml", "--name", "clash",
             "--port", port + ":8080"});
  }
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("host port " + port + "/tcp is in use"));
  ExpectUnchanged(before);

  // The port hello holds: refused by the node's reservations.
  r = Cli({"deploy", "-f", Src() + "/examples/hello/docker-compose.yml", "--name", "clash",
           "--port", std::to_string(s_->host_port) + ":8080"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("already reserved by CVM 'hello'"));
  ExpectUnchanged(before);
}

TEST_F(NodeEngineE2eTest, MissingEngineChangesNothing) {
  REQUIRE_HELLO();
  const Snapshot before = Take();
  NodeProcess lonely(s_->node_binary, s_->dir + "/lonely", "/nonexistent/docker.sock");
  const std::string err = lonely.Start();
  ASSERT_TRUE(err.empty()) << err;
  auto r = Cli({"deploy", "-f", Src() + "/examples/hello/docker-compose.yml", "--name", "ghost",
                "--env-file", Src() + "/examples/hello/demo.env", "--port",
                std::to_string(teecloud::testing::FreeLoopbackPort()) + ":8080", "--timeout", "30", "--node", lonely.url()});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/docker.sock"));
  EXPECT_THAT(r.err, HasSubstr("container engine"));
  auto ls = Cli({"ls", "--all", "--json", "--node", lonely.url()});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(ls.json.is_array() && ls.json.empty()) << ls.out;
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(lonely.data_dir() + "/cvms", ec)) {
    left.push_back(e.path().string());
  }
  EXPECT_THAT(left, IsEmpty()) << "files left by the refused deploy";
  EXPECT_THAT(AgentPidsOf(lonely.data_dir()), IsEmpty());
  lonely.Kill(SIGTERM);
  ExpectUnchanged(before);
}

// ------------------------------------------------------------------ rm --purge

TEST_F(NodeEngineE2eTest, RmPurgeLeavesNothingBehind) {
  REQUIRE_HELLO();
  auto rm = Cli({"rm", "hello", "--purge"});
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err << "\nnode log:\n" << s_->node->Log();
  EXPECT_THAT(rm.out, HasSubstr("removed hello and its data"));

  for (const std::string& filter :
       {ProjectFilter(), std::string(compose::kLabelProject) + "=" + Project()}) {
    auto containers = Engine().ListContainers({filter});
    ASSERT_TRUE(containers.has_value());
    EXPECT_THAT(*containers, IsEmpty()) << filter;
    auto networks = Engine().ListNetworks({filter});
    ASSERT_TRUE(networks.has_value());
    EXPECT_THAT(*networks, IsEmpty()) << filter;
    auto volumes = Engine().ListVolumes({filter});
    ASSERT_TRUE(volumes.has_value());
    EXPECT_THAT(*volumes, IsEmpty()) << filter;
  }
  EXPECT_FALSE(Engine().InspectNetwork(Project() + "_default").has_value());
  EXPECT_THAT(compose::MountsBelow(Data()), IsEmpty());
  EXPECT_THAT(compose::MountsBelow(g_dockerd->dir() + "/data/volumes"), IsEmpty());
  EXPECT_FALSE(fs::exists(CvmDir())) << CvmDir();
  EXPECT_THAT(AgentPidsOf(Data()), IsEmpty());
  EXPECT_FALSE(HttpGet(s_->host_port, "/").connected);
  auto ls = Cli({"ls", "--all", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(ls.json.is_array() && ls.json.empty()) << ls.out;
  EXPECT_EQ(Cli({"inspect", "hello"}).exit_code, 1);
}

}  // namespace
}  // namespace teecloud::node
