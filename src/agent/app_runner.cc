#include "agent/app_runner.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <ctime>
#include <thread>

#include "base/file.h"
#include "compose/engine_client.h"
#include "secrets/sealed_env.h"

namespace teecloud::agent {
namespace {

compose::EngineClient Engine(const AppRunnerOptions& o) {
  compose::EngineOptions e;
  e.socket_path = o.engine_socket;
  return compose::EngineClient(e);
}

Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("cannot create " + dir + ": " + std::strerror(errno));
  }
  return OkStatus();
}

// "2026-11-24T00:00:01.5Z text" → (seconds, nanoseconds); nullopt when the line has no
// timestamp of the engine's form.
struct Stamp {
  int64_t seconds = 0;
  int64_t nanos = 0;
  auto operator<=>(const Stamp&) const = default;
};
std::optional<Stamp> ParseStamp(std::string_view ts) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (ts.size() < 20 || ts[4] != '-' || ts[10] != 'T' || ts.back() != 'Z') return std::nullopt;
  std::tm tm{};
  auto num = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (ts[i] < '0' || ts[i] > '9') return false;
      out = out * 10 + (ts[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, s)) {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  Stamp out;
  out.seconds = static_cast<int64_t>(::timegm(&tm));
  if (ts.size() > 20 && ts[19] == '.') {
    int64_t scale = 100000000;
    for (size_t i = 20; i + 1 < ts.size() && scale > 0; ++i, scale /= 10) {
      if (ts[i] < '0' || ts[i] > '9') return std::nullopt;
      out.nanos += (ts[i] - '0') * scale;
    }
  }
  return out;
}

}  // namespace

Result<OpenedSecrets> OpenDeploymentSecrets(const AppKeys& keys, ByteView sealed,
                                            const std::vector<std::string>& allowed_envs) {
  ASSIGN_OR_RETURN(const crypto::X25519KeyPair env_key, keys.EnvKeyPair());
  ASSIGN_OR_RETURN(std::vector<secrets::EnvVar> vars,
                   secrets::OpenSealedEnv(env_key.private_key, sealed));
  OpenedSecrets out;
  for (auto& v : vars) {
    if (std::find(allowed_envs.begin(), allowed_envs.end(), v.name) != allowed_envs.end()) {
      out.kept[v.name] = std::move(v.value);
    } else {
      out.dropped.push_back(v.name);
    }
  }
  return out;
}

Result<compose::ComposeFile> ParseAppCompose(const manifest::Manifest& manifest,
                                             const std::map<std::string, std::string>& secrets) {
  compose::ParseOptions options;
  options.env = secrets;
  options.allowed_env_names.insert(manifest.allowed_envs.begin(), manifest.allowed_envs.end());
  for (const auto& [name, value] : secrets) options.secret_env_names.insert(name);
  auto parsed = compose::ParseComposeFile(manifest.docker_compose_file, options);
  if (!parsed) return tl::unexpected(parsed.error().WithContext("the manifest's compose file"));
  return parsed;
}

Result<compose::ComposeFile> CheckAppCompose(const manifest::Manifest& manifest) {
  std::map<std::string, std::string> placeholders;
  for (const auto& name : manifest.allowed_envs) placeholders[name] = "secret";
  return ParseAppCompose(manifest, placeholders);
}

AppRunner::AppRunner(AppRunnerOptions options) : options_(std::move(options)) {}

AppRunner::~AppRunner() = default;

std::string AppRunner::VolumeRootDir() const {
  return options_.volume_mount_dir.empty() ? "" : options_.volume_mount_dir + "/volumes";
}

std::string AppRunner::SecretDir() const {
  return options_.volume_mount_dir.empty() ? options_.state_dir + "/secrets"
                                           : options_.volume_mount_dir + "/secrets";
}

Status AppRunner::Start(const manifest::Manifest& manifest, const AppKeys& keys,
                        const Progress& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  compose::EngineClient engine = Engine(options_);
  if (auto ping = engine.Ping(); !ping) return ping;  // says where and what to do

  // 1. Volumes.
  if (!options_.volume_cipher_dir.empty()) {
    say("volumes: mounting the encrypted volume store " + options_.volume_cipher_dir);
    ASSIGN_OR_RETURN(const crypto::SecretBytes volume_key, keys.VolumeKey());
    compose::EncryptedVolume store(options_.volume_options);
    if (!store.IsInitialized(options_.volume_cipher_dir)) {
      say("volumes: first boot, initializing the store");
      RETURN_IF_ERROR(store.Init(options_.volume_cipher_dir, volume_key));
    }
    auto mounted = store.Mount(options_.volume_cipher_dir, options_.volume_mount_dir, volume_key);
    if (!mounted) {
      if (mounted.error().code == Code::kPermissionDenied) {
        return MakeError(Code::kPermissionDenied,
                         "the encrypted volume store " + options_.volume_cipher_dir +
                             " does not open with this app's volume key (it belongs to another "
                             "app or key provider)");
      }
      return mounted;
    }
    mounted_ = true;
    RETURN_IF_ERROR(MakePrivateDir(VolumeRootDir()));
  }

  // 2. Secrets.
  OpenedSecrets secrets;
  if (!options_.sealed_env_path.empty()) {
    ASSIGN_OR_RETURN(const Bytes sealed, ReadFile(options_.sealed_env_path, secrets::kMaxSealedEnvSize));
    auto opened = OpenDeploymentSecrets(keys, sealed, manifest.allowed_envs);
    if (!opened) return tl::unexpected(opened.error().WithContext("the deployment's secrets"));
    secrets = std::move(*opened);
    say("secrets: " + std::to_string(secrets.kept.size()) + " decrypted");
    if (!secrets.dropped.empty()) {
      std::string names;
      for (const auto& n : secrets.dropped) names += (names.empty() ? "" : ", ") + n;
      say("warning: secrets not in the manifest's allowed_envs are not exported: " + names);
    }
  }
  if (!secrets.kept.empty()) RETURN_IF_ERROR(MakePrivateDir(SecretDir()));

  // 3. Services.
  ASSIGN_OR_RETURN(const compose::ComposeFile compose, ParseAppCompose(manifest, secrets.kept));
  for (const auto& w : compose.warnings) say("warning: " + w);
  ASSIGN_OR_RETURN(compose::ComposeProject project,
                   compose::ComposeProject::Open(&engine, options_.project));
  compose::DownOptions down;
  down.stop_timeout_seconds = options_.stop_timeout_seconds;
  RETURN_IF_ERROR(project.Down(down));

  compose::UpOptions up;
  up.volume_root_dir = VolumeRootDir();
  up.port_host_ip = options_.port_host_ip;
  up.force_port_host_ip = options_.port_map.has_value();
  up.port_map = options_.port_map;
  up.host_binds = options_.socket_binds;
  up.stop_timeout_seconds = options_.stop_timeout_seconds;
  if (!secrets.kept.empty()) {
    up.secret_dir = SecretDir();
    up.envexec_path = options_.envexec_path;
  }
  up.progress = [&](const compose::ProgressEvent& e) {
    say("services: " + (e.service.empty() ? "" : e.service + ": ") + e.message);
  };
  say("services: starting " + std::to_string(compose.services.size()) + " service(s) as project " +
      options_.project);
  return project.Up(compose, up);
}

Status AppRunner::Stop(const Progress& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  Status result = OkStatus();
  compose::EngineClient engine = Engine(options_);
  auto project = compose::ComposeProject::Open(&engine, options_.project);
  if (!project) return tl::unexpected(project.error());
  say("services: stopping");
  compose::DownOptions down;
  down.stop_timeout_seconds = options_.stop_timeout_seconds;
  down.secret_dir = SecretDir();
  if (auto st = project->Down(down); !st) result = st;

  if (!options_.volume_mount_dir.empty()) {
    compose::EncryptedVolume store(options_.volume_options);
    // The engine may hold the mount for a moment after its containers are gone.
    Status unmounted = OkStatus();
    for (int attempt = 0; attempt < 20; ++attempt) {
      unmounted = store.Unmount(options_.volume_mount_dir);
      if (unmounted || unmounted.error().code != Code::kFailedPrecondition) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (unmounted) {
      say("volumes: unmounted");
      mounted_ = false;
    } else if (result) {
      result = unmounted;
    }
  }
  return result;
}

Result<Json> AppRunner::Services() const {
  compose::EngineClient engine = Engine(options_);
  ASSIGN_OR_RETURN(compose::ComposeProject project,
                   compose::ComposeProject::Open(&engine, options_.project));
  ASSIGN_OR_RETURN(const std::vector<compose::ServiceStatus> services, project.Ps());
  Json out = Json::array();
  for (const auto& s : services) {
    Json ports = Json::array();
    for (const auto& p : s.ports) {
      if (p.host_port == 0) continue;
      ports.push_back({{"host_ip", p.host_ip},
                       {"host_port", p.host_port},
                       {"container_port", p.container_port},
                       {"protocol", p.protocol}});
    }
    out.push_back({{"service", s.service},
                   {"state", s.state},
                   {"running", s.running},
                   {"status", s.status},
                   {"exit_code", s.exit_code},
                   {"restart_count", s.restart_count},
                   {"ports", std::move(ports)}});
  }
  return out;
}

void AppRunner::ForwardLogs(const std::function<void(const compose::LogLine&)>& on_line,
                            const std::atomic<bool>& stop) const {
  // Follows in short rounds so `stop` is noticed; lines carry the engine's timestamps, so a
  // round that re-attaches skips what the previous one already forwarded.
  std::map<std::string, Stamp> last;  // per service: streams interleave out of order
  while (!stop.load()) {
    compose::EngineClient engine = Engine(options_);
    auto project = compose::ComposeProject::Open(&engine, options_.project);
    if (!project) return;
    compose::ProjectLogsOptions options;
    options.follow = true;
    options.engine.timestamps = true;
    options.engine.follow_timeout_seconds = 2;
    if (!last.empty()) {
      int64_t since = last.begin()->second.seconds;
      for (const auto& [service, stamp] : last) since = std::min(since, stamp.seconds);
      options.engine.since_unix = since;
    }
    (void)project->Logs(options, [&](const compose::LogLine& line) {
      compose::LogLine out = line;
      const size_t space = line.text.find(' ');
      if (space != std::string::npos) {
        if (auto stamp = ParseStamp(std::string_view(line.text).substr(0, space))) {
          auto it = last.find(line.service);
          if (it != last.end() && *stamp <= it->second) return !stop.load();
          last[line.service] = *stamp;
          out.text = line.text.substr(space + 1);
        }
      }
      on_line(out);
      return !stop.load();
    });
    if (stop.load()) return;
    // Nothing to follow (no containers yet, or all stopped), or the engine went away: wait.
    for (int i = 0; i < 10 && !stop.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace teecloud::agent
