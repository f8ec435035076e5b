// Assembling Intel TDX v4 quotes from their parts: the inverse of ParseQuote (quote.h).
//
// Reference: Intel TDX DCAP Quoting Library API, §A.3 "Version 4 Quote Format" (quote header,
// TD Quote Body, ECDSA Quote Signature Data, Certification Data type 6 "QE Report Certification
// Data" wrapping the QE report, its signature, QE authentication data and certification data
// type 5 "PCK certificate chain"); SGX REPORT_BODY layout as in the SGX DCAP API, Appendix A.
// Used by tee's SimAttester; the field layout mirrors quote.cc byte for byte, and
// quote_writer_test.cc checks that ParseQuote reads back exactly what was written (and that a
// real Intel quote, vector t1, reserializes to its own bytes).
//
// Pure functions apart from the ECDSA signatures (random nonces).
#pragma once

#include <string>

#include "attest/dcap/quote.h"
#include "base/bytes.h"
#include "base/error.h"
#include "crypto/ec.h"

namespace teecloud::attest::dcap {

// The 48-byte quote header of a TDX v4 quote from an Intel QE: version 4, attestation key type 2
// (ECDSA-256 with P-256), TEE type 0x81 (TDX), reserved fields zero, Intel's QE vendor id.
QuoteHeader TdxV4QuoteHeader();

Bytes SerializeQuoteHeader(const QuoteHeader& header);
// SGX REPORT_BODY: 384 bytes, reserved ranges zero.
Bytes SerializeSgxReportBody(const SgxReportBody& body);
// TD Quote Body: 584 bytes (TDX 1.0), or 648 (TDX 1.5) when tee_tcb_svn2 and mr_service_td are
// both set.
Bytes SerializeTdxReportBody(const TdxReportBody& body);

// What the quoting enclave contributes to every quote it signs: its report (signed by the PCK
// key, binding the attestation key) and the PCK certificate chain.
struct QeCertification {
  Bytes qe_report;            // serialized SGX REPORT_BODY, 384 bytes
  Bytes qe_report_signature;  // 64-byte r||s, ECDSA P-256/SHA-256 by the PCK leaf key
  Bytes qe_auth_data;         // at most 65535 bytes
  std::string pck_chain_pem;  // leaf, PCK CA, root
};

// Signs `qe_report` as the QE would: REPORTDATA = SHA-256(attestation public key x||y ||
// qe_auth_data) || 32 zero bytes; the PCK key signs the serialized report.
Result<QeCertification> MakeQeCertification(SgxReportBody qe_report,
                                            const crypto::EcPublicKey& attestation_key,
                                            ByteView qe_auth_data,
                                            const crypto::EcPrivateKey& pck_key,
                                            std::string pck_chain_pem);

// A complete TDX v4 quote: header || body, signed by `attestation_key` (P-256, SHA-256), then
// the signature data (signature, attestation key, certification data type 6).
Result<Bytes> BuildTdxV4Quote(const TdxReportBody& body, const QeCertification& qe,
                              const crypto::EcPrivateKey& attestation_key);

}  // namespace teecloud::attest::dcap
