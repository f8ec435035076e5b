// CvmBackend: how the node makes a CVM real. The node service owns the desired state (in the
// state store) and the restart policy; a backend only does what it is told and reports what it
// sees, so the same service drives every backend:
//   container  each CVM = its own teecloud-agent process with a simulated TEE (this step)
//   qemu       QEMU + TDX/SNP (a later issue)
//   FakeCvmBackend (fake_cvm_backend.h) for service tests.
//
// Every call is idempotent where the service may repeat it after a crash (Create, Stop,
// Remove). Implementations are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/json.h"
#include "node/cvm.h"

namespace teecloud::node {

enum class AgentState {
  kNotRunning,  // no process recorded (pid 0)
  kStarting,    // alive, not answering on its socket yet
  kRunning,     // alive and answering
  kExited,      // the recorded process is gone
};

struct Observation {
  AgentState state = AgentState::kNotRunning;
  // kExited: whether it failed (non-zero exit, killed by a signal, or unknown because the
  // process was not a child of this node) and a human description ("exited with code 2").
  bool failed = false;
  std::string detail;
};

// A running agent found by scanning the machine (reconcile after a node restart).
struct DiscoveredAgent {
  std::string cvm_id;
  AgentProcess process;
};

struct Attestation {
  Bytes quote;
  Json event_log;   // the runtime event log (JSON array, AGENT_API.md form)
  std::string tee;  // "sim" | "tdx" | ...
  bool simulated = false;
};

// An app's env-encryption public key as a key provider reports it.
struct EnvPublicKey {
  Bytes public_key;           // 32 bytes, X25519
  std::string key_provider;   // "local", "kms"
  Bytes key_provider_id;      // the provider's root public key
};

// The public trust material of a simulated TEE: what a verifier needs to check this backend's
// simulated quotes (never a key). Simulated evidence proves nothing about hardware; a verifier
// that takes this from the node trusts the node for it.
struct SimTrustMaterial {
  std::string root_pem;         // the simulation root CA certificate (PEM)
  std::string collateral_json;  // dcap-qvl QuoteCollateralV3 JSON for the sim platform
};

struct LogOptions {
  // Only the last `tail_lines` lines of what exists (<0: everything kept).
  int64_t tail_lines = -1;
  bool follow = false;
  // Polled while following; returning true ends the stream (client gone, node stopping).
  std::function<bool()> cancelled;
};
// Receives log bytes; returning false ends the stream.
using LogSink = std::function<bool(std::string_view)>;

class CvmBackend {
 public:
  virtual ~CvmBackend() = default;

  virtual std::string_view Name() const = 0;

  // Prepares what the CVM needs to start, or refreshes it for the current record (an upgrade
  // calls it again with the new manifest): keeps an existing instance seed and state. Returns
  // the instance id (40 hex digits).
  virtual Result<std::string> Create(const CvmRecord& cvm) = 0;

  // Starts the CVM's agent. The caller has made sure none runs (Observe / Discover).
  virtual Result<AgentProcess> Start(const CvmRecord& cvm) = 0;

  // Stops `process` (SIGTERM, then SIGKILL after `grace`). A process that is already gone, or
  // whose PID now belongs to another process, is not touched.
  virtual Status Stop(const std::string& cvm_id, const AgentProcess& process,
                      std::chrono::milliseconds grace) = 0;

  // Deletes the CVM's runtime files; with `purge` also its data (instance seed, agent state,
  // volumes). The agent must be stopped.
  virtual Status Remove(const CvmRecord& cvm, bool purge) = 0;

  // What became of cvm.agent. `probe` asks the agent's socket whether it answers (otherwise a
  // live process reports kRunning).
  virtual Observation Observe(const CvmRecord& cvm, bool probe) = 0;

  // Agents of this node that are running right now, whatever the store says.
  virtual Result<std::vector<DiscoveredAgent>> Discover() = 0;

  virtual Status Logs(const CvmRecord& cvm, const LogOptions& options, const LogSink& sink) = 0;

  // A fresh quote over exactly `report_data` (64 bytes) from the CVM's agent.
  virtual Result<Attestation> Attest(const CvmRecord& cvm, ByteView report_data) = 0;

  // The simulation PKI's public trust material (GET /v1/node/sim-trust). kNotFound when this
  // backend's quotes do not come from a simulated TEE.
  virtual Result<SimTrustMaterial> SimulationTrust() const = 0;
};

}  // namespace teecloud::node
