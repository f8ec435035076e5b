// NodeService: the node's logic, no sockets. It owns the desired state of every CVM (in the
// StateStore), drives a CvmBackend towards it, and supervises agents (restart policy with
// backoff). The HTTP API is a thin layer over it.
//
// Durability rule: every operation first commits what it is about to do (desired state and a
// transitional status) and only then acts on the backend, so Reconcile() after a crash at any
// point can finish or redo it:
//   creating            → Create + Start again (both idempotent)
//   stopping            → the stop (or the stop half of restart/upgrade) is finished, then the
//                         CVM is started again when desired = running
//   removing (removed)  → stop + Remove(keep data) + tombstone
//   removing (purged)   → stop + Remove(purge) + delete the record
//   desired running, agent alive     → adopted (same PID)
//   desired running, agent dead      → started again
//   agents the store does not know, and duplicates of one CVM → stopped
//
// Thread-safe: lifecycle operations on one CVM are serialized by a per-CVM mutex; Tick() skips
// CVMs that an operation holds. Reconcile() must run before serving requests.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "crypto/random.h"
#include "node/cvm.h"
#include "node/cvm_backend.h"
#include "node/state_store.h"

namespace teecloud::node {

struct NodeServiceOptions {
  // SIGTERM → SIGKILL grace when stopping an agent.
  std::chrono::milliseconds stop_grace{10000};
  // An agent that does not answer on its socket this long after its start is killed and
  // counted as a failed start.
  int64_t start_timeout_seconds = 60;
  // Restart backoff: initial * 2^(consecutive failures - 1), capped; reset once an agent has
  // been running for backoff_reset_seconds.
  int64_t backoff_initial_seconds = 1;
  int64_t backoff_max_seconds = 60;
  int64_t backoff_reset_seconds = 60;
  // Key providers this node can serve ("local", "none"; "kms" once a KMS is configured).
  std::vector<std::string> key_providers = {"local", "none"};
  // Whether a host port is free on this machine (bind probe). Null: not checked.
  std::function<bool(uint16_t port, const std::string& protocol)> host_port_available;
};

struct DeployRequest {
  std::string name;
  std::string manifest_json;  // a manifest document (manifest/manifest.h), validated here
  std::vector<PortMapping> ports;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  std::string app_id;  // optional, 40 hex digits; default: the manifest's policy-mode app id
  Bytes sealed_env;    // optional: secrets sealed to the app's env key (CvmRecord::sealed_env)
};

struct DeployResult {
  CvmRecord cvm;
  bool resumed = false;  // a tombstone of that name was resumed (same app id, instance, data)
};

struct UpgradeRequest {
  std::string manifest_json;
  std::optional<std::vector<PortMapping>> ports;  // nullopt: keep the current ones
  std::optional<Bytes> sealed_env;                // nullopt: keep the current secrets
};

// Checks a sealed env against the manifest it is deployed with: size bounds, and a manifest that
// lets names through (allowed_envs) and has a key provider that can open it.
Status CheckSealedEnv(ByteView sealed_env, const std::string& manifest_json);

struct CvmAttestation {
  CvmRecord cvm;
  Bytes nonce;
  Bytes report_data;
  Attestation attestation;
};

// What Reconcile() did, for the daemon to log.
struct ReconcileReport {
  int adopted = 0;             // running agents taken over (same PID)
  int started = 0;             // CVMs started because their agent was gone
  int stopped = 0;             // agents stopped: desired stopped, or an interrupted stop
  int duplicates_stopped = 0;  // extra agents of one CVM
  int orphans_stopped = 0;     // agents of CVMs the store does not know
  int removals_finished = 0;
  std::vector<std::string> errors;  // per CVM, reconcile went on with the others
};

struct NodeCounters {
  int64_t agent_restarts = 0;  // automatic restarts after an agent died
  int64_t agent_exits = 0;     // unexpected agent exits observed
  int64_t adopted = 0;         // agents adopted by Reconcile
};

class NodeService {
 public:
  // `store`, `backend`, `clock` and `random` must outlive the service.
  NodeService(StateStore& store, CvmBackend& backend, const Clock& clock, crypto::Random& random,
              NodeServiceOptions options);

  // Brings the backend in line with the store after a (re)start: see the table above. Errors
  // of one CVM are collected in the report; only a failure to read the store or to scan for
  // agents fails the call.
  Result<ReconcileReport> Reconcile();
  // One supervision pass: observes every agent, records exits, restarts per policy.
  void Tick();

  Result<DeployResult> Deploy(const DeployRequest& request);
  Result<std::vector<CvmRecord>> List(bool include_removed);
  // `ref`: CVM id, name or app id.
  Result<CvmRecord> Inspect(const std::string& ref);
  Result<CvmRecord> Start(const std::string& ref);
  Result<CvmRecord> Stop(const std::string& ref);
  Result<CvmRecord> Restart(const std::string& ref);
  // New manifest; app id, instance id, seed and agent state are kept.
  Result<CvmRecord> Upgrade(const std::string& ref, const UpgradeRequest& request);
  // Without purge the record stays as a tombstone (status removed) and the data is kept.
  // Returns the record as it was removed.
  Result<CvmRecord> Remove(const std::string& ref, bool purge);
  Status Logs(const std::string& ref, const LogOptions& options, const LogSink& sink);
  Result<std::vector<CvmEvent>> Events(const std::string& ref, int limit);
  Result<std::vector<StateStore::ManifestHistoryEntry>> ManifestHistory(const std::string& ref);
  // A fresh quote from the CVM's agent over AttestReportData(nonce) (attest_binding.h).
  Result<CvmAttestation> Attest(const std::string& ref, ByteView nonce);

  NodeCounters counters() const;
  std::string_view backend_name() const { return backend_.Name(); }

 private:
  struct Supervision {
    int64_t consecutive_failures = 0;
    UnixTime next_restart_at = 0;  // 0: none pending
    UnixTime running_since = 0;
    UnixTime starting_since = 0;
  };

  std::shared_ptr<std::mutex> CvmMutex(const std::string& id);
  Result<CvmRecord> Find(const std::string& ref);
  Result<CvmRecord> FindLive(const std::string& ref);  // not a tombstone
  Status CheckPorts(const std::vector<PortMapping>& ports, const std::vector<uint16_t>& exposed,
                    const std::string& own_name);
  // Create + Start, recording the outcome. `event_kind` names the start in the event log.
  Result<CvmRecord> StartLocked(const std::string& id, const std::string& event_kind,
                                const std::string& event_message, bool count_restart);
  // Commits desired = `desired`, status stopping; stops the recorded agent; then status
  // `final_status` with `event`.
  Result<CvmRecord> StopLocked(const std::string& id, DesiredState desired, CvmStatus final_status,
                               const EventSpec& event);
  Result<CvmRecord> FinishRemoveLocked(const std::string& id);
  void SuperviseLocked(const CvmRecord& cvm);
  void ResetSupervision(const std::string& id);
  int64_t BackoffSeconds(int64_t consecutive_failures) const;

  StateStore& store_;
  CvmBackend& backend_;
  const Clock& clock_;
  crypto::Random& random_;
  NodeServiceOptions options_;

  std::mutex deploy_mu_;  // serializes name lookups + inserts/resumes
  std::mutex map_mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> cvm_mu_;
  std::map<std::string, Supervision> supervision_;  // guarded by map_mu_

  std::atomic<int64_t> agent_restarts_{0};
  std::atomic<int64_t> agent_exits_{0};
  std::atomic<int64_t> adopted_{0};
};

}  // namespace teecloud::node
