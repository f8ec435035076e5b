// The simulated TDX platform: the fixed TCB that sim quotes carry, and the signed documents and
// PCK extension that describe it to a verifier.
//
// The values mirror a real Sapphire Rapids platform with TDX module 1.x (tdx/t1-dcapqvl-v4 in
// ../shared/vectors): TEE_TCB_SVN 06 01 03 (module SVN 6, module major version 1 → module
// identity "TDX_01", late microcode 3), SGX components 3 3 2 2 4 1 0 5, PCESVN 11. Identities
// that would name Intel software (MRSEAM, the QE's MRENCLAVE/MRSIGNER) are SHA-2 digests of
// "teecloud-sim-..." strings instead, so nothing here can be mistaken for Intel's.
//
// The TCB info rates exactly this platform UpToDate (its first level) and carries a second,
// OutOfDate level below it, as Intel's documents do. Everything here is pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "attest/dcap/quote.h"
#include "base/bytes.h"
#include "base/clock.h"

namespace teecloud::tee {

struct SimPlatform {
  // TD quote body fields the TDX module fills in.
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::array<uint8_t, 48> mr_seam{};
  std::array<uint8_t, 48> mr_signer_seam{};  // zero: Intel-signed modules report zero
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};  // SEPT_VE_DISABLE (bit 28) set, DEBUG (bit 0) clear
  std::array<uint8_t, 8> xfam{};           // x87, SSE, AVX, AVX-512 state, PK, AMX
  // The PCK certificate's TCB.
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> cpu_svn{};
  std::array<uint8_t, 2> pce_id{};
  // The TD quoting enclave.
  std::array<uint8_t, 32> qe_mr_enclave{};
  std::array<uint8_t, 32> qe_mr_signer{};
  uint16_t qe_isv_prod_id = 0;  // 2 = TD_QE
  uint16_t qe_isv_svn = 0;
  std::array<uint8_t, 16> qe_attributes{};
  uint32_t qe_misc_select = 0;
  std::array<uint8_t, 32> qe_auth_data{};  // bytes 0..31, as Intel's QE emits
};

const SimPlatform& DefaultSimPlatform();

// The QE report before its REPORTDATA is filled in (MakeQeCertification does that).
attest::dcap::SgxReportBody SimQeReport(const SimPlatform& p);

// A TD quote body with the platform's fields and the given TD measurements.
attest::dcap::TdxReportBody SimTdReportBody(const SimPlatform& p,
                                            const std::array<uint8_t, 48>& mrtd,
                                            const std::array<std::array<uint8_t, 48>, 4>& rtmr,
                                            const std::array<uint8_t, 64>& report_data);

// The signed `tcbInfo` object text (PCS TCB Info V3, id "TDX"): compact JSON, members in
// Intel's order, FMSPC upper-case hex. Every tcbDate is the issue date's midnight (UTC).
std::string SimTcbInfoJson(const SimPlatform& p, ByteView fmspc, UnixTime issue_date,
                           UnixTime next_update);

// The signed `enclaveIdentity` object text (PCS Enclave Identity V2, id "TD_QE").
std::string SimQeIdentityJson(const SimPlatform& p, UnixTime issue_date, UnixTime next_update);

// The DER value of the Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate
// issued by a Platform CA: PPID, TCB (16 components, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX Type
// (Scalable), PlatformInstanceID and Configuration (all three flags true), in Intel's order.
// `ppid` and `platform_instance_id` are 16 bytes each, `fmspc` 6.
Bytes SimPckSgxExtension(const SimPlatform& p, ByteView fmspc, ByteView ppid,
                         ByteView platform_instance_id);

}  // namespace teecloud::tee
