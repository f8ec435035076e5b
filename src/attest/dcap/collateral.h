// DCAP collateral: the dcap-qvl QuoteCollateralV3 JSON container (see
// ../shared/vectors/README.md) and the signed Intel PCS documents inside it.
//
// Reference: Intel SGX/TDX PCS API v4, "TCB Info V3" and "Enclave Identity V2" data models.
// The signed documents are kept as the exact raw text that was signed; the typed views are
// parsed from that text. Unknown JSON members are ignored in the signed documents (Intel
// adds fields over time and the signature, not the schema, is what binds them).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"

namespace teecloud::attest::dcap {

enum class TcbStatus {
  kUpToDate,
  kSWHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSWHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
  kTcbLevelNotFound,
};
// PCS spellings ("UpToDate", "OutOfDateConfigurationNeeded", ...); kTcbLevelNotFound is
// "TcbLevelNotFound", our name for a TCB below every level (never issued by PCS).
const char* TcbStatusName(TcbStatus s);
// Inverse of TcbStatusName (accepts all eight names, case-sensitive). The document parsers
// below reject "TcbLevelNotFound" inside signed PCS documents.
Result<TcbStatus> ParseTcbStatus(std::string_view s);

struct Collateral {
  std::string pck_crl_issuer_chain;  // PEM
  Bytes root_ca_crl;                 // DER
  Bytes pck_crl;                     // DER
  std::string tcb_info_issuer_chain;  // PEM
  std::string tcb_info;               // exact signed JSON text of the tcbInfo object
  Bytes tcb_info_signature;           // 64-byte r||s
  std::string qe_identity_issuer_chain;  // PEM
  std::string qe_identity;               // exact signed JSON text of the enclaveIdentity object
  Bytes qe_identity_signature;           // 64-byte r||s
};

// Parses the container. Fails on missing fields, non-string fields, bad hex, and unknown
// top-level members (a verifier must know what every field means).
Result<Collateral> ParseCollateral(std::string_view json);

struct TcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
  std::optional<std::array<uint8_t, 16>> tdx_components;  // TDX TCB info only
  UnixTime tcb_date = 0;
  TcbStatus status = TcbStatus::kOutOfDate;
  std::vector<std::string> advisory_ids;
};

// A TCB level of a TDX module or enclave identity: matched by ISV SVN.
struct SvnTcbLevel {
  uint16_t isv_svn = 0;
  UnixTime tcb_date = 0;
  TcbStatus status = TcbStatus::kOutOfDate;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_01", "TDX_03", ...
  Bytes mr_signer;  // 48 bytes
  Bytes attributes;       // 8 bytes
  Bytes attributes_mask;  // 8 bytes
  std::vector<SvnTcbLevel> tcb_levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX" (v3); empty for v2 (SGX)
  int version = 0;
  UnixTime issue_date = 0;
  UnixTime next_update = 0;
  Bytes fmspc;   // 6 bytes
  Bytes pce_id;  // 2 bytes
  int tcb_type = 0;
  int64_t tcb_evaluation_data_number = 0;
  // TDX: the base module identity (tdxModule) and per-version identities.
  std::optional<TdxModuleIdentity> tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;  // sorted descending as issued
};

struct EnclaveIdentity {
  std::string id;  // "QE", "TD_QE", "QVE"
  int version = 0;
  UnixTime issue_date = 0;
  UnixTime next_update = 0;
  int64_t tcb_evaluation_data_number = 0;
  uint32_t misc_select = 0;
  uint32_t misc_select_mask = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 16> attributes_mask{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  std::vector<SvnTcbLevel> tcb_levels;
};

Result<TcbInfo> ParseTcbInfo(std::string_view signed_json);
Result<EnclaveIdentity> ParseEnclaveIdentity(std::string_view signed_json);

}  // namespace teecloud::attest::dcap
