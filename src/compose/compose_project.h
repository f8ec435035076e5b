// Runs a parsed compose file as one project on a container engine: the part of docker-compose
// that teecloud's agent needs (up, down, ps, logs), backend-neutral (the engine is dockerd on a
// development host, or the engine inside a confidential VM).
//
// Everything the runner creates is labelled com.docker.compose.project/service (so `docker
// compose ls`-style tools recognise it) and teecloud.project=<name>; Down, Ps and Purge find
// their objects by that label, so they work without the compose file. Names: network
// "<project>_default", containers "<project>_<service>_1", volumes "<project>_<volume>".
//
// Named volumes: with UpOptions::volume_root_dir set, volume N is the host directory
// <volume_root_dir>/N (the agent points volume_root_dir into its encrypted mount), attached as
// an engine "local" volume that binds that directory. Without it, they are plain engine
// volumes (inside a CVM whose engine keeps its data on the encrypted disk). Down never deletes
// volume data; Purge does.
//
// Not thread-safe: one operation at a time per project (the agent serializes them).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/compose_file.h"
#include "compose/engine_client.h"

namespace teecloud::compose {

inline constexpr char kLabelComposeProject[] = "com.docker.compose.project";
inline constexpr char kLabelComposeService[] = "com.docker.compose.service";
inline constexpr char kLabelComposeVolume[] = "com.docker.compose.volume";
inline constexpr char kLabelComposeNetwork[] = "com.docker.compose.network";
inline constexpr char kLabelProject[] = "teecloud.project";
inline constexpr char kLabelConfigHash[] = "teecloud.config-hash";

struct ProgressEvent {
  std::string service;  // "" for project-wide steps
  std::string message;  // "creating network demo_default", "starting", ...
};
// Called from the calling thread or from Up's worker threads, never concurrently.
using ProgressFn = std::function<void(const ProgressEvent&)>;

struct UpOptions {
  // Named and anonymous volumes become directories under here ("" = engine volumes).
  std::string volume_root_dir;
  // Host address for published ports whose compose entry names none.
  std::string port_host_ip = "127.0.0.1";
  // Use port_host_ip even where the compose file names an address.
  bool force_port_host_ip = false;
  // Absolute bind mounts the runner allows: compose source path → host path (e.g. the agent's
  // socket). Any other bind mount is refused.
  std::map<std::string, std::string> host_binds;
  // Grace period when a changed service's old container is stopped.
  int stop_timeout_seconds = 10;
  // Probe published host ports before creating anything (a conflict then changes nothing).
  bool check_ports = true;
  ProgressFn progress;
};

struct DownOptions {
  int stop_timeout_seconds = 10;
  ProgressFn progress;
};

struct PurgeOptions {
  // Where Up put volume directories; they are deleted (only paths strictly inside it).
  std::string volume_root_dir;
  int stop_timeout_seconds = 10;
  ProgressFn progress;
};

struct ServiceStatus {
  std::string service;
  std::string container_id;
  std::string container_name;
  std::string state;   // running | exited | created | restarting | ...
  std::string status;  // the engine's human text ("Up 3 seconds")
  bool running = false;
  int exit_code = 0;
  std::string health;
  int restart_count = 0;
  std::vector<PortBinding> ports;
};

struct LogLine {
  std::string service;
  LogStream stream = LogStream::kStdout;
  std::string text;  // one line, without its newline
};

struct ProjectLogsOptions {
  LogsOptions engine;  // tail, timestamps, follow_timeout_seconds
  bool follow = false;
  std::vector<std::string> services;  // empty = all
};

class ComposeProject {
 public:
  // name: lower-case letters, digits, '_' and '-', starting with a letter or digit, at most 63.
  // The engine must outlive the project.
  static Result<ComposeProject> Open(EngineClient* engine, std::string name);

  const std::string& name() const { return name_; }
  std::string NetworkName() const { return name_ + "_default"; }
  std::string ContainerName(const std::string& service) const {
    return name_ + "_" + service + "_1";
  }
  std::string VolumeName(const std::string& volume) const { return name_ + "_" + volume; }
  // The image a service runs: its `image`, or "<project>_<service>" for a build-only service.
  std::string ImageFor(const ServiceSpec& service) const;

  // Creates or reconciles the project: the network, volumes and one container per service,
  // started in dependency order (services whose dependencies are all up start concurrently). A
  // service whose configuration (or image) changed is recreated; an unchanged running one is left
  // alone; containers of services no longer in the file are removed. Images must be present
  // locally. On failure, whatever this call created is removed again (containers, network, volumes
  // and directories it made); a container it already replaced is not brought back.
  Status Up(const ComposeFile& compose, const UpOptions& options);
  // Stops and removes the containers and the network. OK when nothing exists.
  Status Down(const DownOptions& options = {});
  // Down, then deletes the project's volumes and their directories.
  Status Purge(const PurgeOptions& options);
  // One entry per container of the project, sorted by service.
  Result<std::vector<ServiceStatus>> Ps();
  // Lines of the services' logs. Non-follow: everything so far, service by service. Follow:
  // all services at once (on_line is never called concurrently), until every container
  // stops, on_line returns false, or engine.follow_timeout_seconds passes.
  Status Logs(const ProjectLogsOptions& options,
              const std::function<bool(const LogLine&)>& on_line);

 private:
  ComposeProject(EngineClient* engine, std::string name)
      : engine_(engine), name_(std::move(name)) {}
  std::vector<std::string> ProjectFilter() const;

  EngineClient* engine_;
  std::string name_;
};

}  // namespace teecloud::compose
