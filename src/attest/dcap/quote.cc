// Intel DCAP quote parser. Structure only: signatures, chains and TCB are checked by verify.cc.
//
// Layout references (cited per rule below):
//  [SGX]  Intel SGX ECDSA QuoteLibReference DCAP API, Appendix A "ECDSA Quote Format" (v3):
//         A.4 Quote Header, Enclave Report Body, Quote Signature Data, ECDSA 256-bit Quote
//         Signature Data Structure, QE Authentication Data, QE Certification Data.
//  [TDX]  Intel TDX DCAP Quoting Library API, A.3 "Version 4 Quote Format" (header, TD Quote
//         Body, ECDSA Quote Signature Data, Certification Data, QE Report Certification Data,
//         QE Authentication Data) and A.4 "Version 5 Quote Format" (body descriptor, TD Quote
//         Body for TDX 1.5).
//
// Every read goes through ByteReader; every declared length is checked against what is left in
// its parent before it is trusted, so a hostile quote yields an Error, never an over-read.
#include "attest/dcap/quote.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

namespace teecloud::attest::dcap {
namespace {

// The signature data layout below relies on ECDSA P-256 sizes (attestation key type 2).
static_assert(sizeof(Quote::signature) == 64);        // r||s
static_assert(sizeof(Quote::attestation_key) == 64);  // x||y

std::string Num(uint64_t v) { return std::to_string(v); }

template <size_t N>
Status ReadArray(ByteReader& r, std::array<uint8_t, N>& out, std::string_view what) {
  ASSIGN_OR_RETURN(ByteView b, r.Take(N, what));
  std::copy(b.begin(), b.end(), out.begin());
  return OkStatus();
}

// Takes a field whose size was read from the quote itself. The explicit check gives a message
// that names the declared size (the usual attack/corruption signature) rather than a bare
// "needs N bytes".
Result<ByteView> TakeDeclared(ByteReader& r, uint64_t size, std::string_view what) {
  if (size > r.remaining()) {
    return OutOfRange(std::string(what) + ": size " + Num(size) + " exceeds remaining " +
                      Num(r.remaining()) + " bytes");
  }
  return r.Take(static_cast<size_t>(size), what);
}

// A declared container must be consumed exactly: slack inside it is unauthenticated and would
// mean the sizes disagree with each other.
Status ExpectConsumed(const ByteReader& r, std::string_view what) {
  if (!r.empty()) {
    return InvalidArgument(std::string(what) + ": " + Num(r.remaining()) +
                           " unparsed bytes at the end");
  }
  return OkStatus();
}

// [SGX] A.4 Quote Header / [TDX] A.3 Quote Header (48 bytes). In v3 bytes 4..8 are reserved
// (zero, which reads as tee_type SGX) and 8..12 carry QE SVN and PCE SVN; in v4/v5 4..8 is
// TEE_TYPE and 8..12 are reserved. Decoding both the same way keeps the raw values visible.
Status ParseHeader(ByteReader& r, QuoteHeader& h) {
  ASSIGN_OR_RETURN(h.version, r.U16Le("quote: header: version"));
  ASSIGN_OR_RETURN(h.attestation_key_type, r.U16Le("quote: header: attestation key type"));
  ASSIGN_OR_RETURN(h.tee_type, r.U32Le("quote: header: tee type"));
  ASSIGN_OR_RETURN(h.qe_svn, r.U16Le("quote: header: qe svn"));
  ASSIGN_OR_RETURN(h.pce_svn, r.U16Le("quote: header: pce svn"));
  RETURN_IF_ERROR(ReadArray(r, h.qe_vendor_id, "quote: header: qe vendor id"));
  RETURN_IF_ERROR(ReadArray(r, h.user_data, "quote: header: user data"));
  return OkStatus();
}

// [SGX] A.4 Enclave Report Body (SGX REPORT_BODY, 384 bytes); reserved ranges are skipped.
// Used for the application enclave's body and for the QE report.
Result<SgxReportBody> ParseSgxReportBody(ByteView data, std::string_view ctx) {
  const std::string c(ctx);
  ByteReader r(data);
  SgxReportBody b;
  RETURN_IF_ERROR(ReadArray(r, b.cpu_svn, c + ": cpu svn"));                  // 0
  ASSIGN_OR_RETURN(b.misc_select, r.U32Le(c + ": misc select"));              // 16
  RETURN_IF_ERROR(r.Skip(12, c + ": reserved1"));                             // 20
  RETURN_IF_ERROR(ReadArray(r, b.isv_ext_prod_id, c + ": isv ext prod id"));  // 32
  RETURN_IF_ERROR(ReadArray(r, b.attributes, c + ": attributes"));            // 48
  RETURN_IF_ERROR(ReadArray(r, b.mr_enclave, c + ": mrenclave"));             // 64
  RETURN_IF_ERROR(r.Skip(32, c + ": reserved2"));                             // 96
  RETURN_IF_ERROR(ReadArray(r, b.mr_signer, c + ": mrsigner"));               // 128
  RETURN_IF_ERROR(r.Skip(32, c + ": reserved3"));                             // 160
  RETURN_IF_ERROR(ReadArray(r, b.config_id, c + ": config id"));              // 192
  ASSIGN_OR_RETURN(b.isv_prod_id, r.U16Le(c + ": isv prod id"));              // 256
  ASSIGN_OR_RETURN(b.isv_svn, r.U16Le(c + ": isv svn"));                      // 258
  ASSIGN_OR_RETURN(b.config_svn, r.U16Le(c + ": config svn"));                // 260
  RETURN_IF_ERROR(r.Skip(42, c + ": reserved4"));                             // 262
  RETURN_IF_ERROR(ReadArray(r, b.isv_family_id, c + ": isv family id"));      // 304
  RETURN_IF_ERROR(ReadArray(r, b.report_data, c + ": report data"));          // 320
  RETURN_IF_ERROR(ExpectConsumed(r, c));                                      // 384
  return b;
}

// [TDX] A.3 TD Quote Body (TDX 1.0, 584 bytes); A.4 adds TEE_TCB_SVN_2 and MRSERVICETD for
// TDX 1.5 (648 bytes).
Result<TdxReportBody> ParseTdxReportBody(ByteView data, bool tdx15) {
  ByteReader r(data);
  TdxReportBody b;
  RETURN_IF_ERROR(ReadArray(r, b.tee_tcb_svn, "quote: td body: tee tcb svn"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_seam, "quote: td body: mrseam"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_signer_seam, "quote: td body: mrsignerseam"));
  RETURN_IF_ERROR(ReadArray(r, b.seam_attributes, "quote: td body: seam attributes"));
  RETURN_IF_ERROR(ReadArray(r, b.td_attributes, "quote: td body: td attributes"));
  RETURN_IF_ERROR(ReadArray(r, b.xfam, "quote: td body: xfam"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_td, "quote: td body: mrtd"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_config_id, "quote: td body: mrconfigid"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_owner, "quote: td body: mrowner"));
  RETURN_IF_ERROR(ReadArray(r, b.mr_owner_config, "quote: td body: mrownerconfig"));
  for (size_t i = 0; i < b.rtmr.size(); ++i) {
    RETURN_IF_ERROR(ReadArray(r, b.rtmr[i], "quote: td body: rtmr" + Num(i)));
  }
  RETURN_IF_ERROR(ReadArray(r, b.report_data, "quote: td body: report data"));
  if (tdx15) {
    std::array<uint8_t, 16> svn2{};
    std::array<uint8_t, 48> service_td{};
    RETURN_IF_ERROR(ReadArray(r, svn2, "quote: td body: tee tcb svn2"));
    RETURN_IF_ERROR(ReadArray(r, service_td, "quote: td body: mrservicetd"));
    b.tee_tcb_svn2 = svn2;
    b.mr_service_td = service_td;
  }
  RETURN_IF_ERROR(ExpectConsumed(r, "quote: td body"));
  return b;
}

// The QE report certification data: inline in v3 ([SGX] A.4 ECDSA 256-bit Quote Signature
// Data Structure, after the attestation key) and the content of certification data type 6 in
// v4/v5 ([TDX] A.3 QE Report Certification Data). Both are:
//   QE report (384) | QE report signature (64) | u16 QE auth data size | QE auth data |
//   u16 certification data type | u32 size | certification data.
Status ParseQeReportCertData(ByteReader& r, Quote& q, const std::string& ctx) {
  ASSIGN_OR_RETURN(ByteView qe_report, r.Take(kSgxReportBodySize, ctx + ": qe report"));
  q.qe_report_raw = ToBytes(qe_report);
  ASSIGN_OR_RETURN(q.qe_report, ParseSgxReportBody(qe_report, ctx + ": qe report"));
  RETURN_IF_ERROR(ReadArray(r, q.qe_report_signature, ctx + ": qe report signature"));

  // [SGX]/[TDX] QE Authentication Data: u16 size then data.
  ASSIGN_OR_RETURN(uint16_t auth_size, r.U16Le(ctx + ": qe auth data size"));
  ASSIGN_OR_RETURN(ByteView auth, TakeDeclared(r, auth_size, ctx + ": qe auth data"));
  q.qe_auth_data = ToBytes(auth);

  // [SGX]/[TDX] QE Certification Data: u16 type, u32 size, data. Type 5 (the PCK chain) is what
  // every DCAP QE emits; other types (1-4: PPID variants, 7: platform manifest) are kept raw so
  // that verify.cc can report "unsupported certification data type" with the value.
  ASSIGN_OR_RETURN(q.cert_data_type, r.U16Le(ctx + ": certification data type"));
  ASSIGN_OR_RETURN(uint32_t cert_size, r.U32Le(ctx + ": certification data size"));
  ASSIGN_OR_RETURN(ByteView cert, TakeDeclared(r, cert_size, ctx + ": certification data"));
  q.cert_data = ToBytes(cert);
  return OkStatus();
}

uint32_t ExpectedBodySize(uint16_t body_type) {
  switch (body_type) {
    case kBodyTypeSgx:
      return kSgxReportBodySize;
    case kBodyTypeTdx10:
      return kTdx10ReportBodySize;
    case kBodyTypeTdx15:
      return kTdx15ReportBodySize;
    default:
      return 0;
  }
}

std::string TeeTypeHex(uint32_t tee_type) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", tee_type);
  return buf;
}

// Decides the body type and size from the header (v3/v4) or the v5 body descriptor, and checks
// that the TEE type agrees with it.
Status ParseBodyLayout(ByteReader& r, Quote& q, uint32_t& body_size) {
  const QuoteHeader& h = q.header;
  if (h.tee_type != kTeeTypeSgx && h.tee_type != kTeeTypeTdx) {
    return InvalidArgument("quote: header: unknown tee type " + TeeTypeHex(h.tee_type));
  }
  const bool tee_is_tdx = h.tee_type == kTeeTypeTdx;
  if (h.version == 3) {
    // [SGX] A.4: v3 quotes are SGX only; bytes 4..8 are reserved and must be zero.
    if (tee_is_tdx) return InvalidArgument("quote: header: version 3 quote with tee type TDX");
    q.body_type = kBodyTypeSgx;
  } else if (h.version == 4) {
    // [TDX] A.3 Quote Header: TEE_TYPE 0x00 = SGX (384-byte enclave report body), 0x81 = TDX
    // (584-byte TD Quote Body).
    q.body_type = tee_is_tdx ? kBodyTypeTdx10 : kBodyTypeSgx;
  } else {
    // [TDX] A.4 Version 5: the header is followed by a body descriptor (u16 type, u32 size).
    // Intel QVL rejects a size that does not match the type, and so do we.
    ASSIGN_OR_RETURN(q.body_type, r.U16Le("quote: body descriptor: type"));
    ASSIGN_OR_RETURN(uint32_t declared, r.U32Le("quote: body descriptor: size"));
    const uint32_t expected = ExpectedBodySize(q.body_type);
    if (expected == 0) {
      return InvalidArgument("quote: body descriptor: unknown body type " + Num(q.body_type));
    }
    if (declared != expected) {
      return InvalidArgument("quote: body descriptor: size " + Num(declared) + " for body type " +
                             Num(q.body_type) + ", expected " + Num(expected));
    }
    if ((q.body_type != kBodyTypeSgx) != tee_is_tdx) {
      return InvalidArgument("quote: body descriptor: body type " + Num(q.body_type) +
                             " does not match tee type " + TeeTypeHex(h.tee_type));
    }
  }
  body_size = ExpectedBodySize(q.body_type);
  return OkStatus();
}

template <typename T>
std::string LeHex(T v) {
  std::array<uint8_t, sizeof(T)> b{};
  for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return ToHex(b);
}

OrderedJson SgxBodyJson(const SgxReportBody& b) {
  return OrderedJson{
      {"cpu_svn", ToHex(b.cpu_svn)},
      {"misc_select", b.misc_select},
      {"isv_ext_prod_id", ToHex(b.isv_ext_prod_id)},
      {"attributes", ToHex(b.attributes)},
      {"mrenclave", ToHex(b.mr_enclave)},
      {"mrsigner", ToHex(b.mr_signer)},
      {"config_id", ToHex(b.config_id)},
      {"isv_prod_id", b.isv_prod_id},
      {"isv_svn", b.isv_svn},
      {"config_svn", b.config_svn},
      {"isv_family_id", ToHex(b.isv_family_id)},
      {"report_data", ToHex(b.report_data)},
  };
}

OrderedJson TdxBodyJson(const TdxReportBody& b) {
  OrderedJson j{
      {"tee_tcb_svn", ToHex(b.tee_tcb_svn)},
      {"mrseam", ToHex(b.mr_seam)},
      {"mrsignerseam", ToHex(b.mr_signer_seam)},
      {"seam_attributes", ToHex(b.seam_attributes)},
      {"td_attributes", ToHex(b.td_attributes)},
      {"xfam", ToHex(b.xfam)},
      {"mrtd", ToHex(b.mr_td)},
      {"mrconfigid", ToHex(b.mr_config_id)},
      {"mrowner", ToHex(b.mr_owner)},
      {"mrownerconfig", ToHex(b.mr_owner_config)},
  };
  for (size_t i = 0; i < b.rtmr.size(); ++i) j["rtmr" + Num(i)] = ToHex(b.rtmr[i]);
  j["report_data"] = ToHex(b.report_data);
  if (b.tee_tcb_svn2) j["tee_tcb_svn2"] = ToHex(*b.tee_tcb_svn2);
  if (b.mr_service_td) j["mrservicetd"] = ToHex(*b.mr_service_td);
  return j;
}

}  // namespace

const std::array<uint8_t, 64>& Quote::report_data() const {
  if (tdx_body) return tdx_body->report_data;
  // A Quote from ParseQuote always has exactly one body; anything else is a caller bug.
  TEECLOUD_CHECK(sgx_body.has_value());
  return sgx_body->report_data;
}

Result<Quote> ParseQuote(ByteView data) {
  ByteReader r(data);
  Quote q;
  RETURN_IF_ERROR(ParseHeader(r, q.header));
  const uint16_t version = q.header.version;
  if (version < 3 || version > 5) {
    return InvalidArgument("quote: header: unsupported version " + Num(version) +
                           " (expected 3, 4 or 5)");
  }
  // [SGX] A.4 / [TDX] A.3: 2 = ECDSA-256-with-P-256 curve; 3 (ECDSA-384) is defined but never
  // produced by Intel's QE, and the signature data layout below assumes 64-byte P-256 values.
  if (q.header.attestation_key_type != kAttestationKeyTypeEcdsaP256) {
    return InvalidArgument("quote: header: attestation key type " +
                           Num(q.header.attestation_key_type) + " is not ECDSA-P256 (2)");
  }

  uint32_t body_size = 0;
  RETURN_IF_ERROR(ParseBodyLayout(r, q, body_size));
  ASSIGN_OR_RETURN(ByteView body, r.Take(body_size, "quote: report body"));
  // The quote signature covers the header, the v5 descriptor and the body ([TDX] A.3/A.4:
  // "Quote Header + TD Quote Body"; v5 includes the descriptor).
  q.signed_region = ToBytes(data.first(r.offset()));
  if (q.body_type == kBodyTypeSgx) {
    ASSIGN_OR_RETURN(q.sgx_body, ParseSgxReportBody(body, "quote: sgx body"));
  } else {
    ASSIGN_OR_RETURN(q.tdx_body, ParseTdxReportBody(body, q.body_type == kBodyTypeTdx15));
  }

  // [SGX] A.4 Quote Signature Data Len / [TDX] A.3 "Quote Signature Data Length": u32, followed
  // by that many bytes. Anything after them is not part of the quote (GCP hands out 8000-byte
  // buffers, dstack pads with zeros) and is only counted.
  ASSIGN_OR_RETURN(q.auth_data_size, r.U32Le("quote: signature data length"));
  ASSIGN_OR_RETURN(ByteView auth, TakeDeclared(r, q.auth_data_size, "quote: signature data"));
  q.trailing_bytes = r.remaining();

  // [SGX] ECDSA 256-bit Quote Signature Data Structure / [TDX] A.3 ECDSA Quote Signature Data.
  ByteReader a(auth);
  RETURN_IF_ERROR(ReadArray(a, q.signature, "quote: signature data: quote signature"));
  RETURN_IF_ERROR(ReadArray(a, q.attestation_key, "quote: signature data: attestation key"));

  if (version == 3) {
    RETURN_IF_ERROR(ParseQeReportCertData(a, q, "quote: signature data"));
  } else {
    // [TDX] A.3 Certification Data: in v4/v5 the QE report and the PCK chain are wrapped in a
    // certification data entry of type 6 (QE Report Certification Data).
    ASSIGN_OR_RETURN(uint16_t outer_type, a.U16Le("quote: certification data: type"));
    if (outer_type != kCertDataTypeQeReport) {
      return InvalidArgument("quote: certification data: type " + Num(outer_type) +
                             ", expected 6 (QE report certification data)");
    }
    ASSIGN_OR_RETURN(uint32_t outer_size, a.U32Le("quote: certification data: size"));
    ASSIGN_OR_RETURN(ByteView outer, TakeDeclared(a, outer_size, "quote: certification data"));
    ByteReader inner(outer);
    RETURN_IF_ERROR(ParseQeReportCertData(inner, q, "quote: QE report certification data"));
    RETURN_IF_ERROR(ExpectConsumed(inner, "quote: QE report certification data"));
  }
  RETURN_IF_ERROR(ExpectConsumed(a, "quote: signature data"));
  return q;
}

Json QuoteMeasurements(const Quote& quote) {
  Json m = Json::object();
  if (quote.tdx_body) {
    const TdxReportBody& b = *quote.tdx_body;
    m["mrtd"] = ToHex(b.mr_td);
    for (size_t i = 0; i < b.rtmr.size(); ++i) m["rtmr" + Num(i)] = ToHex(b.rtmr[i]);
    m["report_data"] = ToHex(b.report_data);
    m["mrconfigid"] = ToHex(b.mr_config_id);
    m["mrowner"] = ToHex(b.mr_owner);
    m["mrownerconfig"] = ToHex(b.mr_owner_config);
    m["mrseam"] = ToHex(b.mr_seam);
    m["mrsignerseam"] = ToHex(b.mr_signer_seam);
    m["seam_attributes"] = ToHex(b.seam_attributes);
    m["td_attributes"] = ToHex(b.td_attributes);
    m["xfam"] = ToHex(b.xfam);
    m["tee_tcb_svn"] = ToHex(b.tee_tcb_svn);
    if (b.tee_tcb_svn2) m["tee_tcb_svn2"] = ToHex(*b.tee_tcb_svn2);
    if (b.mr_service_td) m["mrservicetd"] = ToHex(*b.mr_service_td);
  } else if (quote.sgx_body) {
    const SgxReportBody& b = *quote.sgx_body;
    m["mrenclave"] = ToHex(b.mr_enclave);
    m["mrsigner"] = ToHex(b.mr_signer);
    m["report_data"] = ToHex(b.report_data);
    // Raw little-endian bytes as they appear in the report, like every other measurement, so
    // that policies compare hex strings uniformly.
    m["isv_prod_id"] = LeHex(b.isv_prod_id);
    m["isv_svn"] = LeHex(b.isv_svn);
    m["attributes"] = ToHex(b.attributes);
    m["misc_select"] = LeHex(b.misc_select);
    m["cpu_svn"] = ToHex(b.cpu_svn);
    m["config_svn"] = LeHex(b.config_svn);
  }
  return m;
}

OrderedJson QuoteToJson(const Quote& quote) {
  const QuoteHeader& h = quote.header;
  OrderedJson j;
  j["platform"] = QuotePlatform(quote);
  j["header"] = OrderedJson{
      {"version", h.version},
      {"attestation_key_type", h.attestation_key_type},
      {"tee_type", TeeTypeHex(h.tee_type)},
      {"qe_svn", h.qe_svn},
      {"pce_svn", h.pce_svn},
      {"qe_vendor_id", ToHex(h.qe_vendor_id)},
      {"user_data", ToHex(h.user_data)},
  };
  j["body_type"] = quote.body_type;
  if (quote.tdx_body) {
    j["body_size"] = quote.tdx_body->mr_service_td ? kTdx15ReportBodySize : kTdx10ReportBodySize;
    j["body"] = TdxBodyJson(*quote.tdx_body);
  } else if (quote.sgx_body) {
    j["body_size"] = kSgxReportBodySize;
    j["body"] = SgxBodyJson(*quote.sgx_body);
  }
  j["signed_region"] = OrderedJson::array({0, quote.signed_region.size()});
  j["auth_data_size"] = quote.auth_data_size;
  j["signature"] = ToHex(quote.signature);
  j["attestation_key"] = ToHex(quote.attestation_key);
  j["qe_report"] = SgxBodyJson(quote.qe_report);
  j["qe_report_signature"] = ToHex(quote.qe_report_signature);
  j["qe_auth_data"] = ToHex(quote.qe_auth_data);
  j["cert_data_type"] = quote.cert_data_type;
  j["cert_data_size"] = quote.cert_data.size();
  if (quote.cert_data_type == kCertDataTypePckChain) {
    // Some QEs NUL-terminate the chain; the terminator is not part of the PEM text.
    std::string_view pem = AsStringView(quote.cert_data);
    while (!pem.empty() && pem.back() == '\0') pem.remove_suffix(1);
    j["pck_cert_chain"] = std::string(pem);
  } else {
    j["cert_data"] = ToHex(quote.cert_data);
  }
  j["trailing_bytes"] = quote.trailing_bytes;
  return j;
}

const char* QuotePlatform(const Quote& quote) { return quote.is_tdx() ? "tdx" : "sgx"; }

}  // namespace teecloud::attest::dcap
