#include "cli/event_log_replay.h"

#ifdef TEECLOUD_HAVE_EVENTLOG_REPLAY
#include "attest/eventlog/replay.h"
#endif

namespace teecloud::cli {

Result<ReplayOutcome> ReplayEventLog(ByteView log, const Rtmrs& quote_rtmrs) {
#ifdef TEECLOUD_HAVE_EVENTLOG_REPLAY
  ASSIGN_OR_RETURN(auto report, attest::eventlog::ReplayAgainstQuote(log, quote_rtmrs));
  ReplayOutcome out;
  out.format = std::move(report.format);
  out.match = report.rtmr_match;
  out.event_count = report.event_count;
  return out;
#else
  (void)log;
  (void)quote_rtmrs;
  return Unimplemented("this build has no event-log replay (src/attest/eventlog/replay.cc)");
#endif
}

}  // namespace teecloud::cli
