#include "attest/eventlog/runtime_log.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>
#include <utility>

namespace teecloud::attest::eventlog {
namespace {

// The exact member set of an AGENT_API.md event_log entry.
constexpr std::array<std::string_view, 5> kEntryFields = {"imr", "event_type", "digest", "event",
                                                          "event_payload"};
constexpr size_t kDigestSize = std::tuple_size_v<Digest384>;

Result<RuntimeEvent> ParseEntry(const Json& entry, const std::string& ctx) {
  if (!entry.is_object()) return InvalidArgument(ctx + ": expected an object");
  // Unknown members are rejected so that a verifier knows what every field of the log means.
  for (const auto& [key, unused] : entry.items()) {
    if (std::find(kEntryFields.begin(), kEntryFields.end(), key) == kEntryFields.end()) {
      return InvalidArgument(ctx + "." + key + ": unknown field");
    }
  }
  RuntimeEvent ev;
  ASSIGN_OR_RETURN(uint64_t imr, JsonUint(entry, "imr", ctx));
  if (imr >= kImrCount)
    return InvalidArgument(ctx + ".imr: " + std::to_string(imr) + " is not 0..3");
  ev.imr = static_cast<uint32_t>(imr);
  ASSIGN_OR_RETURN(uint64_t type, JsonUint(entry, "event_type", ctx));
  if (type > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgument(ctx + ".event_type: does not fit in 32 bits");
  }
  ev.event_type = static_cast<uint32_t>(type);
  ASSIGN_OR_RETURN(ev.digest, JsonHex(entry, "digest", ctx));
  if (ev.digest.size() != kDigestSize) {
    return InvalidArgument(ctx + ".digest: " + std::to_string(ev.digest.size()) +
                           " bytes, expected 48");
  }
  ASSIGN_OR_RETURN(ev.event, JsonString(entry, "event", ctx));
  ASSIGN_OR_RETURN(ev.payload, JsonHex(entry, "event_payload", ctx));
  // Our own event type has a recomputable digest: an entry whose name/payload do not produce
  // its digest did not happen as described (the digest is what the register saw).
  if (ev.event_type == kRuntimeEventType) {
    Digest384 expected = RuntimeEventDigest(ev.event_type, ev.event, ev.payload);
    if (!BytesEqual(ev.digest, crypto::View(expected))) {
      return InvalidArgument(ctx + ": digest does not match event \"" + ev.event +
                             "\" and its payload");
    }
  }
  return ev;
}

Status CheckRuntimeName(std::string_view name) {
  if (name.empty()) return InvalidArgument("runtime event: empty name");
  if (name.find(':') != std::string_view::npos) {
    return InvalidArgument("runtime event: name \"" + std::string(name) + "\" contains ':'");
  }
  return OkStatus();
}

}  // namespace

Digest384 RuntimeEventDigest(uint32_t event_type, std::string_view name, ByteView payload) {
  ByteWriter type;
  type.U32Le(event_type);
  crypto::Sha384Hasher h;
  h.Update(type.bytes());
  h.Update(AsBytes(":"));
  h.Update(AsBytes(name));
  h.Update(AsBytes(":"));
  h.Update(payload);
  return h.Final();
}

RuntimeEvent MakeRuntimeEvent(std::string name, ByteView payload) {
  RuntimeEvent ev;
  ev.imr = kRuntimeImr;
  ev.event_type = kRuntimeEventType;
  Digest384 d = RuntimeEventDigest(ev.event_type, name, payload);
  ev.digest = Bytes(d.begin(), d.end());
  ev.event = std::move(name);
  ev.payload = ToBytes(payload);
  return ev;
}

Result<std::vector<RuntimeEvent>> ParseRuntimeEventLog(std::string_view json_text) {
  ASSIGN_OR_RETURN(Json doc, ParseJson(json_text));
  if (!doc.is_array()) return InvalidArgument("event log: expected a JSON array");
  std::vector<RuntimeEvent> events;
  events.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    ASSIGN_OR_RETURN(RuntimeEvent ev, ParseEntry(doc[i], "event_log[" + std::to_string(i) + "]"));
    events.push_back(std::move(ev));
  }
  return events;
}

Json RuntimeEventLogToJson(const std::vector<RuntimeEvent>& events) {
  Json out = Json::array();
  for (const RuntimeEvent& ev : events) {
    out.push_back(Json{{"imr", ev.imr},
                       {"event_type", ev.event_type},
                       {"digest", ToHex(ev.digest)},
                       {"event", ev.event},
                       {"event_payload", ToHex(ev.payload)}});
  }
  return out;
}

std::array<Digest384, kImrCount> ReplayRuntimeLog(const std::vector<RuntimeEvent>& events) {
  std::array<Digest384, kImrCount> rtmr{};  // 48 zero bytes each
  for (const RuntimeEvent& ev : events) {
    if (ev.imr >= kImrCount) continue;
    Digest384& reg = rtmr[ev.imr];
    crypto::Sha384Hasher h;
    h.Update(crypto::View(reg));
    h.Update(ev.digest);
    reg = h.Final();
  }
  return rtmr;
}

Result<RuntimeMeasurement> RuntimeMeasurement::FromEvents(std::vector<RuntimeEvent> events) {
  RuntimeMeasurement m;
  for (size_t i = 0; i < events.size(); ++i) {
    const RuntimeEvent& ev = events[i];
    auto ctx = "runtime log: event " + std::to_string(i);
    if (ev.imr != kRuntimeImr || ev.event_type != kRuntimeEventType) {
      return InvalidArgument(ctx + ": not a runtime event for RTMR3");
    }
    if (auto s = CheckRuntimeName(ev.event); !s) return tl::unexpected(s.error().WithContext(ctx));
    if (!BytesEqual(ev.digest,
                    crypto::View(RuntimeEventDigest(ev.event_type, ev.event, ev.payload)))) {
      return InvalidArgument(ctx + ": digest does not match its name and payload");
    }
    m.Fold(ev);
  }
  m.events_ = std::move(events);
  return m;
}

Result<RuntimeEvent> RuntimeMeasurement::Extend(std::string name, ByteView payload) {
  RETURN_IF_ERROR(CheckRuntimeName(name));
  RuntimeEvent ev = MakeRuntimeEvent(std::move(name), payload);
  Fold(ev);
  events_.push_back(ev);
  return ev;
}

void RuntimeMeasurement::Fold(const RuntimeEvent& ev) {
  crypto::Sha384Hasher h;
  h.Update(crypto::View(rtmr3_));
  h.Update(ev.digest);
  rtmr3_ = h.Final();
}

}  // namespace teecloud::attest::eventlog
