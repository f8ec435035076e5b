// Access to a trusted execution environment from inside a confidential VM.
//
// An Attester produces quotes over 64 bytes of report data, extends the runtime measurement
// registers and keeps the event log that explains them. Implementations: TdxConfigfsAttester
// (real TDX guests, kernel ABI), SimAttester (development and CI: real TDX v4 quote format
// signed by a local simulation PKI). Implementations are thread-safe: the agent serves
// requests concurrently, and extensions are serialized inside the attester (their order is part
// of the measurement).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "attest/eventlog/runtime_log.h"
#include "base/bytes.h"
#include "base/error.h"
#include "crypto/hash.h"

namespace teecloud::tee {

inline constexpr size_t kReportDataSize = 64;

struct Measurements {
  crypto::Digest384 mrtd{};
  std::array<crypto::Digest384, 4> rtmr{};  // RTMR0..3
};

struct PlatformInfo {
  std::string tee;  // "tdx" | "sim"
  bool simulated = false;
  std::string description;  // human-readable, e.g. "simulated TDX (sim root <fingerprint>)"
};

class Attester {
 public:
  virtual ~Attester() = default;

  virtual PlatformInfo Platform() const = 0;

  // A quote whose REPORTDATA is exactly `report_data` (must be 64 bytes) and whose RTMRs are
  // the current register values.
  virtual Result<Bytes> GetQuote(ByteView report_data) = 0;

  virtual Result<Measurements> ReadMeasurements() = 0;

  // Measures a runtime event into RTMR `imr` (2 or 3; the agent uses 3): computes the event's
  // digest (runtime_log.h rule), extends the register and appends the event to the log.
  // Returns the appended event. Rejects other registers and names runtime_log refuses.
  virtual Result<attest::eventlog::RuntimeEvent> ExtendRuntimeEvent(uint32_t imr,
                                                                     std::string name,
                                                                     ByteView payload) = 0;

  // Every event, in order: the boot events of RTMR0..2 (as the platform recorded them) and the
  // runtime events, in the JSON-log form of AGENT_API.md. Replaying it (ReplayRuntimeLog)
  // reproduces ReadMeasurements().rtmr.
  virtual Result<std::vector<attest::eventlog::RuntimeEvent>> ReadEventLog() = 0;
};

}  // namespace teecloud::tee
