// The `container` backend: each CVM is its own teecloud-agent process with a simulated TEE,
// started by the node, in its own session, talking to the node over its unix socket. (In the
// next step the agent also runs the CVM's compose services through a container engine, on
// volumes it encrypts; the flags for that are added in AgentArgv, the one place an agent's
// command line is built.)
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

  std::string CvmDir(const std::string& cvm_id) const;
  std::string SocketPath(const std::string& cvm_id) const;
  std::string LogPath(const std::string& cvm_id) const;
  std::string sim_dir() const;
  std::string key_seed_path() const;

 private:
  ContainerBackend(ContainerBackendOptions options, crypto::Random& random)
      : options_(std::move(options)), random_(random) {}
  AgentLaunch LaunchFor(const CvmRecord& cvm, const std::string& key_provider) const;

  ContainerBackendOptions options_;
  crypto::Random& random_;
};

}  // namespace teecloud::node
