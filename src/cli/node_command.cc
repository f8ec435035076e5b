// The node client commands: teecloud deploy | ls | inspect | logs | stop | start | restart |
// upgrade | rm. They talk to a teecloud-node over its REST API (node/node_client.h): --node
// URL|socket, default the local node's socket, else http://127.0.0.1:7310.
//
// Exit codes: 0 done; 1 the node refused or the CVM failed (conflict, unknown CVM, agent
// exited, timeout waiting for it); 2 usage, unreadable input or an unreachable node.
#include <chrono>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/json.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "crypto/random.h"
#include "manifest/manifest.h"
#include "node/cvm.h"
#include "node/node_client.h"
#include "secrets/dotenv.h"
#include "secrets/sealed_env.h"

namespace teecloud::cli {

namespace {

using node::NodeClient;

struct NodeFlag {
  std::string node;
};

void AddNodeFlag(CLI::App* cmd, NodeFlag& f) {
  cmd->add_option("--node", f.node,
                  "Node API: http://HOST:PORT or a unix socket path (default: $TEECLOUD_NODE, "
                  "else the local node's socket, else http://127.0.0.1:7310)");
}

Result<NodeClient> Connect(const NodeFlag& f) {
  if (f.node.empty()) return NodeClient(node::DefaultNodeEndpoint());
  ASSIGN_OR_RETURN(node::NodeEndpoint ep, node::ParseNodeEndpoint(f.node));
  return NodeClient(std::move(ep));
}

// An error from the node (or about a CVM) is a refusal (1); an unreachable node, bad flags or an
// unreadable file are usage / I/O errors (2).
int Report(const CliIo& io, std::string_view cmd, const Error& e) {
  io.err << "teecloud " << cmd << ": " << e.message << "\n";
  return node::IsNodeUnreachable(e) ? kExitUsage : kExitRejected;
}

int Usage(const CliIo& io, std::string_view cmd, const Error& e) {
  io.err << "teecloud " << cmd << ": " << e.message << "\n";
  return kExitUsage;
}

std::string CvmPath(const std::string& ref) { return "/v1/cvms/" + node::EncodePathSegment(ref); }

std::string JsonStr(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
int64_t JsonNum(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

std::string PortsText(const Json& ports) {
  std::string out;
  if (!ports.is_array()) return out;
  for (const Json& p : ports) {
    if (!out.empty()) out += ",";
    out += std::to_string(JsonNum(p, "host")) + "->" + std::to_string(JsonNum(p, "cvm")) + "/" +
           JsonStr(p, "protocol");
  }
  return out;
}

Result<std::vector<node::PortMapping>> ParsePorts(const std::vector<std::string>& flags) {
  std::vector<node::PortMapping> out;
  for (const auto& f : flags) {
    ASSIGN_OR_RETURN(node::PortMapping p, node::ParsePortFlag(f));
    out.push_back(p);
  }
  return out;
}

// Builds the manifest of `compose_path` (manifest/manifest.h) and returns its canonical text.
Result<std::string> BuildManifest(const std::string& compose_path,
                                  const manifest::ManifestOptions& options) {
  ASSIGN_OR_RETURN(std::string compose, ReadTextFile(compose_path, manifest::kMaxComposeBytes + 1));
  auto m = manifest::ManifestFromCompose(std::move(compose), options);
  if (!m) return tl::unexpected(m.error().WithContext(compose_path));
  return manifest::CanonicalManifestJson(*m);
}

// The secrets of an --env-file ("" = none). Names only ever reach the output.
Result<std::vector<secrets::EnvVar>> ReadEnvFile(const std::string& path) {
  if (path.empty()) return std::vector<secrets::EnvVar>{};
  ASSIGN_OR_RETURN(const std::string text, ReadTextFile(path, (size_t{1} << 20) + 1));
  auto vars = secrets::ParseDotenv(text);
  if (!vars) return tl::unexpected(vars.error().WithContext("--env-file " + path));
  if (vars->empty()) return InvalidArgument("--env-file " + path + ": defines no variables");
  return vars;
}

// Seals `vars` to the env key of app `app_id` that the node's key provider reports. The values
// are encrypted here, on the owner's machine: the node only ever stores ciphertext.
Result<Bytes> SealForApp(const NodeClient& client, const std::string& app_id,
                         const std::vector<secrets::EnvVar>& vars, const CliIo& io) {
  ASSIGN_OR_RETURN(const Json reply, client.Get("/v1/apps/" + app_id + "/env-pubkey"));
  ASSIGN_OR_RETURN(const Bytes public_key,
                   secrets::ParseEnvPublicKeyHex(JsonStr(reply, "public_key")));
  crypto::SystemRandom random;
  ASSIGN_OR_RETURN(Bytes sealed, secrets::SealEnv(public_key, vars, random));
  io.err << "  sealed " << vars.size() << " secret(s) to app " << app_id.substr(0, 12)
         << "'s env key (key provider " << JsonStr(reply, "key_provider") << ")\n";
  return sealed;
}

// Polls the CVM until it runs (true), fails, or `timeout` passes; prints progress on err.
Result<Json> WaitRunning(const NodeClient& client, const std::string& ref, double timeout_seconds,
                         const CliIo& io) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  std::string last_status;
  std::string last_detail;
  for (;;) {
    ASSIGN_OR_RETURN(Json cvm, client.Get(CvmPath(ref)));
    const std::string status = JsonStr(cvm, "status");
    const std::string detail = JsonStr(cvm, "status_detail");
    if (status != last_status || (status == "starting" && detail != last_detail)) {
      io.err << "  " << JsonStr(cvm, "name") << ": " << status
             << (status == "starting" && !detail.empty() ? " (" + detail + ")" : "") << "\n";
      last_status = status;
      last_detail = detail;
    }
    if (status == "running") return cvm;
    if (status == "exited" || status == "failed" || status == "stopped" || status == "removed") {
      std::string logs;
      if (auto text = client.GetText(CvmPath(ref) + "/logs?tail=20")) logs = *text;
      return FailedPrecondition("CVM '" + JsonStr(cvm, "name") + "' is " + status +
                                (detail.empty() ? "" : ": " + detail) +
                                (logs.empty() ? "" : "\nlast output:\n" + logs) +
                                "\n(see `teecloud logs " + JsonStr(cvm, "name") + "`)");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return MakeError(Code::kDeadlineExceeded,
                       "CVM '" + JsonStr(cvm, "name") + "' is still " + status + " after " +
                           std::to_string(static_cast<int>(timeout_seconds)) +
                           "s; see `teecloud logs " + JsonStr(cvm, "name") + "`");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void PrintIdentity(const Json& cvm, const CliIo& io) {
  io.out << "  app id:        " << JsonStr(cvm, "app_id") << "\n"
         << "  instance id:   " << JsonStr(cvm, "instance_id") << "\n"
         << "  manifest hash: " << JsonStr(cvm, "manifest_hash") << "\n"
         << "  status:        " << JsonStr(cvm, "status");
  if (JsonNum(cvm, "agent_pid") != 0) io.out << " (agent pid " << JsonNum(cvm, "agent_pid") << ")";
  io.out << "\n";
  const Json& ports = cvm["ports"];
  if (ports.is_array() && !ports.empty()) {
    for (const Json& p : ports) {
      io.out << "  port:          127.0.0.1:" << JsonNum(p, "host") << " -> CVM port "
             << JsonNum(p, "cvm") << "/" << JsonStr(p, "protocol") << "\n";
    }
  } else {
    io.out << "  ports:         none mapped to the host (add --port HOST:CVM)\n";
  }
}

// ------------------------------------------------------------------ deploy

struct DeployOpts {
  NodeFlag node;
  std::string file;
  std::string name;
  std::vector<std::string> ports;
  uint64_t version = 1;
  std::string key_provider = "local";
  std::string restart = "always";
  std::string env_file;
  double timeout = 120;
  bool no_wait = false;
};

int RunDeploy(const DeployOpts& o, const CliIo& io) {
  constexpr std::string_view cmd = "deploy";
  auto client = Connect(o.node);
  if (!client) return Usage(io, cmd, client.error());
  auto ports = ParsePorts(o.ports);
  if (!ports) return Usage(io, cmd, ports.error());
  manifest::ManifestOptions mo;
  mo.name = o.name;
  mo.version = o.version;
  auto kp = manifest::ParseKeyProvider(o.key_provider);
  if (!kp) return Usage(io, cmd, kp.error());
  mo.key_provider = *kp;
  auto env = ReadEnvFile(o.env_file);
  if (!env) return Usage(io, cmd, env.error());
  // The names of the secrets are part of the measured manifest (allowed_envs); values are not.
  for (const auto& v : *env) mo.allowed_envs.push_back(v.name);
  auto manifest_json = BuildManifest(o.file, mo);
  if (!manifest_json) return Usage(io, cmd, manifest_json.error());
  Json body = {{"name", o.name},
               {"manifest", *manifest_json},
               {"ports", node::PortsToJson(*ports)},
               {"restart_policy", o.restart}};
  io.err << "deploying " << o.name << " to " << client->endpoint().display << "\n";
  if (!env->empty()) {
    // The app id the CVM will have: a removed CVM of this name keeps its own.
    auto m = manifest::ParseManifest(*manifest_json);
    if (!m) return Usage(io, cmd, m.error());
    const manifest::AppId policy_id = manifest::PolicyModeAppId(*m);
    std::string app_id = ToHex(ByteView(policy_id.data(), policy_id.size()));
    if (auto kept = client->Get(CvmPath(o.name)); kept && JsonStr(*kept, "status") == "removed") {
      app_id = JsonStr(*kept, "app_id");
    }
    auto sealed = SealForApp(*client, app_id, *env, io);
    if (!sealed) return Report(io, cmd, sealed.error());
    body["sealed_env"] = ToHex(*sealed);
  }
  auto reply = client->Post("/v1/cvms", body);
  if (!reply) return Report(io, cmd, reply.error());
  Json cvm = (*reply)["cvm"];
  if ((*reply)["resumed"] == true) {
    io.err << "  resumed the kept data of a removed CVM named " << o.name
           << " (same app id and instance)\n";
  }
  if (!o.no_wait) {
    auto running = WaitRunning(*client, JsonStr(cvm, "id"), o.timeout, io);
    if (!running) return Report(io, cmd, running.error());
    cvm = *running;
  }
  io.out << "deployed " << JsonStr(cvm, "name") << "\n";
  PrintIdentity(cvm, io);
  return kExitOk;
}

// ------------------------------------------------------------------ ls / inspect

struct LsOpts {
  NodeFlag node;
  bool json = false;
  bool all = false;
};

int RunLs(const LsOpts& o, const CliIo& io) {
  auto client = Connect(o.node);
  if (!client) return Usage(io, "ls", client.error());
  auto reply = client->Get(std::string("/v1/cvms") + (o.all ? "?all=true" : ""));
  if (!reply) return Report(io, "ls", reply.error());
  const Json& cvms = (*reply)["cvms"];
  if (o.json) {
    io.out << DumpJson(cvms, 2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "STATUS", "APP ID", "INSTANCE ID", "PORTS", "RESTARTS", "AGENT PID"}};
  for (const Json& c : cvms) {
    rows.push_back({JsonStr(c, "name"), JsonStr(c, "status"), JsonStr(c, "app_id").substr(0, 12),
                    JsonStr(c, "instance_id").substr(0, 12), PortsText(c["ports"]),
                    std::to_string(JsonNum(c, "restart_count")),
                    JsonNum(c, "agent_pid") ? std::to_string(JsonNum(c, "agent_pid")) : "-"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    io.out << line << "\n";
  }
  return kExitOk;
}

struct RefOpts {
  NodeFlag node;
  std::string app;
};

int RunInspect(const RefOpts& o, const CliIo& io) {
  auto client = Connect(o.node);
  if (!client) return Usage(io, "inspect", client.error());
  auto reply = client->Get(CvmPath(o.app));
  if (!reply) return Report(io, "inspect", reply.error());
  io.out << DumpJson(*reply, 2) << "\n";
  return kExitOk;
}

// ------------------------------------------------------------------ logs

struct LogsOpts {
  NodeFlag node;
  std::string app;
  bool follow = false;
  int64_t tail = -1;
};

int RunLogs(const LogsOpts& o, const CliIo& io) {
  auto client = Connect(o.node);
  if (!client) return Usage(io, "logs", client.error());
  std::string path = CvmPath(o.app) + "/logs";
  std::string query;
  if (o.tail >= 0) query += "tail=" + std::to_string(o.tail);
  if (o.follow) query += std::string(query.empty() ? "" : "&") + "follow=true";
  if (!query.empty()) path += "?" + query;
  if (!o.follow) {
    auto text = client->GetText(path);
    if (!text) return Report(io, "logs", text.error());
    io.out << *text;
    io.out.flush();
    return kExitOk;
  }
  Status s = client->Stream(path, [&](std::string_view chunk) {
    io.out << chunk;
    io.out.flush();
    return static_cast<bool>(io.out);
  });
  if (!s) return Report(io, "logs", s.error());
  return kExitOk;
}

// ------------------------------------------------------------------ stop / start / restart

struct LifecycleOpts {
  NodeFlag node;
  std::string app;
  double timeout = 120;
  bool no_wait = false;
};

int RunLifecycle(const std::string& verb, const LifecycleOpts& o, const CliIo& io) {
  auto client = Connect(o.node);
  if (!client) return Usage(io, verb, client.error());
  auto reply = client->Post(CvmPath(o.app) + "/" + verb, Json::object());
  if (!reply) return Report(io, verb, reply.error());
  Json cvm = *reply;
  if (verb != "stop" && !o.no_wait) {
    auto running = WaitRunning(*client, JsonStr(cvm, "id"), o.timeout, io);
    if (!running) return Report(io, verb, running.error());
    cvm = *running;
  }
  const std::string done = verb == "stop" ? "stopped" : verb == "start" ? "started" : "restarted";
  io.out << done << " " << JsonStr(cvm, "name") << " (status " << JsonStr(cvm, "status") << ")\n";
  return kExitOk;
}

// ------------------------------------------------------------------ upgrade

struct UpgradeOpts {
  NodeFlag node;
  std::string app;
  std::string file;
  uint64_t version = 0;  // 0: current + 1
  std::vector<std::string> ports;
  std::string env_file;
  double timeout = 120;
  bool no_wait = false;
};

int RunUpgrade(const UpgradeOpts& o, const CliIo& io) {
  constexpr std::string_view cmd = "upgrade";
  auto client = Connect(o.node);
  if (!client) return Usage(io, cmd, client.error());
  auto current = client->Get(CvmPath(o.app));
  if (!current) return Report(io, cmd, current.error());
  // The new manifest keeps what identifies the app (name, key provider) and moves the version
  // forward unless told otherwise.
  const Json& old_manifest = (*current)["manifest"];
  manifest::ManifestOptions mo;
  mo.name = JsonStr(old_manifest, "name");
  const int64_t old_version = JsonNum(old_manifest, "version");
  mo.version = o.version != 0 ? o.version : static_cast<uint64_t>(old_version + 1);
  if (auto kp = manifest::ParseKeyProvider(JsonStr(old_manifest, "key_provider"))) {
    mo.key_provider = *kp;
  }
  auto env = ReadEnvFile(o.env_file);
  if (!env) return Usage(io, cmd, env.error());
  if (!env->empty()) {
    for (const auto& v : *env) mo.allowed_envs.push_back(v.name);
  } else if (old_manifest.contains("allowed_envs") && old_manifest["allowed_envs"].is_array()) {
    // Without --env-file the current secrets stay, and so do the names that let them through.
    for (const Json& n : old_manifest["allowed_envs"]) {
      if (n.is_string()) mo.allowed_envs.push_back(n.get<std::string>());
    }
  }
  auto manifest_json = BuildManifest(o.file, mo);
  if (!manifest_json) return Usage(io, cmd, manifest_json.error());
  Json body = {{"manifest", *manifest_json}};
  if (!env->empty()) {
    auto sealed = SealForApp(*client, JsonStr(*current, "app_id"), *env, io);
    if (!sealed) return Report(io, cmd, sealed.error());
    body["sealed_env"] = ToHex(*sealed);
  }
  if (!o.ports.empty()) {
    auto ports = ParsePorts(o.ports);
    if (!ports) return Usage(io, cmd, ports.error());
    body["ports"] = node::PortsToJson(*ports);
  }
  io.err << "upgrading " << JsonStr(*current, "name") << " (version " << old_version << " -> "
         << mo.version << ")\n";
  auto reply = client->Post(CvmPath(o.app) + "/upgrade", body);
  if (!reply) return Report(io, cmd, reply.error());
  Json cvm = *reply;
  if (JsonStr(cvm, "desired_state") == "running" && !o.no_wait) {
    auto running = WaitRunning(*client, JsonStr(cvm, "id"), o.timeout, io);
    if (!running) return Report(io, cmd, running.error());
    cvm = *running;
  }
  io.out << "upgraded " << JsonStr(cvm, "name") << " to generation " << JsonNum(cvm, "generation")
         << " (manifest " << JsonStr(*current, "manifest_hash").substr(0, 12) << " -> "
         << JsonStr(cvm, "manifest_hash").substr(0, 12) << "; same app id and instance)\n";
  PrintIdentity(cvm, io);
  return kExitOk;
}

// ------------------------------------------------------------------ rm

struct RmOpts {
  NodeFlag node;
  std::string app;
  bool purge = false;
};

int RunRm(const RmOpts& o, const CliIo& io) {
  auto client = Connect(o.node);
  if (!client) return Usage(io, "rm", client.error());
  auto reply = client->Delete(CvmPath(o.app) + (o.purge ? "?purge=true" : ""));
  if (!reply) return Report(io, "rm", reply.error());
  const std::string name = JsonStr((*reply)["cvm"], "name");
  if (o.purge) {
    io.out << "removed " << name << " and its data\n";
  } else {
    io.out << "removed " << name << "; its data (instance seed, agent state, volumes) is kept: "
           << "deploying '" << name << "' again resumes it, `teecloud rm " << name
           << " --purge` deletes it\n";
  }
  return kExitOk;
}

}  // namespace

void AddNodeCommands(CommandTable& table) {
  CLI::App& root = table.root();
  const CliIo& io = table.io();

  {
    auto o = std::make_shared<DeployOpts>();
    CLI::App* c = root.add_subcommand(
        "deploy", "Deploy a docker-compose app as a CVM on a node (prints its identity)");
    c->add_option("-f,--file", o->file, "docker-compose.yml")->required();
    c->add_option("--name", o->name, "App name ([a-z0-9-], unique on the node)")->required();
    c->add_option("--port", o->ports, "Map host port to CVM port: HOST:CVM[/udp] (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--version", o->version, "Manifest version (rollback protection; default 1)");
    c->add_option("--env-file", o->env_file,
                  "Secrets (KEY=VALUE lines): sealed here to the app's env key; only the CVM "
                  "decrypts them. Their names become the manifest's allowed_envs");
    c->add_option("--key-provider", o->key_provider, "local (default) | none | kms")
        ->check(CLI::IsMember({"local", "none", "kms"}));
    c->add_option("--restart", o->restart,
                  "Agent restart policy: always (default) | "
                  "on-failure | no")
        ->check(CLI::IsMember({"always", "on-failure", "no"}));
    c->add_option("--timeout", o->timeout, "Seconds to wait for the CVM to run (default 120)");
    c->add_flag("--no-wait", o->no_wait, "Return once the node accepted the deployment");
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunDeploy(*o, io); });
  }
  {
    auto o = std::make_shared<LsOpts>();
    CLI::App* c = root.add_subcommand("ls", "List the CVMs of a node");
    c->add_flag("--json", o->json, "Print a JSON array");
    c->add_flag("--all", o->all, "Include removed CVMs whose data is kept");
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunLs(*o, io); });
  }
  {
    auto o = std::make_shared<RefOpts>();
    CLI::App* c = root.add_subcommand("inspect",
                                      "Show a CVM (JSON): identity, status, manifest, "
                                      "recent events");
    c->add_option("APP", o->app, "CVM name, id or app id")->required();
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunInspect(*o, io); });
  }
  {
    auto o = std::make_shared<LogsOpts>();
    CLI::App* c = root.add_subcommand("logs", "Print a CVM's output");
    c->add_option("APP", o->app, "CVM name, id or app id")->required();
    c->add_flag("-f,--follow", o->follow, "Keep printing new output");
    c->add_option("--tail", o->tail, "Only the last N lines");
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunLogs(*o, io); });
  }
  for (const char* verb : {"stop", "start", "restart"}) {
    auto o = std::make_shared<LifecycleOpts>();
    const std::string v = verb;
    CLI::App* c = root.add_subcommand(v, v == "stop"    ? "Stop a CVM (its data stays)"
                                         : v == "start" ? "Start a stopped CVM"
                                                        : "Stop and start a CVM");
    c->add_option("APP", o->app, "CVM name, id or app id")->required();
    if (v != "stop") {
      c->add_option("--timeout", o->timeout, "Seconds to wait for the CVM to run (default 120)");
      c->add_flag("--no-wait", o->no_wait, "Do not wait for the CVM to run");
    }
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io, v] { return RunLifecycle(v, *o, io); });
  }
  {
    auto o = std::make_shared<UpgradeOpts>();
    CLI::App* c = root.add_subcommand(
        "upgrade", "Run a new docker-compose.yml in a CVM: same app id, instance and data");
    c->add_option("APP", o->app, "CVM name, id or app id")->required();
    c->add_option("-f,--file", o->file, "The new docker-compose.yml")->required();
    c->add_option("--version", o->version, "Manifest version (default: the current one + 1)");
    c->add_option("--env-file", o->env_file,
                  "Replace the secrets (KEY=VALUE lines; default: keep the current ones)");
    c->add_option("--port", o->ports, "Replace the port mappings: HOST:CVM[/udp] (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--timeout", o->timeout, "Seconds to wait for the CVM to run (default 120)");
    c->add_flag("--no-wait", o->no_wait, "Do not wait for the CVM to run");
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunUpgrade(*o, io); });
  }
  {
    auto o = std::make_shared<RmOpts>();
    CLI::App* c = root.add_subcommand(
        "rm",
        "Remove a CVM; its data is kept (deploying the name again resumes it) unless "
        "--purge");
    c->add_option("APP", o->app, "CVM name, id or app id")->required();
    c->add_flag("--purge", o->purge, "Also delete its data: instance seed, agent state, volumes");
    AddNodeFlag(c, o->node);
    table.Handle(c, [o, io] { return RunRm(*o, io); });
  }
}

}  // namespace teecloud::cli
