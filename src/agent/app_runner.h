// Runs a booted agent's app: the steps that follow the keys in ARCHITECTURE.md's boot order,
//   volumes → secrets → services,
// and their reverse at shutdown. Backend-neutral: the engine is dockerd on a development host
// (the node's container backend) or the engine inside a CVM; only the volume storage differs.
//
// Volumes. With a cipher/mount directory pair (container backend: the host has no
// device-mapper), the agent keeps every named volume and the services' secret files inside one
// gocryptfs mount whose key is derived from the app key (AppKeys::VolumeKey): the host disk only
// ever holds ciphertext. Without it, volumes are the engine's own (a CVM's engine keeps its data
// on the CVM's encrypted disk) and secret files go under the state directory.
//
// Secrets. The deployment's sealed env (secrets/sealed_env.h) is opened with the app's env key
// (AppKeys::EnvKeyPair); only names in the manifest's allowed_envs are kept (others are dropped
// with a warning naming them, never their values). They feed the compose file's `${VAR}`
// interpolation as secrets: the services receive them through teecloud-envexec and a file on the
// encrypted mount, never through the engine's configuration (compose_project.h).
//
// Services. A start is a reboot of the app: the project is taken down first, then brought up
// fresh from the manifest's compose file (containers that bind the agent's socket must see the
// socket this agent process serves).
//
// Thread-safety: Start and Stop from one thread; Services() and ForwardLogs() may run
// concurrently with them (each uses its own engine connection).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/app_keys.h"
#include "base/error.h"
#include "base/json.h"
#include "compose/compose_project.h"
#include "compose/encrypted_volume.h"
#include "manifest/manifest.h"

namespace teecloud::agent {

struct AppRunnerOptions {
  std::string engine_socket;  // Docker Engine API unix socket
  std::string project;        // compose project name
  // Both or neither (see above).
  std::string volume_cipher_dir;
  std::string volume_mount_dir;
  // {CVM port, protocol} → host port. nullopt: the compose file's host ports are used as they
  // are (inside a real CVM). An empty map publishes nothing.
  std::optional<std::map<std::pair<uint16_t, std::string>, uint16_t>> port_map;
  std::string port_host_ip = "127.0.0.1";
  std::string sealed_env_path;  // "" = no secrets
  std::string envexec_path;
  std::string state_dir;  // secret files when there is no volume mount
  // Compose bind-mount sources that mean "the agent's API socket" → the socket's path.
  std::map<std::string, std::string> socket_binds;
  int stop_timeout_seconds = 10;
  compose::EncryptedVolumeOptions volume_options;
};

// The secrets a sealed env yields for a manifest: `kept` are exported (names in allowed_envs),
// `dropped` lists the other names (for a warning; no values).
struct OpenedSecrets {
  std::map<std::string, std::string> kept;
  std::vector<std::string> dropped;
};
// Opens `sealed` with the app's env key and filters it by `allowed_envs`.
Result<OpenedSecrets> OpenDeploymentSecrets(const AppKeys& keys, ByteView sealed,
                                            const std::vector<std::string>& allowed_envs);

// The compose file as the runner runs it: interpolated with `secrets` (all of them secret names).
Result<compose::ComposeFile> ParseAppCompose(const manifest::Manifest& manifest,
                                             const std::map<std::string, std::string>& secrets);

// Whether the runner will accept the manifest's compose file, before any secret exists (deploy
// time): parses it with a placeholder value for every allowed name.
Result<compose::ComposeFile> CheckAppCompose(const manifest::Manifest& manifest);

class AppRunner {
 public:
  using Progress = std::function<void(const std::string&)>;

  explicit AppRunner(AppRunnerOptions options);
  ~AppRunner();
  AppRunner(const AppRunner&) = delete;
  AppRunner& operator=(const AppRunner&) = delete;

  // volumes → secrets → services. On failure what this call started is taken down again
  // (the mount stays: it holds nothing but ciphertext on the host, and a retry reuses it).
  Status Start(const manifest::Manifest& manifest, const AppKeys& keys, const Progress& progress);
  // Stops and removes the services (their data stays), then unmounts the volumes.
  Status Stop(const Progress& progress);

  // One JSON object per service: service, state, running, status, exit_code, restart_count,
  // ports [{host_ip, host_port, container_port, protocol}].
  Result<Json> Services() const;

  // Follows every service's output until `stop` is set, calling on_line per line (never
  // concurrently). Re-attaches when the services restart. Blocks: run it on its own thread.
  void ForwardLogs(const std::function<void(const compose::LogLine&)>& on_line,
                   const std::atomic<bool>& stop) const;

  const AppRunnerOptions& options() const { return options_; }
  // Where named volumes and secret files live ("" = engine volumes).
  std::string VolumeRootDir() const;
  std::string SecretDir() const;

 private:
  AppRunnerOptions options_;
  bool mounted_ = false;
};

}  // namespace teecloud::agent
