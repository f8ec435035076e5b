// The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1).
//
// Reference ([PCK profile]): "Intel SGX PCK Certificate and Certificate Revocation List Profile
// Specification", section "Intel SGX PCK Certificate" → "SGX Extensions". The PCK leaf in a
// DCAP quote's certification data carries the platform's FMSPC, PCE-ID and the TCB (16 SGX
// component SVNs, PCESVN, CPUSVN) that the TCB info levels are matched against. The component
// SVNs must come from here, not from the CPUSVN bytes (their layout is not defined).
//
// Pure, bounds-checked parsing over crypto::DerReader; no allocation beyond the result.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/x509.h"

namespace teecloud::attest::dcap {

inline constexpr std::string_view kSgxExtensionsOid = "1.2.840.113741.1.13.1";

// [PCK profile] SGX Type (…1.5, ENUMERATED) values.
inline constexpr int kSgxTypeStandard = 0;
inline constexpr int kSgxTypeScalable = 1;
inline constexpr int kSgxTypeScalableWithIntegrity = 2;

// [PCK profile] Configuration (…1.7), present on Platform-CA-issued certificates only. Each
// flag is optional inside the SEQUENCE.
struct PckConfiguration {
  std::optional<bool> dynamic_platform;  // …1.7.1
  std::optional<bool> cached_keys;       // …1.7.2
  std::optional<bool> smt_enabled;       // …1.7.3
};

struct PckExtensions {
  Bytes ppid;                                // …1.1, 16 bytes (encrypted platform id)
  std::array<uint8_t, 16> tcb_components{};  // …1.2.1 .. …1.2.16
  uint16_t pce_svn = 0;                      // …1.2.17
  Bytes cpu_svn;                             // …1.2.18, 16 bytes
  Bytes pce_id;                              // …1.3, 2 bytes
  Bytes fmspc;                               // …1.4, 6 bytes
  int sgx_type = 0;                          // …1.5, kSgxType*
  // Optional members (Platform CA certificates carry them; Processor CA ones do not).
  std::optional<Bytes> platform_instance_id;      // …1.6, 16 bytes
  std::optional<PckConfiguration> configuration;  // …1.7
};

// Parses the extension's value (the contents of extnValue: SEQUENCE OF SEQUENCE {OID, value}).
// Requires PPID, TCB (all 18 entries), PCE-ID, FMSPC and SGX Type; rejects duplicates, wrong
// types and sizes, and trailing bytes. Unknown OIDs are ignored (Intel may add members; the
// certificate's signature, checked elsewhere, is what binds them).
Result<PckExtensions> ParsePckExtensions(ByteView ext_value);

// Finds the SGX extension in `pck_leaf` and parses it. NotFound when the extension is absent.
Result<PckExtensions> PckExtensionsFromCertificate(const crypto::Certificate& pck_leaf);

// Which intermediate issued a PCK certificate. It selects the PCK CRL endpoint ("platform" or
// "processor") and must match the CRL that revocation is checked against.
enum class PckCaKind { kPlatform, kProcessor };

// "platform" / "processor", as in verify.h's `pck_ca` and the PCS `ca` query parameter.
const char* PckCaKindName(PckCaKind kind);

// Reads the issuer CN of a PCK leaf: "Intel SGX PCK Platform CA" or "Intel SGX PCK Processor
// CA". Any other issuer is an error. This only classifies; the chain is verified elsewhere.
Result<PckCaKind> PckCaKindFromIssuer(const crypto::Certificate& pck_leaf);

}  // namespace teecloud::attest::dcap
