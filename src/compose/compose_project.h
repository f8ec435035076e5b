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
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/compose_file.h"
#include "compose/engine_client.h"
#include "crypto/secret.h"

namespace teecloud::compose {

inline constexpr char kLabelComposeProject[] = "com.docker.compose.project";
inline constexpr char kLabelComposeService[] = "com.docker.compose.service";
inline constexpr char kLabelComposeVolume[] = "com.docker.compose.volume";
inline constexpr char kLabelComposeNetwork[] = "com.docker.compose.network";
inline constexpr char kLabelProject[] = "teecloud.project";
inline constexpr char kLabelConfigHash[] = "teecloud.config-hash";

// Where a service with secret environment entries finds them and teecloud-envexec, inside its
// container (both bind-mounted read-only).
inline constexpr char kContainerSecretEnvPath[] = "/run/teecloud/secrets.env";
inline constexpr char kContainerEnvexecPath[] = "/run/teecloud/envexec";
// In UpOptions::secret_dir, next to the <service>.env files: the HMAC key of the
// configuration hash's secret part (32 random bytes, 0600, created once).
inline constexpr char kSecretHmacKeyFile[] = ".hmac-key";

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
  // When set, it decides the host side of every published port instead of the compose file: a
  // port the compose file publishes as P/proto ("P:container") is published on host port
  // (*port_map)[{P, proto}] at port_host_ip, and not published on the host at all when {P,
  // proto} is absent (the service still reaches it on the project network). Entries without a
  // host port (engine-chosen) are not published then. The agent sets it from the node's
  // HOST:CVM mappings, so the compose file's host ports are CVM ports.
  std::optional<std::map<std::pair<uint16_t, std::string>, uint16_t>> port_map;
  // Services with secret environment entries (ServiceSpec::secret_environment) get them through
  // a file instead of the engine's configuration (which the engine stores in plain text on its
  // disk): Up writes <secret_dir>/<service>.env (0600; "KEY=VALUE\0" records), bind-mounts it
  // read-only at /run/teecloud/secrets.env and envexec_path at /run/teecloud/envexec, and makes
  // the container's entrypoint `envexec /run/teecloud/secrets.env -- <entrypoint> <cmd>` (taken
  // from the service, else from the image). secret_dir must be on encrypted or memory-backed
  // storage (the agent's encrypted mount); both are required when any service has secrets. A
  // change of a secret value recreates the service; the configuration hash covers the values
  // only through an HMAC under a random key kept in secret_dir. Docker's rules pick the program:
  // a service `entrypoint` drops the image's CMD unless the service sets `command`. The file is
  // given to the service's numeric `user` (or the image's USER); a user given by name is
  // refused, since the runner cannot resolve names inside the image. One secret_dir per project
  // (files are named by service only). secret_dir is created 0700 when missing; errors never
  // quote a value.
  std::string secret_dir;
  // The host path of the static teecloud-envexec binary (built into build/bin).
  std::string envexec_path;
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
  // Up's secret_dir: the removed services' <secret_dir>/<service>.env files are deleted
  // ("" = none). The HMAC key file stays.
  std::string secret_dir;
  ProgressFn progress;
};

struct PurgeOptions {
  // Where Up put volume directories; they are deleted (only paths strictly inside it).
  std::string volume_root_dir;
  // As DownOptions::secret_dir.
  std::string secret_dir;
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

// The secret file teecloud-envexec reads: one "KEY=VALUE\0" record per entry, in key order.
// Keys must match [A-Za-z_][A-Za-z0-9_]* and values hold no NUL; errors name the key only.
Result<crypto::SecretBytes> EncodeSecretEnv(const std::map<std::string, std::string>& entries);
// Writes EncodeSecretEnv(entries) to `path` with mode 0600 from creation on (temp file in the
// same directory, fsync, rename).
Status WriteSecretEnvFile(const std::string& path,
                          const std::map<std::string, std::string>& entries);

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
