// Process exit codes shared by every teecloud command.
#pragma once

namespace teecloud::cli {

// Verified and (when a policy was given) accepted; or a command that simply succeeded.
inline constexpr int kExitOk = 0;
// The evidence is invalid, or the policy rejected it.
inline constexpr int kExitRejected = 1;
// Usage error (bad flag, bad value) or I/O error (missing or unparsable input file).
inline constexpr int kExitUsage = 2;

}  // namespace teecloud::cli
