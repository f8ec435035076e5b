// Runs a child process and captures its output (the bench's dcap-qvl peer).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace teecloud::cli {

struct ProcessOutput {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  std::string output;  // stdout and stderr, interleaved
  bool timed_out = false;
};

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, without a shell. Kills the
// child (by its pid) when it runs longer than timeout_seconds. Errors: the program cannot be
// started (kNotFound when it is not in PATH).
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, double timeout_seconds);

}  // namespace teecloud::cli
