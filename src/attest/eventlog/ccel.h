// Confidential Computing Event Log (CCEL): the firmware's TCG2 crypto-agile event log of a TD.
//
// A CCEL log area holds the events that firmware (TDVF/OVMF) extended into RTMR0..2 before the
// OS ran. Its format is the TCG "crypto agile" log:
//  - TCG PC Client Platform Firmware Profile Specification (PFP) 1.05, §10.2.1 TCG_PCR_EVENT
//    (the first record, SHA-1 layout, event type EV_NO_ACTION) carrying §10.4.5.1
//    TCG_EfiSpecIDEvent ("Spec ID Event03") which declares the digest algorithms and sizes;
//  - §10.2.2 TCG_PCR_EVENT2 for every following record (u32 MR index, u32 event type,
//    TPML_DIGEST_VALUES {u32 count, count × (u16 algId, digest)}, u32 event size, event data).
// UEFI 2.10 §38 (EFI_CC_MEASUREMENT_PROTOCOL, MapPcrToMrIndex) reuses this format with a
// "CC MR index" in place of the PCR index; for TDX (Intel TDX GHCI, "TD measurement") index
// 0 = MRTD and 1..4 = RTMR0..3. The area is located through the ACPI "CCEL" table (ACPI 6.5
// §5.2.34) and is pre-filled with 0xFF, so the log ends at the first record whose header is
// all 0xFF (some producers zero-fill instead; both are accepted).
//
// ParseCcel is a pure, bounds-checked function over bytes (every read goes through ByteReader).
// It never aborts on untrusted input; structural problems are Errors. Replay is separate and
// cannot fail: ParseCcel already guarantees what replay needs (see ParseCcel).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/hash.h"

namespace teecloud::attest::eventlog {

using crypto::Digest384;

// TCG Algorithm Registry identifiers (TPM_ALG_ID) that have a known digest size.
inline constexpr uint16_t kAlgSha1 = 0x0004;
inline constexpr uint16_t kAlgSha256 = 0x000B;
inline constexpr uint16_t kAlgSha384 = 0x000C;
inline constexpr uint16_t kAlgSha512 = 0x000D;
inline constexpr uint16_t kAlgSm3_256 = 0x0012;

// PFP §10.4.1: events of this type are informational and never extended.
inline constexpr uint32_t kEvNoAction = 0x00000003;

// Number of runtime-extendable TDX registers (RTMR0..3); CC MR index i+1 is RTMRi.
inline constexpr size_t kRtmrCount = 4;

// TCG_EfiSpecIdEvent (PFP §10.4.5.1), the payload of the first record.
struct SpecIdEvent {
  uint32_t platform_class = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;  // 1 = UINT32, 2 = UINT64
  // (algorithm id, digest size) in declaration order; ids are unique.
  std::vector<std::pair<uint16_t, uint16_t>> algorithms;
  Bytes vendor_info;
};

// One TCG_PCR_EVENT2 record.
struct CcelEvent {
  uint32_t mr_index = 0;  // CC MR index: 0 = MRTD, 1..4 = RTMR0..3
  uint32_t event_type = 0;
  // (algorithm id, digest) in record order; every id is declared in the Spec ID event and the
  // digest has the declared size.
  std::vector<std::pair<uint16_t, Bytes>> digests;
  Bytes event_data;

  // The digest for `alg`, or an empty view when the record has none.
  ByteView DigestFor(uint16_t alg) const;
};

struct CcelLog {
  // The first record (TCG_PCR_EVENT): its MR index, and the decoded Spec ID event.
  uint32_t header_mr_index = 0;
  SpecIdEvent spec_id;
  // The records after the header, in log order (EV_NO_ACTION records included).
  std::vector<CcelEvent> events;
  // Byte offset just past the last record, i.e. where the 0xFF / zero fill (or the input) starts.
  size_t log_size = 0;
};

// Parses a CCEL log area (e.g. /sys/firmware/acpi/tables/data/CCEL). Trailing fill is accepted:
// the log ends at the first record header that is all 0xFF or all zero (MR index and event type
// both 0), or at the end of the input when it ends exactly on a record boundary.
//
// Errors: a record cut short is kOutOfRange (from ByteReader). kInvalidArgument: a first record
// that is not EV_NO_ACTION with "Spec ID Event03"; a Spec ID event with no or duplicate
// algorithms, or a registry algorithm with the wrong size; a record using an algorithm not
// declared in the Spec ID event, listing one twice, or with more digests than declared
// algorithms; an MR index above 4; and an extended (non-EV_NO_ACTION) record without a SHA-384
// digest, since CC measurement registers are SHA-384 and such a record could not be replayed.
// Messages name the record and its byte offset.
Result<CcelLog> ParseCcel(ByteView data);

// Replays RTMR0..3 from a parsed log: for each record with CC MR index 1..4 that is not
// EV_NO_ACTION, RTMR[i-1] = SHA-384(RTMR[i-1] || sha384 digest), starting from 48 zero bytes.
// MR index 0 (MRTD) is measured by the TDX module, not by extension, so it is skipped.
std::array<Digest384, kRtmrCount> ReplayRtmrs(const CcelLog& log);

// Count of extended (non-EV_NO_ACTION) records per CC MR index 0..4.
std::array<size_t, kRtmrCount + 1> ExtendedEventsPerMrIndex(const CcelLog& log);

// ACPI CCEL table (ACPI 6.5 §5.2.34 "CC Event Log ACPI Table"): standard 36-byte header, then CC
// type, CC subtype, reserved u16, LAML (log area minimum length) and LASA (log area start address).
struct CcelAcpiTable {
  std::string signature;  // always "CCEL"
  uint32_t length = 0;    // declared table length (>= 56)
  uint8_t revision = 0;
  uint8_t checksum = 0;
  // Whether the `length` bytes sum to 0 mod 256. Reported, not enforced: a wrong checksum is a
  // firmware defect, not a structural problem with the fields.
  bool checksum_ok = false;
  std::string oem_id;        // 6 bytes, as is (space padded)
  std::string oem_table_id;  // 8 bytes, as is
  uint32_t oem_revision = 0;
  std::string creator_id;  // 4 bytes, as is
  uint32_t creator_revision = 0;
  uint8_t cc_type = 0;  // 1 = AMD SEV, 2 = Intel TDX
  uint8_t cc_subtype = 0;
  uint16_t reserved = 0;
  uint64_t laml = 0;
  uint64_t lasa = 0;
};

inline constexpr uint8_t kCcTypeSev = 1;
inline constexpr uint8_t kCcTypeTdx = 2;
inline constexpr size_t kCcelAcpiTableSize = 56;

// Parses the ACPI CCEL table (e.g. /sys/firmware/acpi/tables/CCEL). Rejects a wrong signature,
// a declared length below 56 or beyond the input; bytes after the declared length are ignored.
Result<CcelAcpiTable> ParseCcelAcpiTable(ByteView data);

}  // namespace teecloud::attest::eventlog
