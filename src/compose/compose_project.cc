#include "compose/compose_project.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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
#include "crypto/hash.h"

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

}  // namespace

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
  RETURN_IF_ERROR(engine_->Ping());

  // 1. Everything that can be checked without changing anything.
  std::map<std::string, std::string> image_ids;
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
    image_ids[name] = info->id;
  }

  Plan plan;
  for (const auto& [name, svc] : compose.services) {
    ContainerSpec spec;
    spec.name = ContainerName(name);
    spec.image = ImageFor(svc);
    spec.cmd = svc.command;
    spec.entrypoint = svc.entrypoint;
    for (const auto& [k, v] : svc.environment) spec.env.push_back(k + "=" + v);
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
    spec.labels[kLabelConfigHash] =
        ShortHash(ContainerCreateJson(spec) + "\n" + image_ids[name] + "\n" + volume_inputs, 64);
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
