// End to end with the built binaries: teecloud-node on a free loopback port and a temp data
// dir, driven by the `teecloud` CLI, running agents (the stand-in node_fake_agent, and the real
// teecloud-agent once it is built; that variant skips with a message naming the missing binary).
// The node is SIGKILLed and restarted: the CVM is still listed and its agent adopted, same PID.
// Every wait is bounded; every process is killed by PID at the end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/file.h"
#include "base/json.h"
#include "base/subprocess.h"
#include "node/agent_client.h"
#include "node/node_testing.h"
#include "node/process.h"
#include "tee/sim_attester.h"
#include "testing/testing.h"

extern char** environ;

namespace teecloud::node {
namespace {

using ::teecloud::testing::WaitUntil;

std::string BinaryBeside(const std::string& dir, const std::string& name, const char* fallback) {
  if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return fallback;
}

// The agents running for a data directory (by their --socket), whatever the node thinks.
std::vector<AgentProcess> AgentsOf(const std::string& data_dir) {
  std::vector<AgentProcess> out;
  const std::string prefix = data_dir + "/cvms/";
  for (int64_t pid : ListPids()) {
    const auto argv = ProcessArgv(pid);
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--socket" && argv[i + 1].rfind(prefix, 0) == 0) {
        if (auto start = ProcessStartTime(pid)) out.push_back({pid, *start});
      }
    }
  }
  return out;
}

struct CliResult {
  int exit_code = -1;
  std::string output;
  Json json;
};

class NodeE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string bin_dir = teecloud::testing::BinDir();
    node_binary_ = BinaryBeside(bin_dir, "teecloud-node", TEECLOUD_NODE_BINARY);
    cli_binary_ = BinaryBeside(bin_dir, "teecloud", TEECLOUD_CLI_BINARY);
    if (GetParam() == "fake") {
      agent_binary_ = TEECLOUD_NODE_FAKE_AGENT;
    } else {
      agent_binary_ =
          (std::filesystem::path(node_binary_).parent_path() / "teecloud-agent").string();
      if (::access(agent_binary_.c_str(), X_OK) != 0) {
        GTEST_SKIP() << "the real agent binary " << agent_binary_
                     << " is not built yet (cmake --build <dir> --target teecloud-agent); the "
                        "stand-in agent variant of this test ran instead";
      }
    }
    dir_ = teecloud::testing::MakeTempDir();
    data_ = dir_ + "/data";
    port_ = ::teecloud::testing::FreeLoopbackPort();
    node_url_ = "http://127.0.0.1:" + std::to_string(port_);
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/node.yaml",
                                AsBytes("supervise_interval_ms: 100\nstop_grace_seconds: 5\n")));
    ASSERT_TRUE(
        WriteFileAtomic(dir_ + "/docker-compose.yml", AsBytes(std::string(testing::kTestCompose))));
    ASSERT_TRUE(WriteFileAtomic(
        dir_ + "/docker-compose.v2.yml",
        AsBytes(std::string(testing::kTestCompose) + "    environment:\n      - GREETING=v2\n")));
  }

  void TearDown() override {
    if (node_pid_ > 0) KillNode();
    if (!data_.empty()) {
      for (const AgentProcess& a : AgentsOf(data_)) {
        ::kill(static_cast<pid_t>(a.pid), SIGKILL);
      }
      WaitUntil([&] { return AgentsOf(data_).empty(); }, std::chrono::seconds(10));
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void StartNode() {
    const std::string log = dir_ + "/node.log";
    const std::vector<std::string> argv = {node_binary_,
                                           "--config",
                                           dir_ + "/node.yaml",
                                           "--data-dir",
                                           data_,
                                           "--listen",
                                           "127.0.0.1:" + std::to_string(port_),
                                           "--agent-binary",
                                           agent_binary_,
                                           "--log-level",
                                           "debug"};
    const int pid = ::teecloud::testing::SpawnToLog(argv, log);
    ASSERT_GT(pid, 0) << "cannot start " << node_binary_;
    node_pid_ = pid;
    const bool up = WaitUntil(
        [&] {
          httplib::Client c("127.0.0.1", port_);
          c.set_connection_timeout(0, 200000);
          auto r = c.Get("/healthz");
          return r && r->status == 200;
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(up) << "node did not come up; its log:\n" << NodeLog();
  }

  void KillNode(int sig = SIGKILL) {
    ::kill(node_pid_, sig);
    int status = 0;
    const bool gone = WaitUntil([&] { return ::waitpid(node_pid_, &status, WNOHANG) == node_pid_; },
                              std::chrono::seconds(30));
    if (!gone) {
      ::kill(node_pid_, SIGKILL);
      ::waitpid(node_pid_, &status, 0);
    }
    last_node_status_ = status;
    node_pid_ = -1;
  }

  std::string NodeLog() { return ReadTextFile(dir_ + "/node.log").value_or("(no log)"); }

  CliResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), cli_binary_);
    args.push_back("--node");
    args.push_back(node_url_);
    return CliRaw(args);
  }
  CliResult CliRaw(const std::vector<std::string>& argv) {
    SubprocessOptions o;
    o.timeout_seconds = 120;
    CliResult out;
    auto r = RunSubprocess(argv, o);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r) return out;
    out.exit_code = r->exit_code;
    out.output = r->output;
    // The JSON document, when the command printed one (progress lines go first).
    const auto brace = r->output.find_first_of("{[");
    if (brace != std::string::npos) {
      if (auto j = ParseJson(std::string_view(r->output).substr(brace))) out.json = *j;
    }
    return out;
  }

  Json Inspect(const std::string& app) {
    CliResult r = Cli({"inspect", app});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.json;
  }

  std::string node_binary_, cli_binary_, agent_binary_;
  std::string dir_, data_, node_url_;
  int port_ = 0;
  pid_t node_pid_ = -1;
  int last_node_status_ = 0;
};

TEST_P(NodeE2eTest, DeployKillNodeRestartAdoptsTheSameAgent) {
  StartNode();
  const int host_port = ::teecloud::testing::FreeLoopbackPort();
  CliResult d = Cli({"deploy", "-f", dir_ + "/docker-compose.yml", "--name", "hello", "--port",
                     std::to_string(host_port) + ":80", "--timeout", "60"});
  ASSERT_EQ(d.exit_code, 0) << d.output << "\nnode log:\n" << NodeLog();
  EXPECT_NE(d.output.find("deployed hello"), std::string::npos) << d.output;
  for (const char* field :
       {"app id:", "instance id:", "manifest hash:", "status:        running"}) {
    EXPECT_NE(d.output.find(field), std::string::npos) << field << "\n" << d.output;
  }

  CliResult ls = Cli({"ls", "--json"});
  ASSERT_EQ(ls.exit_code, 0) << ls.output;
  ASSERT_TRUE(ls.json.is_array()) << ls.output;
  ASSERT_EQ(ls.json.size(), 1u);
  EXPECT_EQ(ls.json[0]["name"], "hello");
  EXPECT_EQ(ls.json[0]["status"], "running");
  CliResult table = Cli({"ls"});
  EXPECT_NE(table.output.find("hello"), std::string::npos);

  const Json before = Inspect("hello");
  const int64_t agent_pid = before["agent_pid"].get<int64_t>();
  ASSERT_GT(agent_pid, 0);
  const auto agent_start = ProcessStartTime(agent_pid);
  ASSERT_TRUE(agent_start.has_value());
  if (GetParam() == "real") {
    // The node's idea of the instance matches the agent's (same seed file format).
    auto info = AgentClient(data_ + "/cvms/" + before["id"].get<std::string>() + "/agent.sock",
                            std::chrono::seconds(10))
                    .Info();
    ASSERT_TRUE(info.has_value()) << info.error().ToString();
    EXPECT_EQ((*info)["instance_id"], before["instance_id"]);
    EXPECT_EQ((*info)["app_id"], before["app_id"]);
    EXPECT_EQ((*info)["compose_hash"], before["manifest_hash"]);
  }

  // SIGKILL the node: no shutdown code runs. The agent lives on in its own session.
  KillNode(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(last_node_status_));
  EXPECT_EQ(ProcessStartTime(agent_pid), agent_start);

  StartNode();
  CliResult ls2 = Cli({"ls", "--json"});
  ASSERT_EQ(ls2.exit_code, 0) << ls2.output;
  ASSERT_EQ(ls2.json.size(), 1u) << ls2.output;
  EXPECT_TRUE(
      WaitUntil([&] { return Inspect("hello")["status"] == "running"; }, std::chrono::seconds(20)));
  const Json after = Inspect("hello");
  EXPECT_EQ(after["agent_pid"], agent_pid);  // adopted, not restarted
  EXPECT_EQ(after["instance_id"], before["instance_id"]);
  EXPECT_EQ(after["restart_count"], 0);
  bool adopted = false;
  for (const Json& e : after["events"]) adopted = adopted || e["kind"] == "adopted";
  EXPECT_TRUE(adopted) << after.dump(2);
  const auto agents = AgentsOf(data_);
  ASSERT_EQ(agents.size(), 1u);  // no duplicate
  EXPECT_EQ(agents[0].pid, agent_pid);

  // A fresh quote through the node, bound to our nonce.
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(30, 0);
  auto att =
      c.Post("/v1/cvms/hello/attest", DumpJson(Json{{"nonce", "00112233445566778899aabbccddeeff"}}),
             "application/json");
  ASSERT_TRUE(att);
  ASSERT_EQ(att->status, 200) << att->body;
  const Json a = ParseJson(att->body).value();
  EXPECT_FALSE(a["quote"].get<std::string>().empty());
  EXPECT_EQ(a["report_data"].get<std::string>().size(), 128u);
  if (GetParam() == "real") {
    EXPECT_TRUE(a["simulated"].get<bool>());
    // The quote carries report_data (TDX v4: REPORTDATA at body offset 520, header 48 bytes).
    EXPECT_NE(a["quote"].get<std::string>().find(a["report_data"].get<std::string>()),
              std::string::npos);
  }

  // Graceful stop leaves the CVM running as well.
  KillNode(SIGTERM);
  EXPECT_TRUE(WIFEXITED(last_node_status_) && WEXITSTATUS(last_node_status_) == 0) << NodeLog();
  EXPECT_EQ(ProcessStartTime(agent_pid), agent_start);
}

TEST_P(NodeE2eTest, LifecycleThroughTheCli) {
  StartNode();
  const int host_port = ::teecloud::testing::FreeLoopbackPort();
  CliResult d = Cli({"deploy", "-f", dir_ + "/docker-compose.yml", "--name", "hello", "--port",
                     std::to_string(host_port) + ":80", "--timeout", "60"});
  ASSERT_EQ(d.exit_code, 0) << d.output << "\nnode log:\n" << NodeLog();
  const Json first = Inspect("hello");
  const std::string id = first["id"];

  // Conflicts are refused with a clear message and exit code 1; nothing changes.
  CliResult dup = Cli({"deploy", "-f", dir_ + "/docker-compose.yml", "--name", "hello"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.output.find("already exists"), std::string::npos) << dup.output;
  CliResult clash = Cli({"deploy", "-f", dir_ + "/docker-compose.yml", "--name", "other", "--port",
                         std::to_string(host_port) + ":80"});
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.output.find("already reserved by CVM 'hello'"), std::string::npos)
      << clash.output;
  CliResult bad = Cli({"deploy", "-f", dir_ + "/missing.yml", "--name", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(Cli({"ls", "--json"}).json.size(), 1u);

  CliResult logs = Cli({"logs", "hello", "--tail", "50"});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_FALSE(logs.output.empty());

  CliResult stop = Cli({"stop", "hello"});
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  EXPECT_TRUE(WaitUntil([&] { return AgentsOf(data_).empty(); }, std::chrono::seconds(15)));
  EXPECT_EQ(Inspect("hello")["status"], "stopped");
  CliResult start = Cli({"start", "hello"});
  ASSERT_EQ(start.exit_code, 0) << start.output;
  EXPECT_EQ(AgentsOf(data_).size(), 1u);
  CliResult restart = Cli({"restart", "hello"});
  ASSERT_EQ(restart.exit_code, 0) << restart.output;

  CliResult up = Cli({"upgrade", "hello", "-f", dir_ + "/docker-compose.v2.yml"});
  ASSERT_EQ(up.exit_code, 0) << up.output << "\nnode log:\n" << NodeLog();
  const Json upgraded = Inspect("hello");
  EXPECT_EQ(upgraded["app_id"], first["app_id"]);
  EXPECT_EQ(upgraded["instance_id"], first["instance_id"]);
  EXPECT_NE(upgraded["manifest_hash"], first["manifest_hash"]);
  EXPECT_EQ(upgraded["generation"], 2);
  EXPECT_EQ(upgraded["manifest"]["version"], 2);
  EXPECT_EQ(upgraded["status"], "running");
  EXPECT_TRUE(std::filesystem::exists(data_ + "/cvms/" + id + "/state/instance-seed"));

  // An agent that dies is restarted by the node.
  const int64_t pid = upgraded["agent_pid"];
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  EXPECT_TRUE(WaitUntil(
      [&] {
        const Json j = Inspect("hello");
        return j["status"] == "running" && j["agent_pid"] != pid;
      },
      std::chrono::seconds(30)))
      << Inspect("hello").dump(2);
  EXPECT_EQ(Inspect("hello")["restart_count"], 1);

  CliResult rm = Cli({"rm", "hello"});
  ASSERT_EQ(rm.exit_code, 0) << rm.output;
  EXPECT_NE(rm.output.find("kept"), std::string::npos);
  EXPECT_TRUE(AgentsOf(data_).empty());
  EXPECT_TRUE(Cli({"ls", "--json"}).json.empty());
  EXPECT_EQ(Cli({"ls", "--json", "--all"}).json.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(data_ + "/cvms/" + id + "/state/instance-seed"));
  CliResult purge = Cli({"rm", "hello", "--purge"});
  ASSERT_EQ(purge.exit_code, 0) << purge.output;
  EXPECT_FALSE(std::filesystem::exists(data_ + "/cvms/" + id));
  EXPECT_EQ(Cli({"inspect", "hello"}).exit_code, 1);
}

// `teecloud verify APP`: a fresh quote through the node, verified with the node's sim root.
TEST_P(NodeE2eTest, VerifyAppThroughTheCli) {
  StartNode();
  CliResult d =
      Cli({"deploy", "-f", dir_ + "/docker-compose.yml", "--name", "hello", "--timeout", "60"});
  ASSERT_EQ(d.exit_code, 0) << d.output << "\nnode log:\n" << NodeLog();
  const Json cvm = Inspect("hello");

  // The node serves the public half of its simulation PKI.
  httplib::Client c("127.0.0.1", port_);
  auto trust = c.Get("/v1/node/sim-trust");
  ASSERT_TRUE(trust);
  ASSERT_EQ(trust->status, 200) << trust->body;
  const Json t = ParseJson(trust->body).value();
  EXPECT_EQ(t["root_pem"], ReadTextFile(data_ + "/sim/root.pem").value());
  EXPECT_EQ(t["simulated"], true);
  EXPECT_TRUE(t["collateral"].is_object());

  if (GetParam() == "fake") {
    // The stand-in agent's "quote" is not one: refused, exit 1, saying why.
    CliResult v = Cli({"verify", "hello"});
    EXPECT_EQ(v.exit_code, 1) << v.output;
    EXPECT_NE(v.output.find("REFUSED hello"), std::string::npos) << v.output;
    EXPECT_NE(v.output.find("quote does not parse"), std::string::npos) << v.output;
    return;
  }

  CliResult v = Cli({"verify", "hello"});
  ASSERT_EQ(v.exit_code, 0) << v.output << "\nnode log:\n" << NodeLog();
  for (const std::string& part :
       {cvm["app_id"].get<std::string>(), cvm["instance_id"].get<std::string>(),
        cvm["manifest_hash"].get<std::string>(), std::string("app hello"), std::string("SIMULATED"),
        std::string("UpToDate"), std::string("replayed: yes"), std::string("fresh: yes"),
        std::string("verdict: VERIFIED"), std::string("root came from the node")}) {
    EXPECT_NE(v.output.find(part), std::string::npos) << part << "\n" << v.output;
  }
  // By CVM id and app id too.
  EXPECT_EQ(Cli({"verify", cvm["id"].get<std::string>()}).exit_code, 0);
  CliResult by_app = Cli({"verify", cvm["app_id"].get<std::string>(), "--json"});
  ASSERT_EQ(by_app.exit_code, 0) << by_app.output;
  EXPECT_EQ(by_app.json["verdict"], "VERIFIED") << by_app.output;
  EXPECT_EQ(by_app.json["name"], "hello");
  EXPECT_EQ(by_app.json["app_id"], cvm["app_id"]);
  EXPECT_EQ(by_app.json["instance_id"], cvm["instance_id"]);
  EXPECT_EQ(by_app.json["manifest_hash"], cvm["manifest_hash"]);
  EXPECT_EQ(by_app.json["tee"], "simulated");
  EXPECT_EQ(by_app.json["tcb_status"], "UpToDate");
  EXPECT_EQ(by_app.json["nonce_fresh"], true);
  EXPECT_EQ(by_app.json["event_log_replayed"], true);
  EXPECT_EQ(by_app.json["measurements"]["rtmr3"].get<std::string>().size(), 96u);

  // Two runs, two nonces: every quote is fresh.
  CliResult again = Cli({"verify", "hello", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.json["nonce"], by_app.json["nonce"]);

  // Another simulation root does not vouch for this node's quotes.
  tee::SimInitOptions so;
  so.now = static_cast<UnixTime>(::time(nullptr));
  ASSERT_TRUE(tee::InitSimDir(dir_ + "/other-sim", so).has_value());
  CliResult wrong = Cli({"verify", "hello", "--trust-root", dir_ + "/other-sim/root.pem",
                         "--collateral", dir_ + "/other-sim/collateral.json"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("does not verify against the trusted root"), std::string::npos)
      << wrong.output;
  // The node's own root given explicitly verifies.
  EXPECT_EQ(Cli({"verify", "hello", "--trust-root", data_ + "/sim/root.pem", "--collateral",
                 data_ + "/sim/collateral.json"})
                .exit_code,
            0);

  // Unknown app: a clear refusal, exit 1; no app: usage, exit 2.
  CliResult ghost = Cli({"verify", "ghost"});
  EXPECT_EQ(ghost.exit_code, 1) << ghost.output;
  EXPECT_NE(ghost.output.find("no CVM named 'ghost'"), std::string::npos) << ghost.output;
  EXPECT_NE(ghost.output.find("teecloud ls"), std::string::npos) << ghost.output;
  EXPECT_EQ(Cli({"verify"}).exit_code, 2);
  CliResult unreachable = CliRaw({cli_binary_, "verify", "hello", "--node", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;

  // `teecloud verify quote` is unchanged: the same kind of quote from a file, with the sim root.
  auto att =
      c.Post("/v1/cvms/hello/attest", DumpJson(Json{{"nonce", "00112233445566778899aabbccddeeff"}}),
             "application/json");
  ASSERT_TRUE(att);
  ASSERT_EQ(att->status, 200) << att->body;
  const Json a = ParseJson(att->body).value();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/quote.hex", AsBytes(a["quote"].get<std::string>())));
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/events.json", AsBytes(DumpJson(a["event_log"]))));
  CliResult q =
      CliRaw({cli_binary_, "verify", "quote", dir_ + "/quote.hex", "--collateral",
              data_ + "/sim/collateral.json", "--trust-root", data_ + "/sim/root.pem",
              "--event-log", dir_ + "/events.json", "--require-event-log-match", "--json"});
  EXPECT_EQ(q.exit_code, 0) << q.output;
  EXPECT_EQ(q.json["valid"], true) << q.output;
  EXPECT_EQ(q.json["tee"], "simulated") << q.output;
  // Options of `verify APP` placed before `quote` are refused rather than ignored.
  EXPECT_EQ(CliRaw({cli_binary_, "verify", "--json", "quote", dir_ + "/quote.hex"}).exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Agents, NodeE2eTest, ::testing::Values("fake", "real"),
                         [](const auto& param_info) { return param_info.param; });

TEST(NodeCliTest, AnUnreachableNodeIsExplained) {
  const std::string cli =
      BinaryBeside(teecloud::testing::BinDir(), "teecloud", TEECLOUD_CLI_BINARY);
  SubprocessOptions o;
  o.timeout_seconds = 60;
  auto r = RunSubprocess({cli, "ls", "--node", "http://127.0.0.1:1"}, o);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_NE(r->output.find("node not reachable at http://127.0.0.1:1"), std::string::npos)
      << r->output;
  EXPECT_NE(r->output.find("start it with `teecloud-node` or `make demo`"), std::string::npos);
}

}  // namespace
}  // namespace teecloud::node
