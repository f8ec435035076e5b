// Intel DCAP quotes: v3 (SGX), v4 (SGX, TDX 1.0), v5 (SGX, TDX 1.0, TDX 1.5).
//
// ParseQuote is a pure, bounds-checked function over bytes. References:
//  - Intel SGX ECDSA Quote Library API (DCAP), Appendix A "ECDSA quote format" (v3)
//  - Intel TDX DCAP Quoting Library API, §A.3 "Version 4 quote format", §A.4 "Version 5"
// It checks structure only (lengths, versions, types); signatures are checked by verify.h.
// Bytes after the declared signature data are accepted and counted (real quotes carry zero
// padding or unrelated text there).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::attest::dcap {

inline constexpr uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr uint32_t kTeeTypeTdx = 0x00000081;
inline constexpr uint16_t kAttestationKeyTypeEcdsaP256 = 2;
inline constexpr size_t kHeaderSize = 48;
inline constexpr size_t kSgxReportBodySize = 384;
inline constexpr size_t kTdx10ReportBodySize = 584;
inline constexpr size_t kTdx15ReportBodySize = 648;
// v5 body descriptor types.
inline constexpr uint16_t kBodyTypeSgx = 1;
inline constexpr uint16_t kBodyTypeTdx10 = 2;
inline constexpr uint16_t kBodyTypeTdx15 = 3;
// [SGX]/[TDX] QE Certification Data types (shared with quote_writer.h).
inline constexpr uint16_t kCertDataTypePckChain = 5;  // concatenated PEM PCK chain (leaf first)
inline constexpr uint16_t kCertDataTypeQeReport = 6;  // v4/v5 wrapper around QE report + type 5
// Intel's QE vendor id 939a7233-f79c-4ca9-940a-0db3957f0607.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

struct QuoteHeader {
  uint16_t version = 0;
  uint16_t attestation_key_type = 0;
  uint32_t tee_type = 0;  // v3: reserved, must be 0 (SGX)
  uint16_t qe_svn = 0;    // v3 only; reserved in v4/v5
  uint16_t pce_svn = 0;   // v3 only; reserved in v4/v5
  std::array<uint8_t, 16> qe_vendor_id{};
  std::array<uint8_t, 20> user_data{};
};

// SGX REPORT_BODY (also the QE report inside every quote's certification data).
struct SgxReportBody {
  std::array<uint8_t, 16> cpu_svn{};
  uint32_t misc_select = 0;
  std::array<uint8_t, 16> isv_ext_prod_id{};
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  std::array<uint8_t, 64> config_id{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint16_t config_svn = 0;
  std::array<uint8_t, 16> isv_family_id{};
  std::array<uint8_t, 64> report_data{};
};

// TD report body: TDX 1.0 (584 bytes) or TDX 1.5 (648 bytes, adds the last two fields).
struct TdxReportBody {
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::array<uint8_t, 48> mr_seam{};
  std::array<uint8_t, 48> mr_signer_seam{};
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  std::array<uint8_t, 48> mr_td{};
  std::array<uint8_t, 48> mr_config_id{};
  std::array<uint8_t, 48> mr_owner{};
  std::array<uint8_t, 48> mr_owner_config{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  std::array<uint8_t, 64> report_data{};
  // TDX 1.5 only.
  std::optional<std::array<uint8_t, 16>> tee_tcb_svn2;
  std::optional<std::array<uint8_t, 48>> mr_service_td;
};

struct Quote {
  QuoteHeader header;
  // v5 body type, or the type implied by a v3/v4 header (1 = SGX, 2 = TDX 1.0).
  uint16_t body_type = 0;
  std::optional<SgxReportBody> sgx_body;  // set when body_type == 1
  std::optional<TdxReportBody> tdx_body;  // set when body_type == 2 or 3

  // Bytes covered by the quote signature: header (+ v5 descriptor) + body.
  Bytes signed_region;
  std::array<uint8_t, 64> signature{};        // ECDSA P-256 r||s
  std::array<uint8_t, 64> attestation_key{};  // P-256 x||y
  uint32_t auth_data_size = 0;                // the declared signature-data length

  // QE report certification data (v3: inline; v4/v5: certification data type 6).
  Bytes qe_report_raw;  // 384 bytes, signed by the PCK key
  SgxReportBody qe_report;
  std::array<uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  // Inner certification data: type 5 = PCK certificate chain (PEM text, possibly
  // NUL-terminated; kept verbatim).
  uint16_t cert_data_type = 0;
  Bytes cert_data;

  size_t trailing_bytes = 0;  // bytes after the signature data

  bool is_tdx() const { return tdx_body.has_value(); }
  const std::array<uint8_t, 64>& report_data() const;
};

Result<Quote> ParseQuote(ByteView data);

// Lower-case full-length hex measurements with the keys of shared/vectors/README.md.
// TDX: mrtd, rtmr0..rtmr3, report_data, mrconfigid, mrowner, mrownerconfig, mrseam,
// mrsignerseam, seam_attributes, td_attributes, xfam, tee_tcb_svn (+ tee_tcb_svn2,
// mrservicetd for TDX 1.5). SGX: mrenclave, mrsigner, report_data, isv_prod_id, isv_svn
// (2 raw little-endian bytes as hex), attributes, misc_select, cpu_svn, config_svn.
Json QuoteMeasurements(const Quote& quote);
// Every decoded field, for `teecloud quote show`.
OrderedJson QuoteToJson(const Quote& quote);
// "tdx" or "sgx".
const char* QuotePlatform(const Quote& quote);

}  // namespace teecloud::attest::dcap
