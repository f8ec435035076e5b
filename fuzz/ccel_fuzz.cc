// Fuzz target for the event-log parsers (src/attest/eventlog): the binary CCEL, the ACPI CCEL
// table and the JSON runtime log all read the same untrusted bytes; whatever parses is replayed
// so the replay paths run on fuzzer-shaped logs too. Nothing may crash, hang or over-read.
#include <array>
#include <cstddef>
#include <cstdint>

#include "attest/eventlog/ccel.h"
#include "attest/eventlog/replay.h"
#include "attest/eventlog/runtime_log.h"

namespace ev = teecloud::attest::eventlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  teecloud::ByteView bytes(data, size);
  if (auto log = ev::ParseCcel(bytes)) {
    (void)ev::ReplayRtmrs(*log);
    (void)ev::ExtendedEventsPerMrIndex(*log);
  }
  (void)ev::ParseCcelAcpiTable(bytes);
  if (auto events = ev::ParseRuntimeEventLog(teecloud::AsStringView(bytes))) {
    (void)ev::ReplayRuntimeLog(*events);
    (void)ev::RuntimeEventLogToJson(*events);
  }
  (void)ev::ReplayAgainstQuote(bytes, std::array<std::array<uint8_t, 48>, 4>{});
  return 0;
}
