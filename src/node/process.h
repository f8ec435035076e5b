// Long-running child processes the node supervises (agents), and what /proc says about any
// process. Linux only.
//
// Agents are started in their own session (setsid) with every inherited fd closed, so they
// outlive the node (a SIGKILLed node leaves them running, to be adopted on restart) and hold
// none of the node's sockets or locks. A process is identified by PID *and* its kernel start
// time, so a recycled PID is never mistaken for (or signalled as) the agent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "node/cvm.h"

namespace teecloud::node {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the executable path (no PATH lookup)
  std::string output_path;        // stdout and stderr are appended here (created 0640)
};

// Starts argv in a new session; stdin is /dev/null. Returns its PID and start time.
Result<AgentProcess> SpawnDetached(const SpawnRequest& request);

// The start time (/proc/<pid>/stat field 22) of a live, non-zombie process; nullopt otherwise.
std::optional<int64_t> ProcessStartTime(int64_t pid);

// The command line of a process (empty when it is gone or unreadable).
std::vector<std::string> ProcessArgv(int64_t pid);

// Every numeric entry of /proc.
std::vector<int64_t> ListPids();

struct ProcessExit {
  bool exited = false;  // false: still running
  bool failed = false;  // non-zero exit, a signal, or unknown (not our child)
  std::string detail;   // "exited with code 3", "killed by signal 9", ...
};

// Whether `p` is still the live process it was. A child of this process that exited is reaped
// here (its exit status is reported once; afterwards it is "gone, status unknown").
ProcessExit CheckProcess(const AgentProcess& p);

// SIGTERM to the process group of `p` (agents are session leaders), SIGKILL after `grace`, and
// waits (bounded) until it is gone. Does nothing when `p` is already gone or its PID belongs to
// another process now. Returns how it ended.
Result<ProcessExit> TerminateProcess(const AgentProcess& p, std::chrono::milliseconds grace);

}  // namespace teecloud::node
