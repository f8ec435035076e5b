// Runs a child process without a shell: argv only, bounded in time and output, optional bytes
// on its stdin (how secrets reach a child: never argv, environment or a file).
//
// Thread-safe (no shared state). The child gets exactly fds 0, 1, 2: stdin is /dev/null or a
// socket carrying `stdin_data`, stdout and stderr share one capture pipe; every other fd of the
// calling process is closed in the child.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud {

struct SubprocessOptions {
  // The child is SIGKILLed (by its pid) when it runs longer than this.
  double timeout_seconds = 30;
  // Written to the child's stdin, which is then shut down. Empty: stdin is /dev/null. The bytes
  // are written straight from this view; no copy is kept.
  ByteView stdin_data;
  // Output beyond this is read and dropped (output_truncated is set).
  size_t max_output_bytes = 1 << 20;
  // Empty: inherit the working directory.
  std::string working_dir;
};

struct SubprocessResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  int term_signal = 0;
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
  bool output_truncated = false;

  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH unless it contains '/'). Returns once the child has exited;
// output that a daemonizing grandchild keeps writing to the inherited pipe after that is not
// waited for. Errors: the program is not found (kNotFound) or cannot be started (kInternal).
// A non-zero exit is a result, not an error.
Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                       const SubprocessOptions& options = {});

// The absolute path of an executable found in PATH (or `name` itself when it contains '/' and
// is executable); kNotFound otherwise.
Result<std::string> FindExecutable(const std::string& name);

}  // namespace teecloud
