// An in-memory CvmBackend for tests of the node service: "processes" are entries in a table
// that tests can kill, make answer or not, and that survive the service object (a node
// restart keeps the machine's processes). Records every call so tests can assert that a
// refused request touched nothing. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/cvm_backend.h"

namespace teecloud::node {

class FakeCvmBackend final : public CvmBackend {
 public:
  struct Process {
    std::string cvm_id;
    AgentProcess process;
    bool alive = true;
    bool answering = true;
    bool failed = false;  // how it exited
    std::string detail;
    std::string manifest_hash;  // what it was started with
  };

  std::string_view Name() const override { return "fake"; }
  Result<std::string> Create(const CvmRecord& cvm) override;
  Result<AgentProcess> Start(const CvmRecord& cvm) override;
  Status Stop(const std::string& cvm_id, const AgentProcess& process,
              std::chrono::milliseconds grace) override;
  Status Remove(const CvmRecord& cvm, bool purge) override;
  Observation Observe(const CvmRecord& cvm, bool probe) override;
  Result<std::vector<DiscoveredAgent>> Discover() override;
  Status Logs(const CvmRecord& cvm, const LogOptions& options, const LogSink& sink) override;
  Result<Attestation> Attest(const CvmRecord& cvm, ByteView report_data) override;
  // kNotFound unless SetSimulationTrust was called.
  Result<SimTrustMaterial> SimulationTrust() const override;

  // --- test controls ---
  // The agent of `pid` dies (exit code 0 → not failed).
  void Kill(int64_t pid, int exit_code = 1);
  void SetAnswering(int64_t pid, bool answering);
  // Starts a process outside the service (an orphan / a duplicate) and returns it.
  AgentProcess SpawnStray(const std::string& cvm_id);
  // Start() fails with this error while set (empty message: no failure).
  void FailStarts(std::string message);
  void AppendLog(const std::string& cvm_id, const std::string& text);
  void SetSimulationTrust(SimTrustMaterial trust);

  std::vector<Process> AliveProcesses(const std::string& cvm_id);
  // Every call, as "Create <id>", "Start <id>", "Stop <id> <pid>", "Remove <id> purge=<0|1>",
  // "Attest <id> <report_data hex>".
  std::vector<std::string> calls();
  // CVM ids whose data (seed) exists: created and not purged.
  std::set<std::string> data();
  const Bytes& last_report_data();

 private:
  mutable std::mutex mu_;
  int64_t next_pid_ = 1000;
  std::map<int64_t, Process> processes_;
  std::map<std::string, std::string> instance_ids_;  // "data" of each CVM
  std::map<std::string, std::string> logs_;
  std::vector<std::string> calls_;
  std::string fail_starts_;
  Bytes last_report_data_;
  std::optional<SimTrustMaterial> sim_trust_;
};

}  // namespace teecloud::node
