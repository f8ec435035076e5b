// The `container` backend: each CVM is its own teecloud-agent process with a simulated TEE,
// started by the node, in its own session, talking to the node over its unix socket. The agent
// runs the CVM's compose services on the container engine as project tc-<cvm id> (its own
// network), on volumes it encrypts with a key derived from the app key (gocryptfs), and
// publishes only the ports the node maps. AgentArgv is the one place an agent's command line is
// built.
//
// Files, under the node's data directory:
//   sim/                        node-wide simulation PKI (tee::InitSimDir), shared by all CVMs
//   keys/local-key-seed         node-wide seed of the `local` key provider (0600; stands in
//                               for the KMS on a development node)
//   cvms/<id>/                  one per CVM (0700)
//     manifest.json             the manifest the agent measures (rewritten by upgrades)
//     state/                    the agent's --state-dir (0700); instance-seed (0600) lives here
//     agent.sock                the agent's API socket
//     agent.log[.1]             the agent's stdout+stderr (rotated at start beyond a size)
//     env.sealed                the deployment's sealed secrets (ciphertext; only the agent
//                               can open it)
//     volumes/                  mount point of the decrypted volume view (agent-mounted FUSE)
//     state/volumes.enc/        the gocryptfs cipher directory: all that reaches the disk
// Remove without purge deletes the runtime files and keeps state/ (the CVM's data); purge
// deletes cvms/<id>/ entirely.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "crypto/random.h"
#include "node/cvm_backend.h"

namespace teecloud::node {

// Everything that decides an agent's command line.
struct AgentLaunch {
  std::string agent_binary;
  std::string sim_dir;
  std::string socket_path;
  std::string manifest_path;
  std::string app_id;         // 40 hex
  std::string key_provider;   // the manifest's: "local" | "none" | "kms"
  std::string key_seed_file;  // for "local"
  std::string state_dir;
  // Running the app ("" engine_socket: the agent serves its API only).
  std::string engine_socket;
  std::string project;
  std::string volume_cipher_dir;
  std::string volume_mount_dir;
  std::vector<PortMapping> ports;  // host port ← CVM port
  std::string sealed_env_path;     // "" = no secrets
  std::string envexec_path;
};

// The agent's argv (argv[0] = agent_binary). Paths only: nothing secret is ever on a command
// line (the seed is in a 0600 file the agent reads).
std::vector<std::string> AgentArgv(const AgentLaunch& launch);

struct ContainerBackendOptions {
  std::string data_dir;
  std::string agent_binary;
  // How long an "is it answering" probe of the agent socket may take.
  std::chrono::milliseconds probe_timeout{1000};
  // Quotes can take a while on real hardware; the sim answers in milliseconds.
  std::chrono::milliseconds quote_timeout{30000};
  // agent.log is rotated to agent.log.1 at start once it is larger than this.
  size_t max_log_bytes = 16 << 20;
  // How often a following log stream looks for new output.
  std::chrono::milliseconds follow_poll{200};
  // The container engine the agents run compose services on (Docker Engine API socket). "":
  // agents only serve their API (no services).
  std::string engine_socket;
  // teecloud-envexec, handed to agents (services that get secrets run through it). "": the one
  // beside agent_binary.
  std::string envexec_binary;
  // How long agents give services to stop.
  int service_stop_timeout_seconds = 10;
};

class ContainerBackend final : public CvmBackend {
 public:
  // Creates the data layout, the sim PKI (first start) and the local key seed (first start).
  // Fails when the agent binary is not an executable file.
  static Result<std::unique_ptr<ContainerBackend>> Open(ContainerBackendOptions options,
                                                        const Clock& clock, crypto::Random& random);

  std::string_view Name() const override { return "container"; }
  Result<std::string> Create(const CvmRecord& cvm) override;
  Result<AgentProcess> Start(const CvmRecord& cvm) override;
  Status Stop(const std::string& cvm_id, const AgentProcess& process,
              std::chrono::milliseconds grace) override;
  Status Remove(const CvmRecord& cvm, bool purge) override;
  Observation Observe(const CvmRecord& cvm, bool probe) override;
  Result<std::vector<DiscoveredAgent>> Discover() override;
  Status Logs(const CvmRecord& cvm, const LogOptions& options, const LogSink& sink) override;
  Result<Attestation> Attest(const CvmRecord& cvm, ByteView report_data) override;
  // sim/root.pem and sim/collateral.json, checked to parse (tee::LoadSimTrust).
  Result<SimTrustMaterial> SimulationTrust() const override;

  std::string CvmDir(const std::string& cvm_id) const;
  std::string SocketPath(const std::string& cvm_id) const;
  std::string LogPath(const std::string& cvm_id) const;
  // The encrypted volume store (under state/: kept by remove, deleted by purge) and where the
  // agent mounts its plaintext view.
  std::string VolumeCipherDir(const std::string& cvm_id) const;
  std::string VolumeMountDir(const std::string& cvm_id) const;
  std::string SealedEnvPath(const std::string& cvm_id) const;
  // The compose project of a CVM on the engine.
  static std::string ProjectName(const std::string& cvm_id) { return "tc-" + cvm_id; }
  std::string sim_dir() const;
  // The env-encryption public key of `app_id` (20 bytes) under this node's development key
  // provider (the `local` seed): what the agent derives for that app (agent::AppKeys).
  Result<EnvPublicKey> AppEnvPublicKey(ByteView app_id) const;
  std::string key_seed_path() const;

 private:
  ContainerBackend(ContainerBackendOptions options, crypto::Random& random)
      : options_(std::move(options)), random_(random) {}
  AgentLaunch LaunchFor(const CvmRecord& cvm, const std::string& key_provider) const;
  // Before an agent starts: the engine answers and has every image the compose file names.
  Status CheckEngine(const CvmRecord& cvm) const;

  ContainerBackendOptions options_;
  crypto::Random& random_;
};

}  // namespace teecloud::node
