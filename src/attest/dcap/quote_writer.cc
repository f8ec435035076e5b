#include "attest/dcap/quote_writer.h"

#include <limits>

#include "crypto/hash.h"

namespace teecloud::attest::dcap {

QuoteHeader TdxV4QuoteHeader() {
  QuoteHeader h;
  h.version = 4;
  h.attestation_key_type = kAttestationKeyTypeEcdsaP256;
  h.tee_type = kTeeTypeTdx;
  h.qe_vendor_id = kIntelQeVendorId;
  return h;
}

// [TDX] A.3 Quote Header: u16 version, u16 attestation key type, u32 TEE type, 2 x u16
// reserved, QE vendor id (16), user data (20).
Bytes SerializeQuoteHeader(const QuoteHeader& h) {
  ByteWriter w;
  w.U16Le(h.version);
  w.U16Le(h.attestation_key_type);
  w.U32Le(h.tee_type);
  w.U16Le(h.qe_svn);
  w.U16Le(h.pce_svn);
  w.Append(h.qe_vendor_id);
  w.Append(h.user_data);
  TEECLOUD_CHECK(w.bytes().size() == kHeaderSize);
  return w.Take();
}

// Offsets as in quote.cc ParseSgxReportBody.
Bytes SerializeSgxReportBody(const SgxReportBody& b) {
  ByteWriter w;
  w.Append(b.cpu_svn);          // 0
  w.U32Le(b.misc_select);       // 16
  w.Zeros(12);                  // 20 reserved1
  w.Append(b.isv_ext_prod_id);  // 32
  w.Append(b.attributes);       // 48
  w.Append(b.mr_enclave);       // 64
  w.Zeros(32);                  // 96 reserved2
  w.Append(b.mr_signer);        // 128
  w.Zeros(32);                  // 160 reserved3
  w.Append(b.config_id);        // 192
  w.U16Le(b.isv_prod_id);       // 256
  w.U16Le(b.isv_svn);           // 258
  w.U16Le(b.config_svn);        // 260
  w.Zeros(42);                  // 262 reserved4
  w.Append(b.isv_family_id);    // 304
  w.Append(b.report_data);      // 320
  TEECLOUD_CHECK(w.bytes().size() == kSgxReportBodySize);
  return w.Take();
}

Bytes SerializeTdxReportBody(const TdxReportBody& b) {
  ByteWriter w;
  w.Append(b.tee_tcb_svn);
  w.Append(b.mr_seam);
  w.Append(b.mr_signer_seam);
  w.Append(b.seam_attributes);
  w.Append(b.td_attributes);
  w.Append(b.xfam);
  w.Append(b.mr_td);
  w.Append(b.mr_config_id);
  w.Append(b.mr_owner);
  w.Append(b.mr_owner_config);
  for (const auto& r : b.rtmr) w.Append(r);
  w.Append(b.report_data);
  if (b.tee_tcb_svn2 && b.mr_service_td) {
    w.Append(*b.tee_tcb_svn2);
    w.Append(*b.mr_service_td);
  }
  return w.Take();
}

Result<QeCertification> MakeQeCertification(SgxReportBody qe_report,
                                            const crypto::EcPublicKey& attestation_key,
                                            ByteView qe_auth_data,
                                            const crypto::EcPrivateKey& pck_key,
                                            std::string pck_chain_pem) {
  if (attestation_key.curve() != crypto::Curve::kP256 || pck_key.curve() != crypto::Curve::kP256) {
    return InvalidArgument("QE certification: attestation and PCK keys must be P-256");
  }
  if (qe_auth_data.size() > std::numeric_limits<uint16_t>::max()) {
    return InvalidArgument("QE certification: QE authentication data longer than 65535 bytes");
  }
  const Bytes pub = attestation_key.RawPoint();
  const crypto::Digest256 binding = crypto::Sha256(Concat({pub, qe_auth_data}));
  qe_report.report_data.fill(0);
  std::copy(binding.begin(), binding.end(), qe_report.report_data.begin());
  QeCertification qe;
  qe.qe_report = SerializeSgxReportBody(qe_report);
  ASSIGN_OR_RETURN(qe.qe_report_signature, pck_key.SignRaw(qe.qe_report, crypto::HashAlg::kSha256));
  qe.qe_auth_data = ToBytes(qe_auth_data);
  qe.pck_chain_pem = std::move(pck_chain_pem);
  return qe;
}

Result<Bytes> BuildTdxV4Quote(const TdxReportBody& body, const QeCertification& qe,
                              const crypto::EcPrivateKey& attestation_key) {
  if (body.tee_tcb_svn2 || body.mr_service_td) {
    return InvalidArgument("TDX v4 quote: TDX 1.5 body fields need a v5 quote");
  }
  if (qe.qe_report.size() != kSgxReportBodySize || qe.qe_report_signature.size() != 64) {
    return InvalidArgument("TDX v4 quote: QE report must be 384 bytes and its signature 64");
  }
  if (qe.qe_auth_data.size() > std::numeric_limits<uint16_t>::max()) {
    return InvalidArgument("TDX v4 quote: QE authentication data longer than 65535 bytes");
  }
  if (attestation_key.curve() != crypto::Curve::kP256) {
    return InvalidArgument("TDX v4 quote: the attestation key must be P-256");
  }
  Bytes signed_region =
      Concat({SerializeQuoteHeader(TdxV4QuoteHeader()), SerializeTdxReportBody(body)});
  ASSIGN_OR_RETURN(Bytes signature,
                   attestation_key.SignRaw(signed_region, crypto::HashAlg::kSha256));
  const Bytes pub = attestation_key.PublicKey().RawPoint();

  // [TDX] A.3 QE Report Certification Data (the contents of certification data type 6).
  ByteWriter qe_cert;
  qe_cert.Append(qe.qe_report);
  qe_cert.Append(qe.qe_report_signature);
  qe_cert.U16Le(static_cast<uint16_t>(qe.qe_auth_data.size()));
  qe_cert.Append(qe.qe_auth_data);
  qe_cert.U16Le(kCertDataTypePckChain);
  qe_cert.U32Le(static_cast<uint32_t>(qe.pck_chain_pem.size()));
  qe_cert.Append(AsBytes(qe.pck_chain_pem));

  // [TDX] A.3 ECDSA Quote Signature Data: signature, attestation key, certification data.
  ByteWriter auth;
  auth.Append(signature);
  auth.Append(pub);
  auth.U16Le(kCertDataTypeQeReport);
  auth.U32Le(static_cast<uint32_t>(qe_cert.bytes().size()));
  auth.Append(qe_cert.bytes());

  ByteWriter quote;
  quote.Append(signed_region);
  quote.U32Le(static_cast<uint32_t>(auth.bytes().size()));
  quote.Append(auth.bytes());
  return quote.Take();
}

}  // namespace teecloud::attest::dcap
