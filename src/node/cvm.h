// The node's vocabulary: a CVM record as the state store keeps it, its desired state and
// observed status, port mappings, restart policy and events. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::node {

// What the operator asked for. kRemoved is a tombstone: the CVM no longer runs, its data
// (instance seed, agent state, volumes) is kept, and deploying the same name resumes it.
// kPurged: being deleted with its data; the record disappears once that is done.
enum class DesiredState { kRunning, kStopped, kRemoved, kPurged };

// What the node last observed.
enum class CvmStatus {
  kCreating,  // record written, per-CVM directory being prepared
  kStarting,  // agent spawned, its socket not answering yet
  kRunning,   // agent alive and answering on its socket
  kStopping,
  kStopped,   // stopped on request
  kExited,    // agent died on its own; a restart may be pending (restart policy)
  kFailed,    // could not be started, or the restart policy gave up
  kRemoving,  // removal in progress (finished by reconcile after a crash)
  kRemoved,   // tombstone (data kept)
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };

std::string_view DesiredStateName(DesiredState s);
Result<DesiredState> ParseDesiredState(std::string_view s);
std::string_view CvmStatusName(CvmStatus s);
Result<CvmStatus> ParseCvmStatus(std::string_view s);
std::string_view RestartPolicyName(RestartPolicy p);
Result<RestartPolicy> ParseRestartPolicy(std::string_view s);
// Every status, in declaration order (metrics report each, zero included).
const std::vector<CvmStatus>& AllCvmStatuses();

// A host port forwarded to a port of the CVM. The host side is node configuration, not part of
// the measured manifest.
struct PortMapping {
  uint16_t host_port = 0;
  uint16_t cvm_port = 0;
  std::string protocol = "tcp";  // "tcp" | "udp"

  bool operator==(const PortMapping&) const = default;
};

Json PortsToJson(const std::vector<PortMapping>& ports);
// Strict: an array of {"host", "cvm", "protocol"?}; ports 1..65535, no duplicate host port.
Result<std::vector<PortMapping>> PortsFromJson(const Json& j, std::string_view ctx);
// "8080:80", "8080:80/udp".
Result<PortMapping> ParsePortFlag(std::string_view s);

// The agent process of a running CVM: its PID and the kernel's start time of that PID (so a
// recycled PID is never mistaken for the agent). pid == 0: none.
struct AgentProcess {
  int64_t pid = 0;
  int64_t start_time = 0;  // /proc/<pid>/stat field 22 (clock ticks since boot)

  bool operator==(const AgentProcess&) const = default;
};

struct CvmRecord {
  std::string id;             // 16 lower-case hex digits, node-local
  std::string name;           // unique on the node
  std::string app_id;         // 40 hex digits
  std::string instance_id;    // 40 hex digits ("" until the backend created the instance)
  std::string manifest_json;  // the manifest as deployed (canonical JSON text)
  std::string manifest_hash;  // 64 hex digits: SHA-256 of the JCS form
  std::vector<PortMapping> ports;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  DesiredState desired = DesiredState::kRunning;
  CvmStatus status = CvmStatus::kCreating;
  std::string status_detail;  // why (exit code, error), for humans
  AgentProcess agent;
  int64_t restart_count = 0;  // automatic restarts after the agent died
  int64_t generation = 1;     // 1 at deploy, +1 per upgrade
  // The deployment's secrets sealed to the app's env key (secrets/sealed_env.h); empty = none.
  // Ciphertext: only the CVM's agent can open it.
  Bytes sealed_env;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
};

struct CvmEvent {
  int64_t seq = 0;
  std::string cvm_id;
  UnixTime at = 0;
  std::string kind;  // "created", "started", "agent-exited", "restarted", "upgraded", ...
  std::string message;
};

// Name rules (the manifest's `name` rule): 1..63 characters of [a-z0-9-], starting with a
// lower-case letter or a digit.
Status ValidateCvmName(std::string_view name);

Json EventToJson(const CvmEvent& e);

}  // namespace teecloud::node
