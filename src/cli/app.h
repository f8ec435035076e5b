// The `teecloud` command line: argument parsing (CLI11) and dispatch to the commands.
//
// main.cc only wires the real clock and std streams into RunCli; everything else is here so
// tests can run the CLI in-process.
#pragma once

#include <ostream>

#include "base/clock.h"

namespace teecloud::cli {

// Runs `teecloud argv[1..]`. Returns the process exit code (see exit_codes.h). Never throws:
// CLI11's parse exceptions are caught here and mapped to exit code 2 with usage on `err`.
// `clock` supplies the default verification time when --at is absent.
int RunCli(int argc, const char* const* argv, const Clock& clock, std::ostream& out,
           std::ostream& err);

}  // namespace teecloud::cli
