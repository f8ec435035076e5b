// One entry point for "does this event log explain the quote's RTMRs?".
//
// Verifiers receive either a binary CCEL (firmware log, RTMR0..2) or the agent's JSON runtime
// log (AGENT_API.md event_log, which may also carry the boot events for RTMR0..2). The format is
// detected from the bytes, the log is parsed and replayed, and each replayed register is
// compared with the quote's. A mismatch is an outcome (data), not an Error; only a log that
// cannot be parsed is an Error. Which registers must match is the caller's policy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "attest/eventlog/ccel.h"
#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::attest::eventlog {

struct ReplayReport {
  // rtmr_match[i]: replayed RTMRi == quote RTMRi. Set for all four registers by both formats
  // (a register without events replays to zeros); nullopt is reserved for formats that cannot
  // speak for a register.
  std::array<std::optional<bool>, 4> rtmr_match;
  std::array<Digest384, 4> replayed{};
  // Records in the log: CCEL records after the Spec ID header (EV_NO_ACTION included), or
  // entries of the JSON array.
  size_t event_count = 0;
  std::string format;  // "ccel" | "runtime"
};

// Auto-detects the format: text whose first non-whitespace byte is '[' is the JSON runtime log,
// anything else is parsed as a binary CCEL log area.
Result<ReplayReport> ReplayAgainstQuote(ByteView log_file_bytes,
                                        const std::array<std::array<uint8_t, 48>, 4>& quote_rtmrs);

}  // namespace teecloud::attest::eventlog
