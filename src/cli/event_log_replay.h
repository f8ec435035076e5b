// Event-log replay against the RTMRs of a TDX quote, for `teecloud verify quote --event-log`.
//
// A thin adapter over attest::eventlog::ReplayAgainstQuote (attest/eventlog/replay.h), which
// accepts a CCEL log (TCG2 crypto-agile, as read from the ACPI CCEL area) or a teecloud runtime
// event log (JSON array), detected from the bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::cli {

using Rtmrs = std::array<std::array<uint8_t, 48>, 4>;

struct ReplayOutcome {
  std::string format;  // "ccel" | "runtime"
  // replayed RTMRi == quote RTMRi; nullopt when the log format cannot speak for the register.
  std::array<std::optional<bool>, 4> match;
  size_t event_count = 0;
};

// Errors: the bytes are neither a CCEL nor a runtime event log (kInvalidArgument), or this
// build has no event-log library (kUnimplemented).
Result<ReplayOutcome> ReplayEventLog(ByteView log, const Rtmrs& quote_rtmrs);

}  // namespace teecloud::cli
