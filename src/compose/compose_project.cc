#include "compose/compose_project.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "base/bytes.h"
#include "base/file.h"
#include "crypto/hash.h"
#include "crypto/mac.h"
#include "crypto/random.h"

namespace teecloud::compose {

namespace fs = std::filesystem;

namespace {

std::string ShortHash(std::string_view s, size_t hex_chars) {
  return ToHex(crypto::View(crypto::Sha256(AsBytes(s)))).substr(0, hex_chars);
}

std::string PortText(const std::string& ip, uint16_t port, const std::string& proto) {
  const bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port) + "/" + proto;
}

// Whether a host port can be bound right now. EACCES (a low port without privilege) cannot be
// told apart from "free" here, so it passes and the engine decides.
Status ProbeHostPort(const std::string& ip_in, uint16_t port, const std::string& proto) {
  if (proto == "sctp" || port == 0) return OkStatus();
  const std::string ip = ip_in.empty() ? "0.0.0.0" : ip_in;
  const bool v6 = ip.find(':') != std::string::npos;
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) != 1) {
      return InvalidArgument("invalid host address " + ip);
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1) {
      return InvalidArgument("invalid host address " + ip);
    }
    len = sizeof(sockaddr_in);
  }
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET,
                          (proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return OkStatus();  // cannot probe; the engine will tell
  const int one = 1;
  if (proto != "udp") ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return OkStatus();
  if (err == EADDRINUSE) {
    return FailedPrecondition("host port " + PortText(ip, port, proto) +
                              " is already in use on this machine");
  }
  if (err == EADDRNOTAVAIL) {
    return InvalidArgument("host address " + ip + " is not configured on this machine");
  }
  return OkStatus();
}

bool IsPortConflict(const std::string& message) {
  return message.find("address already in use") != std::string::npos ||
         message.find("port is already allocated") != std::string::npos;
}

// Creates missing directories down to `p`, recording each one made (for rollback).
Status MakeDirs(const fs::path& p, std::vector<fs::path>& created) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path q = p; !q.empty() && !fs::exists(q, ec); q = q.parent_path()) {
    missing.push_back(q);
    if (q == q.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, ec) && ec) {
      return Internal("cannot create directory " + it->string() + ": " + ec.message());
    }
    fs::permissions(*it, fs::perms(0755), ec);
    created.push_back(*it);
  }
  if (!fs::is_directory(p, ec)) return FailedPrecondition(p.string() + " is not a directory");
  return OkStatus();
}

// p is strictly below root (both made absolute and normalized; symlinks resolved).
bool StrictlyInside(const fs::path& p, const fs::path& root) {
  std::error_code ec;
  const fs::path cp = fs::weakly_canonical(p, ec);
  if (ec) return false;
  const fs::path cr = fs::weakly_canonical(root, ec);
  if (ec) return false;
  const std::string ps = cp.string(), rs = cr.string();
  return ps.size() > rs.size() + 1 && ps.compare(0, rs.size(), rs) == 0 && ps[rs.size()] == '/' &&
         rs != "/";
}

Status StartFailure(const std::string& service, const ContainerSpec& spec, const Error& error) {
  if (IsPortConflict(error.message)) {
    std::string ports;
    for (const auto& p : spec.ports) {
      if (!ports.empty()) ports += ", ";
      ports += PortText(p.host_ip, p.host_port, p.protocol);
    }
    return FailedPrecondition("service " + service + ": a published host port is already in use (" +
                              ports + "): " + error.message);
  }
  return MakeError(error.code, "service " + service + ": cannot start: " + error.message);
}

struct DesiredVolume {
  std::string engine_name;
  std::string compose_name;  // top-level name, or "" for an anonymous volume
  std::string dir;           // "" for a plain engine volume
};

struct Plan {
  std::map<std::string, ContainerSpec> specs;    // by service
  std::map<std::string, DesiredVolume> volumes;  // by engine name
};

RestartPolicy ToRestartPolicy(const std::string& r) {
  RestartPolicy p;
  if (r.rfind("on-failure:", 0) == 0) {
    p.name = "on-failure";
    p.max_retries = std::atoi(r.c_str() + 11);
  } else {
    p.name = r.empty() ? "no" : r;
  }
  return p;
}

bool IsEnvName(std::string_view key) {
  if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) {
    return false;
  }
  return std::all_of(key.begin(), key.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// A directory only its owner can enter; created (with missing parents) when absent.
Status EnsurePrivateDir(const std::string& dir) {
  std::error_code ec;
  const fs::path p(dir);
  if (!fs::exists(p, ec)) {
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Internal("cannot create directory " + dir + ": " + std::strerror(errno));
    }
  }
  if (!fs::is_directory(p, ec)) return FailedPrecondition(dir + " is not a directory");
  return OkStatus();
}

// The key of the configuration hash's secret part: read, or made once. link() publishes it
// atomically, so concurrent first runs agree on one key.
Result<crypto::SecretBytes> LoadOrCreateHmacKey(const std::string& secret_dir) {
  const std::string path = secret_dir + "/" + kSecretHmacKeyFile;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = ReadFile(path, 1024);
    if (existing.has_value()) {
      crypto::SecretBytes key{ByteView(*existing)};
      std::fill(existing->begin(), existing->end(), uint8_t{0});
      if (key.size() == 32) return key;
      return FailedPrecondition(path +
                                " is not a 32-byte key; delete it (services with secrets "
                                "are then recreated once)");
    }
    if (existing.error().code != Code::kNotFound) return tl::unexpected(existing.error());
    crypto::SystemRandom rng;
    const crypto::SecretBytes key = rng.RandomSecret(32);
    const std::string tmp = path + ".new." + std::to_string(::getpid());
    RETURN_IF_ERROR(WriteFileAtomic(tmp, key.view(), 0600));
    const int rc = ::link(tmp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(tmp.c_str());
    if (rc == 0) return key;
    if (err != EEXIST) {
      return Internal("cannot create " + path + ": " + std::strerror(err));
    }
  }
  return Internal("cannot create " + path);
}

// The uid a container runs as, for the owner of its secret file: `user` ("uid[:gid]",
// "name[:group]", "" = the image's USER, "" there too = root).
Result<uid_t> SecretFileOwner(const std::string& service, const std::string& service_user,
                              const std::string& image_user) {
  const std::string& user = service_user.empty() ? image_user : service_user;
  const std::string name = user.substr(0, user.find(':'));
  if (name.empty() || name == "root") return uid_t{0};
  if (name.size() <= 10 &&
      std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); })) {
    const unsigned long uid = std::stoul(name);
    if (uid <= 0xFFFFFFFEul) return static_cast<uid_t>(uid);
  }
  return InvalidArgument("service " + service + " runs as user '" + user +
                         "' and has secret environment entries: give a numeric user "
                         "(user: UID[:GID]) so that its secret file can be made readable to it");
}

// Keys of `service` whose values go through its secret file (those present in environment).
std::map<std::string, std::string> SecretEntries(const ServiceSpec& service) {
  std::map<std::string, std::string> out;
  for (const auto& key : service.secret_environment) {
    if (auto it = service.environment.find(key); it != service.environment.end()) {
      out[key] = it->second;
    }
  }
  return out;
}

// A label's service name as a file name below secret_dir (labels are the engine's data).
bool SafeFileStem(const std::string& s) {
  return !s.empty() && s[0] != '.' && s.find('/') == std::string::npos && s.size() <= 255;
}

Status RemoveSecretFiles(const std::string& secret_dir, const std::set<std::string>& services) {
  if (secret_dir.empty()) return OkStatus();
  for (const auto& service : services) {
    if (!SafeFileStem(service)) continue;
    const std::string path = secret_dir + "/" + service + ".env";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Internal("cannot delete " + path + ": " + std::strerror(errno));
    }
  }
  return OkStatus();
}

}  // namespace

Result<crypto::SecretBytes> EncodeSecretEnv(const std::map<std::string, std::string>& entries) {
  size_t size = 0;
  for (const auto& [key, value] : entries) {
    if (!IsEnvName(key)) {
      return InvalidArgument("secret environment key '" + key +
                             "' is not a valid name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (value.find('\0') != std::string::npos) {
      return InvalidArgument("the value of secret environment entry " + key +
                             " contains a NUL byte");
    }
    size += key.size() + value.size() + 2;
  }
  crypto::SecretBytes out(size);
  uint8_t* p = out.data();
  for (const auto& [key, value] : entries) {
    p = std::copy(key.begin(), key.end(), p);
    *p++ = '=';
    p = std::copy(value.begin(), value.end(), p);
    *p++ = '\0';
  }
  return out;
}

Status WriteSecretEnvFile(const std::string& path,
                          const std::map<std::string, std::string>& entries) {
  ASSIGN_OR_RETURN(const crypto::SecretBytes data, EncodeSecretEnv(entries));
  return WriteFileAtomic(path, data.view(), 0600);
}

Result<ComposeProject> ComposeProject::Open(EngineClient* engine, std::string name) {
  TEECLOUD_CHECK(engine != nullptr);
  const bool ok = !name.empty() && name.size() <= 63 &&
                  (std::islower(static_cast<unsigned char>(name[0])) ||
                   std::isdigit(static_cast<unsigned char>(name[0]))) &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return std::islower(c) || std::isdigit(c) || c == '_' || c == '-';
                  });
  if (!ok) {
    return InvalidArgument("invalid project name '" + name +
                           "': lower-case letters, digits, '_' and '-', starting with a letter "
                           "or digit, at most 63 characters");
  }
  return ComposeProject(engine, std::move(name));
}

std::string ComposeProject::ImageFor(const ServiceSpec& service) const {
  return service.image.empty() ? name_ + "_" + service.name : service.image;
}

std::vector<std::string> ComposeProject::ProjectFilter() const {
  return {std::string(kLabelProject) + "=" + name_};
}

Status ComposeProject::Up(const ComposeFile& compose, const UpOptions& options) {
  std::mutex progress_mu;  // creation and start run in parallel; the callback never does
  const auto progress = [&](const std::string& service, std::string message) {
    if (!options.progress) return;
    std::lock_guard<std::mutex> lock(progress_mu);
    options.progress(ProgressEvent{service, std::move(message)});
  };
  if (!options.volume_root_dir.empty() && options.volume_root_dir[0] != '/') {
    return InvalidArgument("volume_root_dir must be an absolute path");
  }
  if (compose.services.empty()) return InvalidArgument("compose file has no services");
  // Recomputed rather than trusted: callers may edit `services` after parsing.
  ASSIGN_OR_RETURN(const std::vector<std::string> start_order, StartOrder(compose.services));

  // Services whose secret environment goes through a file (never the engine's configuration).
  std::map<std::string, std::map<std::string, std::string>> secrets;
  for (const auto& [name, svc] : compose.services) {
    auto entries = SecretEntries(svc);
    if (!entries.empty()) secrets[name] = std::move(entries);
  }
  if (!secrets.empty()) {
    std::string names;
    for (const auto& [name, entries] : secrets) names += (names.empty() ? "" : ", ") + name;
    if (options.secret_dir.empty() || options.envexec_path.empty()) {
      return FailedPrecondition(
          "service(s) " + names +
          " have secret environment entries, which need UpOptions::secret_dir (on encrypted or "
          "memory-backed storage) and envexec_path (the teecloud-envexec binary)");
    }
    for (const std::string* path : {&options.secret_dir, &options.envexec_path}) {
      if ((*path)[0] != '/' || path->find(':') != std::string::npos) {
        return InvalidArgument("secret_dir and envexec_path must be absolute paths without ':' (" +
                               *path + ")");
      }
    }
    struct stat st {};
    if (::stat(options.envexec_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(options.envexec_path.c_str(), X_OK) != 0) {
      return FailedPrecondition("envexec_path " + options.envexec_path +
                                " is not an executable file (build teecloud-envexec)");
    }
  }
  RETURN_IF_ERROR(engine_->Ping());

  // 1. Everything that can be checked without changing anything.
  std::map<std::string, ImageInfo> images;
  for (const auto& [name, svc] : compose.services) {
    const std::string image = ImageFor(svc);
    auto info = engine_->InspectImage(image);
    if (!info.has_value()) {
      if (info.error().code != Code::kNotFound) return tl::unexpected(info.error());
      if (svc.build_context) {
        return Unimplemented("service " + name + ": image " + image +
                             " is not present, and building it (build: " + *svc.build_context +
                             ") is not supported here: build it beforehand (docker build -t " +
                             image + " " + *svc.build_context + ") and reference it with image:");
      }
      return NotFound("service " + name + ": image " + image +
                      " is not present locally and no registry is reachable: build or load it "
                      "first (examples/images/build.sh builds teecloud/busybox:local)");
    }
    images[name] = std::move(*info);
  }
  crypto::SecretBytes hmac_key;
  if (!secrets.empty()) {
    RETURN_IF_ERROR(EnsurePrivateDir(options.secret_dir));
    ASSIGN_OR_RETURN(hmac_key, LoadOrCreateHmacKey(options.secret_dir));
  }

  Plan plan;
  std::map<std::string, uid_t> secret_owners;  // service → owner of its secret file
  for (const auto& [name, svc] : compose.services) {
    const ImageInfo& image = images.at(name);
    const auto secret_it = secrets.find(name);
    const bool has_secrets = secret_it != secrets.end();
    ContainerSpec spec;
    spec.name = ContainerName(name);
    spec.image = ImageFor(svc);
    spec.cmd = svc.command;
    spec.entrypoint = svc.entrypoint;
    for (const auto& [k, v] : svc.environment) {
      if (!has_secrets || !secret_it->second.contains(k)) spec.env.push_back(k + "=" + v);
    }
    std::string secret_inputs;  // what the hash covers of the secrets: an HMAC, never values
    if (has_secrets) {
      // Docker's rules: a service entrypoint replaces the image's and drops its CMD unless
      // the service sets a command; `entrypoint: ""` resets it.
      std::vector<std::string> program;
      if (svc.entrypoint) {
        if (!(svc.entrypoint->size() == 1 && (*svc.entrypoint)[0].empty())) {
          program = *svc.entrypoint;
        }
      } else {
        program = image.entrypoint;
      }
      const std::vector<std::string>& args =
          svc.command ? *svc.command : (svc.entrypoint ? std::vector<std::string>() : image.cmd);
      program.insert(program.end(), args.begin(), args.end());
      if (program.empty() || program[0].empty()) {
        return InvalidArgument("service " + name +
                               ": nothing to run: neither the service (entrypoint, command) nor "
                               "its image (ENTRYPOINT, CMD) names a program");
      }
      std::vector<std::string> entrypoint = {kContainerEnvexecPath, kContainerSecretEnvPath, "--"};
      entrypoint.insert(entrypoint.end(), program.begin(), program.end());
      spec.entrypoint = std::move(entrypoint);
      spec.cmd = std::vector<std::string>();
      ASSIGN_OR_RETURN(secret_owners[name], SecretFileOwner(name, svc.user, image.user));
      ASSIGN_OR_RETURN(const crypto::SecretBytes encoded, EncodeSecretEnv(secret_it->second));
      secret_inputs =
          "secrets=" + ToHex(crypto::View(crypto::HmacSha256(hmac_key.view(), encoded.view()))) +
          "\n";
    }
    spec.labels = svc.labels;
    spec.labels[kLabelComposeProject] = name_;
    spec.labels[kLabelComposeService] = name;
    spec.labels["com.docker.compose.container-number"] = "1";
    spec.labels["com.docker.compose.oneoff"] = "False";
    spec.labels[kLabelProject] = name_;
    for (const auto& p : svc.ports) {
      PortBinding b;
      b.host_ip =
          (p.host_ip.empty() || options.force_port_host_ip) ? options.port_host_ip : p.host_ip;
      b.host_port = p.host_port;
      b.container_port = p.container_port;
      b.protocol = p.protocol;
      if (options.port_map) {
        // The compose file's host ports are CVM ports; the map says which reach the host.
        if (p.host_port == 0) continue;
        const auto it = options.port_map->find({p.host_port, p.protocol});
        if (it == options.port_map->end() || it->second == 0) continue;
        b.host_ip = options.port_host_ip;
        b.host_port = it->second;
      }
      spec.ports.push_back(b);
    }
    std::string volume_inputs;  // where volume data lives is part of the configuration
    for (const auto& m : svc.volumes) {
      const std::string ro = m.read_only ? ":ro" : "";
      switch (m.kind) {
        case MountKind::kTmpfs:
          spec.tmpfs[m.target] = "";
          break;
        case MountKind::kBind: {
          auto it = options.host_binds.find(m.source);
          if (it == options.host_binds.end()) {
            return InvalidArgument("service " + name + ": bind mount of the host path " + m.source +
                                   " is not allowed (host paths are outside the app's "
                                   "encrypted storage); use a named volume");
          }
          spec.binds.push_back(it->second + ":" + m.target + ro);
          break;
        }
        case MountKind::kVolume:
        case MountKind::kAnonymous: {
          DesiredVolume v;
          if (m.kind == MountKind::kVolume) {
            v.compose_name = m.source;
            v.engine_name = VolumeName(m.source);
            if (!options.volume_root_dir.empty()) v.dir = options.volume_root_dir + "/" + m.source;
          } else {
            const std::string h = ShortHash(name + "\n" + m.target, 12);
            v.engine_name = name_ + "_" + name + "_anon_" + h;
            if (!options.volume_root_dir.empty()) {
              v.dir = options.volume_root_dir + "/.anonymous/" + name + "-" + h;
            }
          }
          spec.binds.push_back(v.engine_name + ":" + m.target + ro);
          volume_inputs += v.engine_name + "=" + v.dir + "\n";
          plan.volumes[v.engine_name] = v;
          break;
        }
      }
    }
    if (has_secrets) {
      spec.binds.push_back(options.secret_dir + "/" + name + ".env:" + kContainerSecretEnvPath +
                           ":ro");
      spec.binds.push_back(options.envexec_path + ":" + kContainerEnvexecPath + ":ro");
    }
    spec.network = NetworkName();
    spec.network_aliases = {name};
    spec.restart = ToRestartPolicy(svc.restart);
    spec.working_dir = svc.working_dir;
    spec.user = svc.user;
    spec.hostname = svc.hostname;
    spec.tty = svc.tty;
    spec.open_stdin = svc.stdin_open;
    spec.init = svc.init;
    spec.stop_timeout_seconds = svc.stop_grace_period_seconds;
    spec.stop_signal = svc.stop_signal;
    // The hash covers the whole create request, the image's id (a rebuilt tag recreates) and
    // the volume locations; it is computed before its own label is added.
    spec.labels[kLabelConfigHash] = ShortHash(
        ContainerCreateJson(spec) + "\n" + image.id + "\n" + volume_inputs + secret_inputs, 64);
    plan.specs[name] = std::move(spec);
  }

  // 2. What exists already.
  ASSIGN_OR_RETURN(std::vector<ContainerSummary> existing,
                   engine_->ListContainers(ProjectFilter()));
  std::map<std::string, ContainerSummary> keep;     // service → container
  std::vector<ContainerSummary> remove;             // replaced, orphaned or duplicate
  std::set<std::pair<uint16_t, std::string>> ours;  // host ports our containers hold
  for (const auto& c : existing) {
    const auto svc_it = c.labels.find(kLabelComposeService);
    const std::string service = svc_it == c.labels.end() ? "" : svc_it->second;
    const auto spec_it = plan.specs.find(service);
    const auto hash_it = c.labels.find(kLabelConfigHash);
    const bool same = spec_it != plan.specs.end() && hash_it != c.labels.end() &&
                      hash_it->second == spec_it->second.labels.at(kLabelConfigHash) &&
                      c.name == spec_it->second.name && !keep.contains(service);
    if (same) {
      keep[service] = c;
    } else {
      remove.push_back(c);
    }
    if (c.state == "running" || c.state == "restarting") {
      auto info = engine_->InspectContainer(c.id);
      if (info.has_value()) {
        for (const auto& p : info->ports) {
          if (p.host_port) ours.insert({p.host_port, p.protocol});
        }
      }
    }
  }

  // 3. Published ports that something else holds: fail before changing anything.
  if (options.check_ports) {
    for (const auto& service : start_order) {
      if (keep.contains(service)) continue;
      for (const auto& p : plan.specs[service].ports) {
        if (ours.contains({p.host_port, p.protocol})) continue;
        if (auto st = ProbeHostPort(p.host_ip, p.host_port, p.protocol); !st) {
          return tl::unexpected(st.error().WithContext("service " + service));
        }
      }
    }
  }

  // 4. Changes, undone on failure.
  std::vector<std::string> created_containers;
  std::vector<std::string> created_volumes;
  std::vector<fs::path> created_dirs;
  std::vector<std::string> created_secret_files;
  std::string created_network;
  const auto apply = [&]() -> Status {
    auto net = engine_->InspectNetwork(NetworkName());
    if (net.has_value()) {
      auto it = net->labels.find(kLabelProject);
      if (it == net->labels.end() || it->second != name_) {
        return FailedPrecondition("network " + NetworkName() +
                                  " exists but was not created by teecloud for project " + name_);
      }
    } else if (net.error().code == Code::kNotFound) {
      progress("", "creating network " + NetworkName());
      NetworkSpec ns;
      ns.name = NetworkName();
      ns.labels = {
          {kLabelProject, name_}, {kLabelComposeProject, name_}, {kLabelComposeNetwork, "default"}};
      ASSIGN_OR_RETURN(created_network, engine_->CreateNetwork(ns));
    } else {
      return tl::unexpected(net.error());
    }

    for (const auto& c : remove) {
      progress(c.labels.contains(kLabelComposeService) ? c.labels.at(kLabelComposeService) : "",
               "removing old container " + c.name);
      RETURN_IF_ERROR(engine_->StopContainer(c.id, options.stop_timeout_seconds));
      RETURN_IF_ERROR(engine_->RemoveContainer(c.id, /*force=*/true));
    }

    for (const auto& [engine_name, v] : plan.volumes) {
      auto info = engine_->InspectVolume(engine_name);
      if (info.has_value()) {
        auto it = info->labels.find(kLabelProject);
        if (it == info->labels.end() || it->second != name_) {
          return FailedPrecondition("volume " + engine_name +
                                    " exists but was not created by teecloud for project " + name_);
        }
        const auto dev = info->options.find("device");
        const std::string have = dev == info->options.end() ? "" : dev->second;
        if (have == v.dir) {
          if (!v.dir.empty()) RETURN_IF_ERROR(MakeDirs(v.dir, created_dirs));
          continue;
        }
        // Its location changed (containers using it were replaced above): re-point it. The
        // data stays where it was.
        progress("", "re-pointing volume " + engine_name);
        RETURN_IF_ERROR(engine_->RemoveVolume(engine_name, /*force=*/false));
      } else if (info.error().code != Code::kNotFound) {
        return tl::unexpected(info.error());
      }
      VolumeSpec vs;
      vs.name = engine_name;
      vs.labels = {{kLabelProject, name_}, {kLabelComposeProject, name_}};
      if (!v.compose_name.empty()) vs.labels[kLabelComposeVolume] = v.compose_name;
      if (!v.dir.empty()) {
        RETURN_IF_ERROR(MakeDirs(v.dir, created_dirs));
        vs.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", v.dir}};
      }
      progress("", "creating volume " + engine_name);
      RETURN_IF_ERROR(engine_->CreateVolume(vs));
      created_volumes.push_back(engine_name);
    }

    // Secret files, before any container that binds one is created (the engine would make a
    // directory in place of a missing bind source). Stale ones (services gone or without
    // secrets now) are deleted.
    if (!options.secret_dir.empty()) {
      std::set<std::string> stale;
      for (const auto& c : remove) {
        auto it = c.labels.find(kLabelComposeService);
        if (it != c.labels.end() && !secrets.contains(it->second)) stale.insert(it->second);
      }
      for (const auto& [name, svc] : compose.services) {
        if (!secrets.contains(name)) stale.insert(name);
      }
      RETURN_IF_ERROR(RemoveSecretFiles(options.secret_dir, stale));
    }
    for (const auto& [service, entries] : secrets) {
      const std::string path = options.secret_dir + "/" + service + ".env";
      std::error_code ec;
      const bool existed = fs::exists(path, ec);
      RETURN_IF_ERROR(WriteSecretEnvFile(path, entries));
      if (!existed) created_secret_files.push_back(path);
      const uid_t owner = secret_owners.at(service);
      if (owner != ::geteuid() && ::chown(path.c_str(), owner, static_cast<gid_t>(-1)) != 0) {
        return Internal("service " + service + ": cannot give " + path + " to uid " +
                        std::to_string(owner) + ": " + std::strerror(errno));
      }
    }

    // Create every new container at once (creating runs nothing), then start level by level:
    // a service starts once all its dependencies have started; one level starts concurrently.
    std::map<std::string, std::string> ids;  // service → container id
    std::set<std::string> to_start;
    std::vector<std::string> to_create;
    for (const auto& service : start_order) {
      if (auto it = keep.find(service); it != keep.end()) {
        ids[service] = it->second.id;
        if (it->second.state == "running") {
          progress(service, "up to date");
        } else {
          to_start.insert(service);
        }
      } else {
        to_create.push_back(service);
        to_start.insert(service);
      }
    }
    {
      std::vector<Result<std::string>> made(to_create.size(), std::string());
      std::vector<std::thread> workers;
      for (size_t i = 0; i < to_create.size(); ++i) {
        workers.emplace_back([&, i] {
          progress(to_create[i], "creating container " + plan.specs[to_create[i]].name);
          made[i] = engine_->CreateContainer(plan.specs[to_create[i]]);
        });
      }
      for (auto& w : workers) w.join();
      for (size_t i = 0; i < to_create.size(); ++i) {
        if (made[i].has_value()) {
          created_containers.push_back(*made[i]);
          ids[to_create[i]] = *made[i];
        }
      }
      for (size_t i = 0; i < to_create.size(); ++i) {
        if (!made[i].has_value()) {
          return tl::unexpected(made[i].error().WithContext("service " + to_create[i]));
        }
      }
    }
    std::map<std::string, int> level;
    int max_level = 0;
    for (const auto& service : start_order) {
      int l = 0;
      for (const auto& d : compose.services.at(service).depends_on) l = std::max(l, level[d] + 1);
      level[service] = l;
      max_level = std::max(max_level, l);
    }
    for (int l = 0; l <= max_level; ++l) {
      std::vector<std::string> batch;
      for (const auto& service : start_order) {
        if (level[service] == l && to_start.contains(service)) batch.push_back(service);
      }
      std::vector<Status> started(batch.size(), OkStatus());
      std::vector<std::thread> workers;
      for (size_t i = 0; i < batch.size(); ++i) {
        workers.emplace_back([&, i] {
          progress(batch[i], "starting");
          started[i] = engine_->StartContainer(ids[batch[i]]);
        });
      }
      for (auto& w : workers) w.join();
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!started[i]) return StartFailure(batch[i], plan.specs[batch[i]], started[i].error());
      }
    }
    return OkStatus();
  };

  Status st = apply();
  if (st) {
    progress("", "project " + name_ + " is up");
    return OkStatus();
  }
  // Roll back what this call created, newest first.
  std::string rollback_errors;
  const auto note = [&](const Status& s) {
    if (!s && s.error().code != Code::kNotFound) rollback_errors += "; " + s.error().message;
  };
  for (auto it = created_containers.rbegin(); it != created_containers.rend(); ++it) {
    note(engine_->RemoveContainer(*it, /*force=*/true));
  }
  for (auto it = created_volumes.rbegin(); it != created_volumes.rend(); ++it) {
    note(engine_->RemoveVolume(*it, /*force=*/true));
  }
  for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) {
    std::error_code ec;
    fs::remove_all(*it, ec);
  }
  for (const auto& path : created_secret_files) ::unlink(path.c_str());
  if (!created_network.empty()) note(engine_->RemoveNetwork(created_network));
  progress("", "rolled back");
  Error e = st.error();
  if (!rollback_errors.empty()) e.message += " (rollback incomplete" + rollback_errors + ")";
  return tl::unexpected(e);
}

Status ComposeProject::Down(const DownOptions& options) {
  const auto progress = [&](const std::string& service, std::string message) {
    if (options.progress) options.progress(ProgressEvent{service, std::move(message)});
  };
  ASSIGN_OR_RETURN(std::vector<ContainerSummary> containers,
                   engine_->ListContainers(ProjectFilter()));
  // Stop in parallel: a service that ignores SIGTERM costs its grace period once, not N times.
  std::vector<Status> results(containers.size(), OkStatus());
  {
    std::vector<std::thread> stoppers;
    for (size_t i = 0; i < containers.size(); ++i) {
      const auto& c = containers[i];
      progress(c.labels.contains(kLabelComposeService) ? c.labels.at(kLabelComposeService) : "",
               "stopping " + c.name);
      stoppers.emplace_back([this, &results, &c, i, &options] {
        Status s = engine_->StopContainer(c.id, options.stop_timeout_seconds);
        if (s || s.error().code == Code::kNotFound) {
          s = engine_->RemoveContainer(c.id, /*force=*/true);
        }
        if (!s && s.error().code == Code::kNotFound) s = OkStatus();
        results[i] = s;
      });
    }
    for (auto& t : stoppers) t.join();
  }
  for (const auto& s : results) RETURN_IF_ERROR(s);
  if (!options.secret_dir.empty()) {
    std::set<std::string> services;
    for (const auto& c : containers) {
      if (auto it = c.labels.find(kLabelComposeService); it != c.labels.end()) {
        services.insert(it->second);
      }
    }
    RETURN_IF_ERROR(RemoveSecretFiles(options.secret_dir, services));
  }
  ASSIGN_OR_RETURN(std::vector<NetworkInfo> networks, engine_->ListNetworks(ProjectFilter()));
  for (const auto& n : networks) {
    progress("", "removing network " + n.name);
    auto s = engine_->RemoveNetwork(n.id);
    if (!s && s.error().code != Code::kNotFound) return s;
  }
  progress("", "project " + name_ + " is down");
  return OkStatus();
}

Status ComposeProject::Purge(const PurgeOptions& options) {
  DownOptions down;
  down.stop_timeout_seconds = options.stop_timeout_seconds;
  down.secret_dir = options.secret_dir;
  down.progress = options.progress;
  RETURN_IF_ERROR(Down(down));
  ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, engine_->ListVolumes(ProjectFilter()));
  for (const auto& v : volumes) {
    if (options.progress) options.progress(ProgressEvent{"", "removing volume " + v.name});
    auto s = engine_->RemoveVolume(v.name, /*force=*/true);
    if (!s && s.error().code != Code::kNotFound) return s;
    const auto dev = v.options.find("device");
    if (dev != v.options.end() && !options.volume_root_dir.empty() &&
        StrictlyInside(dev->second, options.volume_root_dir)) {
      std::error_code ec;
      fs::remove_all(dev->second, ec);
      if (ec) return Internal("cannot delete " + dev->second + ": " + ec.message());
    }
  }
  if (!options.volume_root_dir.empty()) {
    std::error_code ec;
    fs::remove(fs::path(options.volume_root_dir) / ".anonymous", ec);  // only when empty
  }
  return OkStatus();
}

Result<std::vector<ServiceStatus>> ComposeProject::Ps() {
  ASSIGN_OR_RETURN(std::vector<ContainerSummary> containers,
                   engine_->ListContainers(ProjectFilter()));
  std::vector<ServiceStatus> out;
  for (const auto& c : containers) {
    auto info = engine_->InspectContainer(c.id);
    if (!info.has_value()) {
      if (info.error().code == Code::kNotFound) continue;  // removed meanwhile
      return tl::unexpected(info.error());
    }
    ServiceStatus s;
    auto it = info->labels.find(kLabelComposeService);
    s.service = it == info->labels.end() ? "" : it->second;
    s.container_id = info->id;
    s.container_name = info->name;
    s.state = info->state.status;
    s.status = c.status;
    s.running = info->state.running;
    s.exit_code = info->state.exit_code;
    s.health = info->state.health;
    s.restart_count = info->restart_count;
    s.ports = info->ports;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const ServiceStatus& a, const ServiceStatus& b) {
    return std::tie(a.service, a.container_name) < std::tie(b.service, b.container_name);
  });
  return out;
}

Status ComposeProject::Logs(const ProjectLogsOptions& options,
                            const std::function<bool(const LogLine&)>& on_line) {
  ASSIGN_OR_RETURN(std::vector<ContainerSummary> containers,
                   engine_->ListContainers(ProjectFilter()));
  std::vector<std::pair<std::string, std::string>> targets;  // (service, id)
  for (const auto& c : containers) {
    auto it = c.labels.find(kLabelComposeService);
    const std::string service = it == c.labels.end() ? "" : it->second;
    if (!options.services.empty() && std::find(options.services.begin(), options.services.end(),
                                               service) == options.services.end()) {
      continue;
    }
    targets.emplace_back(service, c.id);
  }
  std::sort(targets.begin(), targets.end());

  if (!options.follow) {
    for (const auto& [service, id] : targets) {
      ASSIGN_OR_RETURN(std::vector<LogChunk> chunks, engine_->Logs(id, options.engine));
      bool go_on = true;
      LineSplitter splitter;
      const auto sink = [&](LogStream s, std::string_view line) {
        if (go_on) go_on = on_line(LogLine{service, s, std::string(line)});
      };
      for (const auto& c : chunks) splitter.Feed(c, sink);
      splitter.Flush(sink);
      if (!go_on) break;
    }
    return OkStatus();
  }

  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<Status> results(targets.size(), OkStatus());
  std::vector<std::thread> followers;
  for (size_t i = 0; i < targets.size(); ++i) {
    followers.emplace_back([&, i] {
      const std::string& service = targets[i].first;
      LineSplitter splitter;
      const auto sink = [&](LogStream s, std::string_view line) {
        if (stop) return;
        std::lock_guard<std::mutex> lock(mu);
        if (!stop && !on_line(LogLine{service, s, std::string(line)})) stop = true;
      };
      results[i] = engine_->FollowLogs(
          targets[i].second, options.engine,
          [&](const LogChunk& c) {
            splitter.Feed(c, sink);
            return !stop.load();
          },
          [&] { return stop.load(); });
      splitter.Flush(sink);
    });
  }
  for (auto& t : followers) t.join();
  for (const auto& s : results) RETURN_IF_ERROR(s);
  return OkStatus();
}

}  // namespace teecloud::compose
