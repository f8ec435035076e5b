#include "attest/eventlog/ccel.h"

#include <algorithm>
#include <string_view>

namespace teecloud::attest::eventlog {
namespace {

constexpr size_t kSha1DigestSize = 20;
// PFP §10.4.5.1: signature of the TCG_EfiSpecIDEvent, NUL included.
constexpr std::string_view kSpecIdSignature("Spec ID Event03\0", 16);
// No TCG algorithm has a digest longer than 64 bytes (SHA-512); larger sizes are garbage.
constexpr uint16_t kMaxDigestSize = 64;
// Highest CC MR index for TDX: 4 = RTMR3.
constexpr uint32_t kMaxCcMrIndex = 4;

// Sizes fixed by the TCG Algorithm Registry; a Spec ID event declaring another size for one of
// these is inconsistent. Unknown (but declared) algorithms take their declared size.
int KnownDigestSize(uint16_t alg) {
  switch (alg) {
    case kAlgSha1:
      return 20;
    case kAlgSha256:
    case kAlgSm3_256:
      return 32;
    case kAlgSha384:
      return 48;
    case kAlgSha512:
      return 64;
    default:
      return -1;
  }
}

std::string Hex16(uint16_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += kDigits[(v >> shift) & 0xF];
  return s;
}

bool AllEqual(ByteView b, uint8_t v) {
  return std::all_of(b.begin(), b.end(), [v](uint8_t x) { return x == v; });
}

// Decodes the TCG_EfiSpecIDEvent (PFP §10.4.5.1) from the first record's event data.
Result<SpecIdEvent> ParseSpecIdEvent(ByteView event) {
  ByteReader r(event);
  ASSIGN_OR_RETURN(ByteView signature, r.Take(kSpecIdSignature.size(), "spec id: signature"));
  if (AsStringView(signature) != kSpecIdSignature) {
    return InvalidArgument(
        "spec id: signature is not \"Spec ID Event03\" (not a crypto-agile log)");
  }
  SpecIdEvent spec;
  ASSIGN_OR_RETURN(spec.platform_class, r.U32Le("spec id: platformClass"));
  ASSIGN_OR_RETURN(spec.spec_version_minor, r.U8("spec id: specVersionMinor"));
  ASSIGN_OR_RETURN(spec.spec_version_major, r.U8("spec id: specVersionMajor"));
  ASSIGN_OR_RETURN(spec.spec_errata, r.U8("spec id: specErrata"));
  ASSIGN_OR_RETURN(spec.uintn_size, r.U8("spec id: uintnSize"));
  ASSIGN_OR_RETURN(uint32_t count, r.U32Le("spec id: numberOfAlgorithms"));
  if (count == 0) return InvalidArgument("spec id: numberOfAlgorithms is 0");
  // Each entry is 4 bytes; checking against what is left bounds the loop (and the reserve)
  // before a hostile count can make us allocate.
  if (count > r.remaining() / 4) {
    return InvalidArgument("spec id: numberOfAlgorithms " + std::to_string(count) +
                           " exceeds the event size");
  }
  spec.algorithms.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(uint16_t alg, r.U16Le("spec id: algorithmId"));
    ASSIGN_OR_RETURN(uint16_t size, r.U16Le("spec id: digestSize"));
    if (size == 0 || size > kMaxDigestSize) {
      return InvalidArgument("spec id: algorithm " + Hex16(alg) + " has digest size " +
                             std::to_string(size));
    }
    int known = KnownDigestSize(alg);
    if (known >= 0 && known != size) {
      return InvalidArgument("spec id: algorithm " + Hex16(alg) + " declared with size " +
                             std::to_string(size) + ", registry size is " + std::to_string(known));
    }
    for (const auto& [seen, unused] : spec.algorithms) {
      if (seen == alg) return InvalidArgument("spec id: algorithm " + Hex16(alg) + " listed twice");
    }
    spec.algorithms.emplace_back(alg, size);
  }
  ASSIGN_OR_RETURN(uint8_t vendor_size, r.U8("spec id: vendorInfoSize"));
  ASSIGN_OR_RETURN(ByteView vendor, r.Take(vendor_size, "spec id: vendorInfo"));
  spec.vendor_info = ToBytes(vendor);
  // Bytes after vendorInfo are tolerated: the event size is authoritative for framing.
  return spec;
}

// The digest size declared for `alg`, or -1 when the Spec ID event does not declare it.
int DeclaredSize(const SpecIdEvent& spec, uint16_t alg) {
  for (const auto& [id, size] : spec.algorithms) {
    if (id == alg) return size;
  }
  return -1;
}

// True when the next record header marks the end of the log: all 0xFF (the CCEL area's fill)
// or MR index and event type both 0 (zero fill). Looks at up to 8 bytes without consuming.
bool AtEndMarker(ByteView rest) {
  ByteView head = rest.first(std::min<size_t>(rest.size(), 8));
  if (head.size() >= 4 && AllEqual(head.first(4), 0xFF)) return true;
  if (head.size() < 8) {
    // Too short to be a record: acceptable only if it is fill.
    return AllEqual(head, 0xFF) || AllEqual(head, 0x00);
  }
  return AllEqual(head, 0x00);
}

// One TCG_PCR_EVENT2 (PFP §10.2.2).
Result<CcelEvent> ParseEvent2(ByteReader& r, const SpecIdEvent& spec) {
  CcelEvent ev;
  ASSIGN_OR_RETURN(ev.mr_index, r.U32Le("mr index"));
  ASSIGN_OR_RETURN(ev.event_type, r.U32Le("event type"));
  if (ev.mr_index > kMaxCcMrIndex) {
    return InvalidArgument("mr index " + std::to_string(ev.mr_index) + " is not 0..4");
  }
  ASSIGN_OR_RETURN(uint32_t count, r.U32Le("digest count"));
  // A record cannot carry more digests than there are banks (duplicates are rejected below),
  // which also bounds the loop against a hostile count.
  if (count > spec.algorithms.size()) {
    return InvalidArgument("digest count " + std::to_string(count) + " exceeds the " +
                           std::to_string(spec.algorithms.size()) + " declared algorithms");
  }
  ev.digests.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(uint16_t alg, r.U16Le("digest algorithm"));
    int size = DeclaredSize(spec, alg);
    if (size < 0) {
      return InvalidArgument("digest algorithm " + Hex16(alg) +
                             " is not declared in the Spec ID event");
    }
    for (const auto& [seen, unused] : ev.digests) {
      if (seen == alg) return InvalidArgument("digest algorithm " + Hex16(alg) + " listed twice");
    }
    ASSIGN_OR_RETURN(ByteView digest, r.Take(static_cast<size_t>(size), "digest"));
    ev.digests.emplace_back(alg, ToBytes(digest));
  }
  ASSIGN_OR_RETURN(uint32_t event_size, r.U32Le("event size"));
  ASSIGN_OR_RETURN(ByteView data, r.Take(event_size, "event data"));
  ev.event_data = ToBytes(data);
  // CC registers are SHA-384 banks; an extended record without that digest cannot be replayed,
  // and silently skipping it would let a log hide an extension.
  if (ev.event_type != kEvNoAction && ev.DigestFor(kAlgSha384).empty()) {
    return InvalidArgument("extended event has no SHA-384 digest");
  }
  return ev;
}

// First record: TCG_PCR_EVENT (PFP §10.2.1) in the SHA-1 layout, EV_NO_ACTION, carrying the
// Spec ID event that every later record is read against.
Status ParseHeaderRecord(ByteReader& r, CcelLog& log) {
  ASSIGN_OR_RETURN(log.header_mr_index, r.U32Le("mr index"));
  ASSIGN_OR_RETURN(uint32_t type, r.U32Le("event type"));
  if (type != kEvNoAction) {
    return InvalidArgument("event type " + std::to_string(type) + " is not EV_NO_ACTION");
  }
  // The SHA-1 digest field is zero by spec (§10.4.5.1) but carries no meaning; not checked.
  RETURN_IF_ERROR(r.Skip(kSha1DigestSize, "sha1 digest"));
  ASSIGN_OR_RETURN(uint32_t size, r.U32Le("event size"));
  ASSIGN_OR_RETURN(ByteView event, r.Take(size, "event data"));
  ASSIGN_OR_RETURN(log.spec_id, ParseSpecIdEvent(event));
  return OkStatus();
}

}  // namespace

ByteView CcelEvent::DigestFor(uint16_t alg) const {
  for (const auto& [id, digest] : digests) {
    if (id == alg) return ByteView(digest);
  }
  return {};
}

Result<CcelLog> ParseCcel(ByteView data) {
  ByteReader r(data);
  CcelLog log;
  if (auto header = ParseHeaderRecord(r, log); !header) {
    return tl::unexpected(header.error().WithContext("ccel: header record"));
  }
  // Every following record is a TCG_PCR_EVENT2 until the fill or the end of the input.
  while (!r.empty()) {
    size_t start = r.offset();
    if (AtEndMarker(data.subspan(start))) break;
    auto ev = ParseEvent2(r, log.spec_id);
    if (!ev) {
      return tl::unexpected(ev.error().WithContext("ccel: record " +
                                                   std::to_string(log.events.size()) +
                                                   " at offset " + std::to_string(start)));
    }
    log.events.push_back(std::move(*ev));
  }
  log.log_size = r.offset();
  return log;
}

std::array<Digest384, kRtmrCount> ReplayRtmrs(const CcelLog& log) {
  std::array<Digest384, kRtmrCount> rtmr{};  // 48 zero bytes each
  for (const CcelEvent& ev : log.events) {
    if (ev.event_type == kEvNoAction) continue;
    if (ev.mr_index < 1 || ev.mr_index > kRtmrCount) continue;  // MRTD is not extended
    // ParseCcel guarantees the SHA-384 digest of every extended record.
    Digest384& reg = rtmr[ev.mr_index - 1];
    crypto::Sha384Hasher h;
    h.Update(crypto::View(reg));
    h.Update(ev.DigestFor(kAlgSha384));
    reg = h.Final();
  }
  return rtmr;
}

std::array<size_t, kRtmrCount + 1> ExtendedEventsPerMrIndex(const CcelLog& log) {
  std::array<size_t, kRtmrCount + 1> counts{};
  for (const CcelEvent& ev : log.events) {
    if (ev.event_type != kEvNoAction && ev.mr_index < counts.size()) ++counts[ev.mr_index];
  }
  return counts;
}

Result<CcelAcpiTable> ParseCcelAcpiTable(ByteView data) {
  ByteReader r(data);
  CcelAcpiTable t;
  // ACPI 6.5 §5.2.6 System Description Table Header (36 bytes).
  ASSIGN_OR_RETURN(ByteView signature, r.Take(4, "ccel table: signature"));
  t.signature = std::string(AsStringView(signature));
  if (t.signature != "CCEL") return InvalidArgument("ccel table: signature is not \"CCEL\"");
  ASSIGN_OR_RETURN(t.length, r.U32Le("ccel table: length"));
  if (t.length < kCcelAcpiTableSize) {
    return InvalidArgument("ccel table: length " + std::to_string(t.length) + " is below " +
                           std::to_string(kCcelAcpiTableSize));
  }
  if (t.length > data.size()) {
    return InvalidArgument("ccel table: length " + std::to_string(t.length) +
                           " exceeds the input (" + std::to_string(data.size()) + " bytes)");
  }
  ASSIGN_OR_RETURN(t.revision, r.U8("ccel table: revision"));
  ASSIGN_OR_RETURN(t.checksum, r.U8("ccel table: checksum"));
  ASSIGN_OR_RETURN(ByteView oem_id, r.Take(6, "ccel table: oem id"));
  t.oem_id = std::string(AsStringView(oem_id));
  ASSIGN_OR_RETURN(ByteView oem_table_id, r.Take(8, "ccel table: oem table id"));
  t.oem_table_id = std::string(AsStringView(oem_table_id));
  ASSIGN_OR_RETURN(t.oem_revision, r.U32Le("ccel table: oem revision"));
  ASSIGN_OR_RETURN(ByteView creator_id, r.Take(4, "ccel table: creator id"));
  t.creator_id = std::string(AsStringView(creator_id));
  ASSIGN_OR_RETURN(t.creator_revision, r.U32Le("ccel table: creator revision"));
  // ACPI 6.5 §5.2.34 CCEL-specific fields.
  ASSIGN_OR_RETURN(t.cc_type, r.U8("ccel table: cc type"));
  ASSIGN_OR_RETURN(t.cc_subtype, r.U8("ccel table: cc subtype"));
  ASSIGN_OR_RETURN(t.reserved, r.U16Le("ccel table: reserved"));
  ASSIGN_OR_RETURN(t.laml, r.U64Le("ccel table: laml"));
  ASSIGN_OR_RETURN(t.lasa, r.U64Le("ccel table: lasa"));
  // §5.2.6: the whole table, checksum byte included, sums to zero.
  uint8_t sum = 0;
  for (uint8_t b : data.first(t.length)) sum = static_cast<uint8_t>(sum + b);
  t.checksum_ok = sum == 0;
  return t;
}

}  // namespace teecloud::attest::eventlog
