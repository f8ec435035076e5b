#include "node/container_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/app_keys.h"
#include "agent/app_runner.h"
#include "agent/key_provider.h"
#include "base/file.h"
#include "compose/compose_project.h"
#include "compose/encrypted_volume.h"
#include "compose/engine_client.h"
#include "crypto/hash.h"
#include "manifest/manifest.h"
#include "node/agent_client.h"
#include "node/process.h"
#include "tee/sim_attester.h"

namespace teecloud::node {

namespace fs = std::filesystem;

namespace {

constexpr size_t kInstanceSeedSize = 32;               // agent/boot.h kInstanceSeedSize
constexpr size_t kKeySeedSize = 32;                    // agent LocalKeyProvider::kSeedSize
constexpr char kInstanceSeedFile[] = "instance-seed";  // agent/boot.h LoadOrCreateInstanceSeed

bool IsCvmId(std::string_view id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status MakeDir(const std::string& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Internal("cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), mode) != 0) {
    return Internal("cannot chmod " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void RemoveQuietly(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// The instance seed, read or created with the agent's file format (32 raw bytes, 0600).
Result<Bytes> LoadOrCreateSeed(const std::string& path, size_t size, crypto::Random& random) {
  if (Exists(path)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return FailedPrecondition(path + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
      return FailedPrecondition(path + " is readable by group or others; chmod 600 it");
    }
    ASSIGN_OR_RETURN(Bytes seed, ReadFile(path, 1024));
    if (seed.size() != size) {
      return DataLoss(path + ": expected " + std::to_string(size) + " bytes, found " +
                      std::to_string(seed.size()));
    }
    return seed;
  }
  Bytes seed = random.RandomBytes(size);
  RETURN_IF_ERROR(WriteFileAtomic(path, seed, 0600));
  return seed;
}

// The last `lines` lines of `text` (all of it when lines < 0).
std::string_view LastLines(std::string_view text, int64_t lines) {
  if (lines < 0) return text;
  if (lines == 0) return {};
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  int64_t seen = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++seen == lines) break;
    --pos;
  }
  return text.substr(pos);
}

// The message of the last "fatal: ..." line in the agent's log (its reason for exiting), "" when
// there is none. Reads only the log's tail.
std::string LastFatalLine(const std::string& log_path) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return "";
  constexpr int64_t kTail = 64 << 10;
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  in.seekg(std::max<int64_t>(0, size - kTail));
  std::string text(static_cast<size_t>(std::min<int64_t>(size, kTail)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  const size_t at = text.rfind("fatal: ");
  if (at == std::string::npos) return "";
  const size_t end = text.find('\n', at);
  std::string line = text.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
  if (line.size() > 2000) line = line.substr(0, 2000) + "...";
  return line;
}

}  // namespace

std::vector<std::string> AgentArgv(const AgentLaunch& l) {
  // clang-format off
  std::vector<std::string> argv = {
      l.agent_binary,
      "--tee", "sim",
      "--sim-dir", l.sim_dir,
      "--socket", l.socket_path,
      "--manifest", l.manifest_path,
      "--app-id", l.app_id,
      "--state-dir", l.state_dir,
  };
  // clang-format on
  if (l.key_provider == "local") {
    argv.insert(argv.end(), {"--key-provider", "local", "--key-seed-file", l.key_seed_file});
  }
  if (!l.engine_socket.empty()) {
    // clang-format off
    argv.insert(argv.end(), {
        "--engine-socket", l.engine_socket,
        "--project", l.project,
        "--volume-cipher-dir", l.volume_cipher_dir,
        "--volume-mount-dir", l.volume_mount_dir,
    });
    // clang-format on
    for (const PortMapping& p : l.ports) {
      argv.insert(argv.end(), {"--port-map", std::to_string(p.cvm_port) + ":" +
                                                 std::to_string(p.host_port) + "/" + p.protocol});
    }
    if (!l.sealed_env_path.empty()) argv.insert(argv.end(), {"--sealed-env", l.sealed_env_path});
    if (!l.envexec_path.empty()) argv.insert(argv.end(), {"--envexec", l.envexec_path});
  }
  return argv;
}

Result<std::unique_ptr<ContainerBackend>> ContainerBackend::Open(ContainerBackendOptions options,
                                                                 const Clock& clock,
                                                                 crypto::Random& random) {
  if (options.data_dir.empty()) return InvalidArgument("container backend: no data directory");
  if (::access(options.agent_binary.c_str(), X_OK) != 0) {
    return FailedPrecondition("agent binary " + options.agent_binary +
                              " is not an executable file: build it (cmake --build <build> "
                              "--target teecloud-agent) or pass --agent-binary");
  }
  auto backend = std::unique_ptr<ContainerBackend>(new ContainerBackend(options, random));
  // The longest socket path must fit sockaddr_un.
  const std::string longest = backend->SocketPath("0123456789abcdef");
  if (longest.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return InvalidArgument("data directory " + options.data_dir +
                           " is too long: agent socket paths would exceed " +
                           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  }
  RETURN_IF_ERROR(MakeDir(options.data_dir + "/cvms", 0700));
  RETURN_IF_ERROR(MakeDir(options.data_dir + "/keys", 0700));
  if (!Exists(backend->sim_dir() + "/root.pem")) {
    tee::SimInitOptions sim;
    sim.now = clock.Now();
    Status s = tee::InitSimDir(backend->sim_dir(), sim);
    if (!s) return tl::unexpected(s.error().WithContext("creating the node's sim TEE"));
  }
  auto seed = LoadOrCreateSeed(backend->key_seed_path(), kKeySeedSize, random);
  if (!seed) return tl::unexpected(seed.error().WithContext("local key provider seed"));
  return backend;
}

std::string ContainerBackend::CvmDir(const std::string& id) const {
  return options_.data_dir + "/cvms/" + id;
}
std::string ContainerBackend::SocketPath(const std::string& id) const {
  return CvmDir(id) + "/agent.sock";
}
std::string ContainerBackend::LogPath(const std::string& id) const {
  return CvmDir(id) + "/agent.log";
}
std::string ContainerBackend::VolumeCipherDir(const std::string& id) const {
  return CvmDir(id) + "/state/volumes.enc";
}
std::string ContainerBackend::VolumeMountDir(const std::string& id) const {
  return CvmDir(id) + "/volumes";
}
std::string ContainerBackend::SealedEnvPath(const std::string& id) const {
  return CvmDir(id) + "/env.sealed";
}
std::string ContainerBackend::sim_dir() const { return options_.data_dir + "/sim"; }

Result<EnvPublicKey> ContainerBackend::AppEnvPublicKey(ByteView app_id) const {
  if (app_id.size() != agent::kAppIdSize) return InvalidArgument("app_id must be 20 bytes");
  ASSIGN_OR_RETURN(auto provider, agent::LocalKeyProvider::FromSeedFile(key_seed_path()));
  agent::KeyRequest request;
  request.app_id = Bytes(app_id.begin(), app_id.end());
  ASSIGN_OR_RETURN(const agent::AppKeyGrant grant, provider->GetAppKey(request));
  ASSIGN_OR_RETURN(const agent::AppKeys keys, agent::AppKeys::FromRootKey(grant.root_key));
  ASSIGN_OR_RETURN(const crypto::X25519KeyPair env, keys.EnvKeyPair());
  node::EnvPublicKey out;
  out.public_key = env.public_key;
  out.key_provider = grant.provider_name;
  out.key_provider_id = grant.kms_root_public_key;
  return out;
}
std::string ContainerBackend::key_seed_path() const {
  return options_.data_dir + "/keys/local-key-seed";
}

AgentLaunch ContainerBackend::LaunchFor(const CvmRecord& cvm,
                                        const std::string& key_provider) const {
  AgentLaunch l;
  l.agent_binary = options_.agent_binary;
  l.sim_dir = sim_dir();
  l.socket_path = SocketPath(cvm.id);
  l.manifest_path = CvmDir(cvm.id) + "/manifest.json";
  l.app_id = cvm.app_id;
  l.key_provider = key_provider;
  l.key_seed_file = key_seed_path();
  l.state_dir = CvmDir(cvm.id) + "/state";
  if (!options_.engine_socket.empty()) {
    l.engine_socket = options_.engine_socket;
    l.project = ProjectName(cvm.id);
    l.volume_cipher_dir = VolumeCipherDir(cvm.id);
    l.volume_mount_dir = VolumeMountDir(cvm.id);
    l.ports = cvm.ports;
    if (!cvm.sealed_env.empty()) l.sealed_env_path = SealedEnvPath(cvm.id);
    l.envexec_path = options_.envexec_binary;
  }
  return l;
}

Result<std::string> ContainerBackend::Create(const CvmRecord& cvm) {
  if (!IsCvmId(cvm.id)) return InvalidArgument("bad CVM id '" + cvm.id + "'");
  auto app_id = FromHex(cvm.app_id);
  if (!app_id || app_id->size() != 20) return InvalidArgument("bad app id '" + cvm.app_id + "'");
  const std::string dir = CvmDir(cvm.id);
  RETURN_IF_ERROR(MakeDir(dir, 0700));
  RETURN_IF_ERROR(MakeDir(dir + "/state", 0700));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/manifest.json", AsBytes(cvm.manifest_json), 0644));
  if (cvm.sealed_env.empty()) {
    RemoveQuietly(SealedEnvPath(cvm.id));
  } else {
    RETURN_IF_ERROR(WriteFileAtomic(SealedEnvPath(cvm.id), cvm.sealed_env, 0600));
  }
  if (!options_.engine_socket.empty()) RETURN_IF_ERROR(CheckEngine(cvm));
  ASSIGN_OR_RETURN(const Bytes seed, LoadOrCreateSeed(dir + "/state/" + kInstanceSeedFile,
                                                      kInstanceSeedSize, random_));
  // instance_id = SHA-256(instance_seed || app_id)[0..20] (ARCHITECTURE.md).
  const auto digest = crypto::Sha256(Concat({seed, *app_id}));
  return ToHex(ByteView(digest.data(), 20));
}

Result<AgentProcess> ContainerBackend::Start(const CvmRecord& cvm) {
  if (!IsCvmId(cvm.id)) return InvalidArgument("bad CVM id '" + cvm.id + "'");
  ASSIGN_OR_RETURN(const manifest::Manifest m, manifest::ParseManifest(cvm.manifest_json));
  const AgentLaunch launch = LaunchFor(cvm, std::string(manifest::KeyProviderName(m.key_provider)));
  // A stale socket from a dead agent would make the new one fail to bind.
  RemoveQuietly(launch.socket_path);
  const std::string log = LogPath(cvm.id);
  std::error_code ec;
  const auto size = fs::file_size(log, ec);
  if (!ec && size > options_.max_log_bytes) fs::rename(log, log + ".1", ec);
  return SpawnDetached(SpawnRequest{AgentArgv(launch), log});
}

Status ContainerBackend::Stop(const std::string& /*cvm_id*/, const AgentProcess& process,
                              std::chrono::milliseconds grace) {
  if (process.pid == 0) return OkStatus();
  ASSIGN_OR_RETURN(const ProcessExit ended, TerminateProcess(process, grace));
  (void)ended;
  return OkStatus();
}

Status ContainerBackend::Remove(const CvmRecord& cvm, bool purge) {
  if (!IsCvmId(cvm.id)) return InvalidArgument("bad CVM id '" + cvm.id + "'");
  const std::string dir = CvmDir(cvm.id);
  // What a stopped agent normally cleans up itself, in case it was killed: its services and
  // network on the engine, and the decrypted view of its volumes. Nothing below may delete
  // files while that view is still mounted (it would delete through it).
  if (!options_.engine_socket.empty()) {
    compose::EngineOptions eo;
    eo.socket_path = options_.engine_socket;
    compose::EngineClient engine(eo);
    ASSIGN_OR_RETURN(compose::ComposeProject project,
                     compose::ComposeProject::Open(&engine, ProjectName(cvm.id)));
    Status down = OkStatus();
    if (purge) {
      compose::PurgeOptions po;
      po.stop_timeout_seconds = options_.service_stop_timeout_seconds;
      down = project.Purge(po);
    } else {
      compose::DownOptions d;
      d.stop_timeout_seconds = options_.service_stop_timeout_seconds;
      down = project.Down(d);
    }
    if (!down && down.error().code != Code::kUnavailable) {
      return tl::unexpected(down.error().WithContext("removing the CVM's services"));
    }
  }
  const std::string mount = VolumeMountDir(cvm.id);
  compose::EncryptedVolume store;
  if (auto mounted = store.IsMounted(mount); mounted && *mounted) {
    Status unmounted = OkStatus();
    for (int attempt = 0; attempt < 20; ++attempt) {
      unmounted = store.Unmount(mount);
      if (unmounted || unmounted.error().code != Code::kFailedPrecondition) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (!unmounted) {
      return tl::unexpected(unmounted.error().WithContext("unmounting the CVM's volumes"));
    }
  }
  std::error_code ec;
  if (purge) {
    fs::remove_all(dir, ec);
    if (ec) return Internal("cannot delete " + dir + ": " + ec.message());
    return OkStatus();
  }
  for (const char* name :
       {"agent.sock", "agent.log", "agent.log.1", "manifest.json", "env.sealed"}) {
    RemoveQuietly(dir + "/" + name);
  }
  fs::remove(mount, ec);  // the empty mount point
  return OkStatus();
}

Status ContainerBackend::CheckEngine(const CvmRecord& cvm) const {
  compose::EngineOptions eo;
  eo.socket_path = options_.engine_socket;
  eo.request_timeout_seconds = 10;
  compose::EngineClient engine(eo);
  if (auto ping = engine.Ping(); !ping) {
    return MakeError(Code::kUnavailable, "the node's container engine does not answer: " +
                                             ping.error().message +
                                             "; or start the node with --engine-socket PATH");
  }
  ASSIGN_OR_RETURN(const manifest::Manifest m, manifest::ParseManifest(cvm.manifest_json));
  auto compose = agent::CheckAppCompose(m);
  if (!compose) return InvalidArgument("the manifest cannot run: " + compose.error().message);
  ASSIGN_OR_RETURN(compose::ComposeProject project,
                   compose::ComposeProject::Open(&engine, ProjectName(cvm.id)));
  for (const auto& [name, svc] : compose->services) {
    const std::string image = project.ImageFor(svc);
    auto info = engine.InspectImage(image);
    if (info) continue;
    if (info.error().code != Code::kNotFound) return tl::unexpected(info.error());
    return FailedPrecondition("service " + name + ": image " + image +
                              " is not on this node's container engine, and no registry is "
                              "reachable: build or load it first (examples/images/build.sh "
                              "builds teecloud/busybox:local)");
  }
  return OkStatus();
}

Observation ContainerBackend::Observe(const CvmRecord& cvm, bool probe) {
  if (cvm.agent.pid == 0) return Observation{AgentState::kNotRunning, false, ""};
  const ProcessExit ex = CheckProcess(cvm.agent);
  if (ex.exited) {
    std::string detail = ex.detail;
    // The agent's last words say why ("fatal: ..."), e.g. a service that did not start.
    if (ex.failed) {
      if (auto reason = LastFatalLine(LogPath(cvm.id)); !reason.empty()) detail += ": " + reason;
    }
    return Observation{AgentState::kExited, ex.failed, detail};
  }
  if (!probe) return Observation{AgentState::kRunning, false, ""};
  const AgentClient agent(SocketPath(cvm.id), options_.probe_timeout);
  auto info = agent.Info();
  if (!info) return Observation{AgentState::kStarting, false, "agent booting"};
  // The socket must be this CVM's agent (same app), not anything else listening there.
  if (info->contains("app_id") && (*info)["app_id"].is_string()) {
    auto got = FromHex((*info)["app_id"].get<std::string>());
    if (!got || ToHex(*got) != cvm.app_id) {
      return Observation{AgentState::kStarting, false, "agent reports another app id"};
    }
  }
  // Running once the app runner says so (volumes mounted, services started). An agent without
  // /AppStatus (older, or a stand-in) counts as running once it answers.
  auto app = agent.Call("AppStatus", Json::object());
  if (!app) {
    if (app.error().code == Code::kNotFound) return Observation{AgentState::kRunning, false, ""};
    return Observation{AgentState::kStarting, false, app.error().message};
  }
  const std::string stage = (*app).value("stage", "");
  if (stage == "running") return Observation{AgentState::kRunning, false, ""};
  // "services: web: starting" while starting; other stages name themselves.
  const std::string detail = (*app).value("detail", "");
  if (stage == "starting" && !detail.empty()) {
    return Observation{AgentState::kStarting, false, detail};
  }
  return Observation{AgentState::kStarting, false, detail.empty() ? stage : stage + ": " + detail};
}

Result<std::vector<DiscoveredAgent>> ContainerBackend::Discover() {
  const std::string prefix = options_.data_dir + "/cvms/";
  const std::string suffix = "/agent.sock";
  std::vector<DiscoveredAgent> out;
  const int64_t self = ::getpid();
  for (const int64_t pid : ListPids()) {
    if (pid == self) continue;
    const std::vector<std::string> argv = ProcessArgv(pid);
    std::string socket;
    for (size_t i = 0; i < argv.size(); ++i) {
      if (argv[i] == "--socket" && i + 1 < argv.size()) socket = argv[i + 1];
      if (argv[i].rfind("--socket=", 0) == 0) socket = argv[i].substr(9);
    }
    if (socket.size() <= prefix.size() + suffix.size() || socket.rfind(prefix, 0) != 0 ||
        socket.compare(socket.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string id =
        socket.substr(prefix.size(), socket.size() - prefix.size() - suffix.size());
    if (!IsCvmId(id)) continue;
    const auto start = ProcessStartTime(pid);
    if (!start) continue;  // gone or a zombie
    out.push_back(DiscoveredAgent{id, AgentProcess{pid, *start}});
  }
  return out;
}

Status ContainerBackend::Logs(const CvmRecord& cvm, const LogOptions& options,
                              const LogSink& sink) {
  if (!IsCvmId(cvm.id)) return InvalidArgument("bad CVM id '" + cvm.id + "'");
  const std::string path = LogPath(cvm.id);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!options.follow) return OkStatus();  // nothing logged yet
  }
  // Tail: read at most the last 4 MiB, then cut to the requested lines.
  constexpr int64_t kMaxTailBytes = 4 << 20;
  int64_t offset = 0;
  if (in) {
    in.seekg(0, std::ios::end);
    const int64_t size = in.tellg();
    const int64_t start = std::max<int64_t>(0, size - kMaxTailBytes);
    in.seekg(start);
    std::string text(static_cast<size_t>(size - start), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    offset = start + static_cast<int64_t>(text.size());
    const std::string_view tail = LastLines(text, options.tail_lines);
    if (!tail.empty() && !sink(tail)) return OkStatus();
  }
  if (!options.follow) return OkStatus();

  std::string buf(64 << 10, '\0');
  for (;;) {
    if (options.cancelled && options.cancelled()) return OkStatus();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
      if (!Exists(CvmDir(cvm.id))) return OkStatus();  // the CVM was purged
      std::this_thread::sleep_for(options_.follow_poll);
      continue;
    }
    if (static_cast<int64_t>(size) < offset) offset = 0;  // rotated or truncated
    if (static_cast<int64_t>(size) == offset) {
      std::this_thread::sleep_for(options_.follow_poll);
      continue;
    }
    std::ifstream f(path, std::ios::binary);
    f.seekg(offset);
    while (f) {
      f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto got = f.gcount();
      if (got <= 0) break;
      offset += got;
      if (!sink(std::string_view(buf.data(), static_cast<size_t>(got)))) return OkStatus();
    }
  }
}

Result<Attestation> ContainerBackend::Attest(const CvmRecord& cvm, ByteView report_data) {
  if (!IsCvmId(cvm.id)) return InvalidArgument("bad CVM id '" + cvm.id + "'");
  ASSIGN_OR_RETURN(AgentQuote q,
                   AgentClient(SocketPath(cvm.id), options_.quote_timeout).GetQuote(report_data));
  Attestation a;
  a.quote = std::move(q.quote);
  a.event_log = std::move(q.event_log);
  a.tee = "sim";
  a.simulated = true;
  return a;
}

Result<SimTrustMaterial> ContainerBackend::SimulationTrust() const {
  // Parsed before it is handed out, so a damaged sim directory is the node's error here and not
  // a puzzling verification failure in every client.
  auto trust = tee::LoadSimTrust(sim_dir());
  if (!trust) {
    return Internal("the node's simulation PKI in " + sim_dir() +
                    " is unusable: " + trust.error().message);
  }
  auto root = ReadTextFile(sim_dir() + "/root.pem", 1 << 20);
  if (!root) return Internal("the node's simulation root: " + root.error().message);
  return SimTrustMaterial{std::move(*root), std::move(trust->collateral_json)};
}

}  // namespace teecloud::node
