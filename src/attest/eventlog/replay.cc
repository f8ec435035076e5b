#include "attest/eventlog/replay.h"

#include "attest/eventlog/runtime_log.h"

namespace teecloud::attest::eventlog {
namespace {

// JSON allows these four whitespace bytes before a value (RFC 8259 §2).
bool LooksLikeJsonArray(ByteView b) {
  for (uint8_t c : b) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '[';
  }
  return false;
}

}  // namespace

Result<ReplayReport> ReplayAgainstQuote(ByteView log_file_bytes,
                                        const std::array<std::array<uint8_t, 48>, 4>& quote_rtmrs) {
  ReplayReport report;
  if (LooksLikeJsonArray(log_file_bytes)) {
    ASSIGN_OR_RETURN(std::vector<RuntimeEvent> events,
                     ParseRuntimeEventLog(AsStringView(log_file_bytes)));
    report.format = "runtime";
    report.event_count = events.size();
    report.replayed = ReplayRuntimeLog(events);
  } else {
    ASSIGN_OR_RETURN(CcelLog log, ParseCcel(log_file_bytes));
    report.format = "ccel";
    report.event_count = log.events.size();
    report.replayed = ReplayRtmrs(log);
  }
  for (size_t i = 0; i < quote_rtmrs.size(); ++i) {
    // Public values: no constant-time comparison needed.
    report.rtmr_match[i] = report.replayed[i] == quote_rtmrs[i];
  }
  return report;
}

}  // namespace teecloud::attest::eventlog
