// The teecloud runtime event log: what the agent measures into RTMR3 after boot.
//
// ARCHITECTURE.md "Identities and measurements": each runtime event has type 0x08000001 and
//   digest   = SHA-384(le32(type) || ":" || name || ":" || payload)
//   RTMR3'   = SHA-384(RTMR3 || digest), starting from 48 zero bytes.
// The log travels as the JSON array of AGENT_API.md (`/GetQuote` "event_log", tcb_info):
//   [{"imr": 0..3, "event_type": u32, "digest": hex48, "event": name, "event_payload": hex}, ...]
// Entries for imr 0..2 (boot events copied from the CCEL, as dstack does) carry digests that
// cannot be recomputed from the entry, so they are taken as given and only the replay vouches
// for them. Entries of type 0x08000001 can be recomputed, and a mismatch is rejected: such an
// entry claims a name/payload that is not what was measured.
//
// Caveat for verifiers: the digest input is not length-prefixed, so name "a:b" + payload "c"
// hashes like name "a" + payload "b:c". RuntimeMeasurement refuses names containing ':'; a
// verifier should also judge boot events only up to "system-ready", since apps may emit any
// name (even "compose-hash") after it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/json.h"
#include "crypto/hash.h"

namespace teecloud::attest::eventlog {

using crypto::Digest384;

inline constexpr uint32_t kRuntimeEventType = 0x08000001;
// The register the agent extends (RTMR3), as an "imr" value of the JSON log.
inline constexpr uint32_t kRuntimeImr = 3;
inline constexpr size_t kImrCount = 4;

struct RuntimeEvent {
  uint32_t imr = 0;  // 0..3 = RTMR0..3
  uint32_t event_type = 0;
  Bytes digest;       // 48 bytes in every event this library produces or accepts
  std::string event;  // name
  Bytes payload;

  bool operator==(const RuntimeEvent&) const = default;
};

// SHA-384(le32(type) || ":" || name || ":" || payload).
Digest384 RuntimeEventDigest(uint32_t event_type, std::string_view name, ByteView payload);

// A teecloud runtime event for RTMR3 (type 0x08000001, digest computed).
RuntimeEvent MakeRuntimeEvent(std::string name, ByteView payload);

// Parses the JSON array. Rejects: non-array; entries that are not objects, miss a field or have
// an unknown one; wrong types; imr > 3; event_type outside u32; bad hex; a digest that is not 48
// bytes; and a type-0x08000001 entry whose digest differs from RuntimeEventDigest(...).
Result<std::vector<RuntimeEvent>> ParseRuntimeEventLog(std::string_view json_text);

// The JSON array form (lower-case hex), accepted back by ParseRuntimeEventLog.
Json RuntimeEventLogToJson(const std::vector<RuntimeEvent>& events);

// Replays every register: RTMR[imr] = SHA-384(RTMR[imr] || digest) in log order, from 48 zero
// bytes. Registers without events stay zero; entries with imr > 3 (never produced by the parser)
// are ignored.
std::array<Digest384, kImrCount> ReplayRuntimeLog(const std::vector<RuntimeEvent>& events);

// The agent's view of RTMR3: the running register value and the events that produced it.
// It does not touch hardware: after Extend the caller extends the real RTMR3 with the returned
// event's digest (through its Attester). If that fails, log and register disagree and every
// later quote fails replay, so the agent must treat it as fatal rather than retry.
// Not thread-safe: the agent serializes extensions (their order is part of the measurement).
class RuntimeMeasurement {
 public:
  RuntimeMeasurement() = default;

  // Restores state from a saved log (e.g. after an agent restart). Every event must be a
  // runtime event for RTMR3 with a correct digest.
  static Result<RuntimeMeasurement> FromEvents(std::vector<RuntimeEvent> events);

  // Appends event `name` with `payload` and folds its digest into rtmr3(). Rejects an empty name
  // and names containing ':' (see the caveat above).
  Result<RuntimeEvent> Extend(std::string name, ByteView payload);

  const Digest384& rtmr3() const { return rtmr3_; }
  const std::vector<RuntimeEvent>& events() const { return events_; }
  Json ToJson() const { return RuntimeEventLogToJson(events_); }

 private:
  void Fold(const RuntimeEvent& ev);

  Digest384 rtmr3_{};
  std::vector<RuntimeEvent> events_;
};

}  // namespace teecloud::attest::eventlog
