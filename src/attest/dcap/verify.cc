// DCAP quote verification following Intel's Quote Verification Library (QVL) semantics.
//
// The steps, in the order QVL's QuoteVerifier runs them (QuoteVerifier.cpp, TcbLevelCheck.cpp,
// TdxModuleCheck.cpp in SGX-TDX-DCAP-QuoteVerificationLibrary):
//  1. PCK certificate chain (from the quote) to a trusted root; PCK extensions decoded.
//  2. Collateral: TCB info and QE identity signed by the TCB signing certificate, whose chain
//     leads to the same trusted root; root CA CRL and PCK CRL signed by their issuers.
//  3. Revocation: intermediate CA against the root CRL, PCK leaf against the PCK CRL, whose
//     issuer must be the PCK leaf's issuer (Platform vs Processor CA).
//  4. TCB info matches the PCK certificate (FMSPC, PCE-ID) and the TEE type.
//  5. QE report signed by the PCK key; its report data binds the attestation key and the QE
//     authentication data; QE identity (MRSIGNER, ISVPRODID, masked MISCSELECT/ATTRIBUTES) and
//     the QE TCB level.
//  6. Quote signature by the attestation key over header + body.
//  7. TDX: module identity (TDX_%02X from TEE_TCB_SVN[1]) and module TCB level.
//  8. Platform TCB level: SGX components and PCESVN from the PCK certificate, TDX components
//     from TEE_TCB_SVN; statuses converged with module and QE statuses.
// Collateral validity is reported as data (collateral_expired), never fatal here.
#include "attest/dcap/verify.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "attest/dcap/pck_extensions.h"
#include "crypto/hash.h"

namespace teecloud::attest::dcap {

namespace {

using crypto::Certificate;
using crypto::Crl;

// A validity window of one collateral item.
struct Window {
  UnixTime not_before;
  UnixTime not_after;
};

// The intersection of windows: the item is in force only inside all of them.
Window Intersect(const std::vector<Window>& ws) {
  Window w{INT64_MIN, INT64_MAX};
  for (const auto& x : ws) {
    w.not_before = std::max(w.not_before, x.not_before);
    w.not_after = std::min(w.not_after, x.not_after);
  }
  return w;
}

void AddCertWindows(const std::vector<Certificate>& chain, std::vector<Window>& out) {
  for (const auto& c : chain) out.push_back({c.NotBefore(), c.NotAfter()});
}

// The PCK chain carried in the quote, verified to a trusted root.
struct VerifiedPck {
  std::vector<Certificate> chain;  // leaf, intermediate (PCK CA), root
  crypto::EcPublicKey leaf_key{nullptr};
  PckExtensions ext;
  PckCaKind ca_kind = PckCaKind::kPlatform;
  Window window{};
};

Result<VerifiedPck> VerifyPckChain(const Quote& q, const TrustSettings& trust) {
  if (q.cert_data_type != 5) {
    return InvalidArgument("quote: certification data type " + std::to_string(q.cert_data_type) +
                           " is not a PCK certificate chain (type 5)");
  }
  VerifiedPck v;
  ASSIGN_OR_RETURN(v.chain, crypto::ParsePemChain(AsStringView(q.cert_data)));
  if (v.chain.size() < 2) return InvalidArgument("PCK chain: needs at least leaf and issuer");
  if (auto s = crypto::VerifyChain(v.chain, trust.roots, {}); !s) {
    return tl::unexpected(s.error().WithContext("PCK chain"));
  }
  ASSIGN_OR_RETURN(v.leaf_key, v.chain[0].PublicKey());
  ASSIGN_OR_RETURN(v.ext, PckExtensionsFromCertificate(v.chain[0]));
  ASSIGN_OR_RETURN(v.ca_kind, PckCaKindFromIssuer(v.chain[0]));
  std::vector<Window> ws;
  AddCertWindows(v.chain, ws);
  v.window = Intersect(ws);
  return v;
}

// QE report signature (by the PCK key) and its binding of the attestation key:
// REPORTDATA[0..32] = SHA-256(attestation key || QE auth data), REPORTDATA[32..64] = 0.
Status VerifyQeReport(const Quote& q, const VerifiedPck& pck) {
  if (auto s = pck.leaf_key.VerifyRaw(q.qe_report_raw, q.qe_report_signature,
                                      crypto::HashAlg::kSha256);
      !s) {
    return Unauthenticated("QE report signature does not verify with the PCK key");
  }
  Bytes bound = Concat({q.attestation_key, q.qe_auth_data});
  auto digest = crypto::Sha256(bound);
  ByteView rd(q.qe_report.report_data);
  if (!BytesEqual(rd.first(32), crypto::View(digest)) || !IsAllZero(rd.subspan(32))) {
    return Unauthenticated(
        "QE report data does not bind the attestation key and QE authentication data");
  }
  return OkStatus();
}

// Collateral whose signatures and chains have been verified and whose documents are parsed.
struct VerifiedCollateral {
  TcbInfo tcb_info;
  EnclaveIdentity qe_identity;
  Crl root_crl{nullptr, {}};
  Crl pck_crl{nullptr, {}};
  std::vector<Certificate> pck_crl_chain;
  Window window{};
  UnixTime oldest_issue_date = 0;
};

Status VerifySignedChain(const std::string& pem, const TrustSettings& trust, const char* what,
                         std::vector<Certificate>& out) {
  auto chain = crypto::ParsePemChain(pem);
  if (!chain) return tl::unexpected(chain.error().WithContext(what));
  if (auto s = crypto::VerifyChain(*chain, trust.roots, {}); !s) {
    return tl::unexpected(s.error().WithContext(what));
  }
  out = std::move(*chain);
  return OkStatus();
}

Result<VerifiedCollateral> VerifyCollateral(const Collateral& c, const TrustSettings& trust) {
  VerifiedCollateral v;
  std::vector<Window> ws;

  std::vector<Certificate> tcb_chain, qe_chain;
  RETURN_IF_ERROR(VerifySignedChain(c.tcb_info_issuer_chain, trust, "TCB info issuer chain",
                                    tcb_chain));
  // Intel signs both documents with the same TCB signing chain: verify it once.
  if (c.qe_identity_issuer_chain == c.tcb_info_issuer_chain) {
    qe_chain = tcb_chain;
  } else {
    RETURN_IF_ERROR(VerifySignedChain(c.qe_identity_issuer_chain, trust,
                                      "QE identity issuer chain", qe_chain));
  }
  RETURN_IF_ERROR(VerifySignedChain(c.pck_crl_issuer_chain, trust, "PCK CRL issuer chain",
                                    v.pck_crl_chain));
  AddCertWindows(tcb_chain, ws);
  AddCertWindows(qe_chain, ws);
  AddCertWindows(v.pck_crl_chain, ws);

  // Signed documents: ECDSA P-256 over the exact bytes as issued (never re-serialized).
  ASSIGN_OR_RETURN(auto tcb_key, tcb_chain[0].PublicKey());
  if (!tcb_key.VerifyRaw(AsBytes(c.tcb_info), c.tcb_info_signature, crypto::HashAlg::kSha256)) {
    return Unauthenticated("TCB info signature does not verify with the TCB signing key");
  }
  ASSIGN_OR_RETURN(auto qe_key, qe_chain[0].PublicKey());
  if (!qe_key.VerifyRaw(AsBytes(c.qe_identity), c.qe_identity_signature,
                        crypto::HashAlg::kSha256)) {
    return Unauthenticated("QE identity signature does not verify with the TCB signing key");
  }
  ASSIGN_OR_RETURN(v.tcb_info, ParseTcbInfo(c.tcb_info));
  ASSIGN_OR_RETURN(v.qe_identity, ParseEnclaveIdentity(c.qe_identity));
  ws.push_back({v.tcb_info.issue_date, v.tcb_info.next_update});
  ws.push_back({v.qe_identity.issue_date, v.qe_identity.next_update});
  v.oldest_issue_date = std::min(v.tcb_info.issue_date, v.qe_identity.issue_date);

  // CRLs: the root CRL is issued by the trusted root (the last certificate of any chain
  // above), the PCK CRL by the first certificate of its issuer chain.
  ASSIGN_OR_RETURN(v.root_crl, Crl::FromDer(c.root_ca_crl));
  const Certificate& root = tcb_chain.back();
  // Crl::VerifySignedBy also requires the CRL's issuer name to be the signer's subject.
  if (!v.root_crl.VerifySignedBy(root)) {
    return Unauthenticated("root CA CRL is not signed by the trusted root");
  }
  ASSIGN_OR_RETURN(v.pck_crl, Crl::FromDer(c.pck_crl));
  if (!v.pck_crl.VerifySignedBy(v.pck_crl_chain[0])) {
    return Unauthenticated("PCK CRL is not signed by the first certificate of its issuer chain");
  }
  for (const Crl* crl : {&v.root_crl, &v.pck_crl}) {
    auto next = crl->NextUpdate();
    ws.push_back({crl->ThisUpdate(), next ? *next : INT64_MAX});
  }
  // Intermediate certificates of the collateral chains must not be revoked by the root CRL.
  for (const auto* chain : {&tcb_chain, &qe_chain, &v.pck_crl_chain}) {
    for (size_t i = 0; i + 1 < chain->size(); ++i) {
      if (v.root_crl.IsRevoked((*chain)[i].SerialNumber())) {
        return PermissionDenied("collateral signing certificate " + (*chain)[i].SubjectName() +
                                " is revoked by the root CA CRL");
      }
    }
  }
  v.window = Intersect(ws);
  return v;
}

// Step 3: the PCK CRL must be issued by the PCK leaf's issuer (Platform vs Processor CA) and
// verify with the quote's intermediate; no certificate of the PCK chain may be revoked.
Status CheckRevocation(const VerifiedCollateral& col, const VerifiedPck& pck) {
  const Certificate& pck_ca = pck.chain[1];
  // The CRL's signature was verified with its issuer chain's first certificate; when that is
  // byte-identical to the quote's PCK CA, the check need not run again.
  const bool same_issuer = col.pck_crl_chain[0].der() == pck_ca.der();
  if (!BytesEqual(col.pck_crl.IssuerNameDer(), pck.chain[0].IssuerNameDer()) ||
      (!same_issuer && !col.pck_crl.VerifySignedBy(pck_ca))) {
    return PermissionDenied("PCK CRL issuer (" + col.pck_crl.IssuerName() +
                            ") is not the PCK certificate's issuer (" +
                            pck.chain[0].IssuerName() + ")");
  }
  for (size_t i = 1; i + 1 < pck.chain.size(); ++i) {
    if (col.root_crl.IsRevoked(pck.chain[i].SerialNumber())) {
      return PermissionDenied("PCK CA certificate is revoked by the root CA CRL");
    }
  }
  if (col.pck_crl.IsRevoked(pck.chain[0].SerialNumber())) {
    return PermissionDenied("PCK certificate is revoked by the PCK CRL");
  }
  return OkStatus();
}

std::string CollateralKey(const Collateral& c) {
  std::string k;
  auto add = [&k](std::string_view s) {
    k += std::to_string(s.size());
    k += ':';
    k += s;
  };
  add(c.pck_crl_issuer_chain);
  add(AsStringView(c.root_ca_crl));
  add(AsStringView(c.pck_crl));
  add(c.tcb_info_issuer_chain);
  add(c.tcb_info);
  add(AsStringView(c.tcb_info_signature));
  add(c.qe_identity_issuer_chain);
  add(c.qe_identity);
  add(AsStringView(c.qe_identity_signature));
  return k;
}

// QE identity check (QVL EnclaveIdentityV2 / QE report check). Returns the QE TCB level.
Result<const SvnTcbLevel*> CheckQeIdentity(const SgxReportBody& qe, const EnclaveIdentity& id) {
  if ((qe.misc_select & id.misc_select_mask) != id.misc_select) {
    return PermissionDenied("QE identity mismatch: MISCSELECT");
  }
  for (size_t i = 0; i < 16; ++i) {
    if ((qe.attributes[i] & id.attributes_mask[i]) != id.attributes[i]) {
      return PermissionDenied("QE identity mismatch: ATTRIBUTES");
    }
  }
  if (qe.mr_signer != id.mr_signer) return PermissionDenied("QE identity mismatch: MRSIGNER");
  if (qe.isv_prod_id != id.isv_prod_id) {
    return PermissionDenied("QE identity mismatch: ISVPRODID " + std::to_string(qe.isv_prod_id));
  }
  for (const auto& level : id.tcb_levels) {
    if (qe.isv_svn >= level.isv_svn) return &level;
  }
  return PermissionDenied("QE ISVSVN " + std::to_string(qe.isv_svn) +
                          " is below every QE identity TCB level");
}

// TDX module check (TdxModuleCheck.cpp). Returns the module TCB level, or nullptr when
// TEE_TCB_SVN[1] == 0 (TDX 1.0 module judged by the platform level alone).
Result<const SvnTcbLevel*> CheckTdxModule(const TdxReportBody& td, const TcbInfo& info,
                                          std::string& module_id) {
  const uint8_t major = td.tee_tcb_svn[1];
  const uint8_t minor_svn = td.tee_tcb_svn[0];
  const TdxModuleIdentity* identity = nullptr;
  if (major == 0) {
    if (!info.tdx_module) return PermissionDenied("TCB info has no tdxModule for a TDX quote");
    identity = &*info.tdx_module;
  } else {
    char id[16];
    std::snprintf(id, sizeof(id), "TDX_%02X", major);
    module_id = id;
    for (const auto& m : info.tdx_module_identities) {
      if (m.id == module_id) identity = &m;
    }
    if (!identity) {
      return PermissionDenied("TDX module " + module_id +
                              " has no identity in the TCB info (QVL TDX_MODULE_MISMATCH)");
    }
  }
  if (!BytesEqual(identity->mr_signer, td.mr_signer_seam)) {
    return PermissionDenied("TDX module identity mismatch: MRSIGNERSEAM");
  }
  if (identity->attributes.size() != 8 || identity->attributes_mask.size() != 8) {
    return InvalidArgument("TCB info: TDX module attributes must be 8 bytes");
  }
  for (size_t i = 0; i < 8; ++i) {
    if ((td.seam_attributes[i] & identity->attributes_mask[i]) != identity->attributes[i]) {
      return PermissionDenied("TDX module identity mismatch: SEAM_ATTRIBUTES");
    }
  }
  if (major == 0) return nullptr;
  for (const auto& level : identity->tcb_levels) {
    if (minor_svn >= level.isv_svn) return &level;
  }
  return PermissionDenied("TDX module " + module_id + " SVN " + std::to_string(minor_svn) +
                          " is below every module TCB level");
}

// First TCB level (levels are issued in descending order) whose every component the platform
// meets. TDX: when TEE_TCB_SVN[1] > 0 the first two bytes are the module's version and SVN,
// judged by the module identity instead, so the comparison starts at index 2.
const TcbLevel* MatchTcbLevel(const TcbInfo& info, const PckExtensions& pck,
                              const TdxReportBody* td) {
  for (const auto& level : info.tcb_levels) {
    bool ok = true;
    for (size_t i = 0; i < 16 && ok; ++i) ok = pck.tcb_components[i] >= level.sgx_components[i];
    if (!ok || pck.pce_svn < level.pce_svn) continue;
    if (td) {
      if (!level.tdx_components) continue;
      size_t start = td->tee_tcb_svn[1] > 0 ? 2 : 0;
      for (size_t i = start; i < 16 && ok; ++i) ok = td->tee_tcb_svn[i] >= (*level.tdx_components)[i];
      if (!ok) continue;
    }
    return &level;
  }
  return nullptr;
}

// QVL convergeTcbStatus: a component (TDX module or QE) that is OutOfDate lowers the platform
// status; one that is Revoked wins.
TcbStatus Converge(TcbStatus platform, TcbStatus component) {
  switch (component) {
    case TcbStatus::kOutOfDate:
      switch (platform) {
        case TcbStatus::kUpToDate:
        case TcbStatus::kSWHardeningNeeded:
          return TcbStatus::kOutOfDate;
        case TcbStatus::kConfigurationNeeded:
        case TcbStatus::kConfigurationAndSWHardeningNeeded:
          return TcbStatus::kOutOfDateConfigurationNeeded;
        default:
          return platform;
      }
    case TcbStatus::kRevoked:
      return TcbStatus::kRevoked;
    default:
      return platform;
  }
}

void AddAdvisories(std::vector<std::string>& out, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
}


// Warm-path state: every entry is keyed by the exact bytes it was derived from, so a changed
// byte anywhere is a miss and is verified from scratch.
struct Caches {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const VerifiedPck>> pck;
  // PCK chain + QE report + its signature + attestation key + QE auth data → verified.
  std::unordered_map<std::string, bool> qe_reports;
  std::unordered_map<std::string, std::shared_ptr<const VerifiedCollateral>> collateral;
  std::unordered_map<std::string, crypto::EcPublicKey> attestation_keys;
  // Root CRL + PCK CRL + PCK chain → revocation checks passed.
  std::unordered_map<std::string, bool> revocation;

  template <typename Map, typename V>
  void Put(Map& m, std::string key, V value) {
    std::lock_guard lock(mu);
    if (m.size() >= 4096) m.clear();  // bounded memory under adversarial churn
    m.emplace(std::move(key), std::move(value));
  }
  template <typename Map>
  auto Get(Map& m, const std::string& key) -> std::optional<typename Map::mapped_type> {
    std::lock_guard lock(mu);
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
};

// Steps 1, 5 (QE report signature and binding) and 6: everything that needs no collateral.
// `caches` may be null (cold path).
Result<std::shared_ptr<const VerifiedPck>> QuoteChecks(const Quote& q, const TrustSettings& trust,
                                                       Caches* caches,
                                                       std::vector<std::string>& passed) {
  const std::string pck_key = caches ? std::string(AsStringView(q.cert_data)) : std::string();
  std::shared_ptr<const VerifiedPck> pck;
  if (caches) pck = caches->Get(caches->pck, pck_key).value_or(nullptr);
  if (!pck) {
    ASSIGN_OR_RETURN(VerifiedPck v, VerifyPckChain(q, trust));
    pck = std::make_shared<const VerifiedPck>(std::move(v));
    if (caches) caches->Put(caches->pck, pck_key, pck);
  }
  passed.emplace_back("pck_chain");

  std::string qe_key;
  bool qe_ok = false;
  if (caches) {
    qe_key = pck_key;
    qe_key += AsStringView(q.qe_report_raw);
    qe_key += AsStringView(ByteView(q.qe_report_signature));
    qe_key += AsStringView(ByteView(q.attestation_key));
    qe_key += AsStringView(q.qe_auth_data);
    qe_ok = caches->Get(caches->qe_reports, qe_key).has_value();
  }
  if (!qe_ok) {
    RETURN_IF_ERROR(VerifyQeReport(q, *pck));
    if (caches) caches->Put(caches->qe_reports, std::move(qe_key), true);
  }
  passed.emplace_back("qe_report_signature");
  passed.emplace_back("qe_report_data_binding");

  // Step 6: the quote signature by the attestation key (the one signature check a warm
  // verification cannot skip).
  const std::string ak(AsStringView(ByteView(q.attestation_key)));
  std::optional<crypto::EcPublicKey> att_key;
  if (caches) att_key = caches->Get(caches->attestation_keys, ak);
  if (!att_key) {
    auto k = crypto::EcPublicKey::FromRawPoint(crypto::Curve::kP256, q.attestation_key);
    if (!k) return InvalidArgument("attestation key is not a valid P-256 point");
    att_key = *k;
    if (caches) caches->Put(caches->attestation_keys, ak, *k);
  }
  if (!att_key->VerifyRaw(q.signed_region, q.signature, crypto::HashAlg::kSha256)) {
    return Unauthenticated("quote signature does not verify with the attestation key");
  }
  passed.emplace_back("quote_signature");
  return pck;
}

// Shared state of one verification run.
struct Run {
  VerifyResult r;
  VerifyResult Fail(std::string why) {
    r.valid = false;
    r.error = std::move(why);
    return std::move(r);
  }
  void Passed(const char* check) { r.checks_passed.emplace_back(check); }
};

}  // namespace

struct QuoteVerifier::Cache : Caches {};

QuoteVerifier::QuoteVerifier(TrustSettings trust, bool cache)
    : trust_(std::move(trust)), cache_(cache ? std::make_unique<Cache>() : nullptr) {}
QuoteVerifier::~QuoteVerifier() = default;

namespace {
void FillFromQuote(VerifyResult& r, const Quote& q, bool simulated) {
  r.platform = QuotePlatform(q);
  r.quote_version = q.header.version;
  r.simulated = simulated;
  r.measurements = QuoteMeasurements(q);
}

Status CheckHeader(const Quote& q) {
  if (q.header.qe_vendor_id != kIntelQeVendorId) {
    return PermissionDenied("QE vendor id is not Intel's");
  }
  return OkStatus();
}

// Parses the quote and checks its header; on failure `run.r` already holds the outcome.
std::optional<Quote> StartRun(Run& run, ByteView quote_bytes, bool simulated) {
  auto q = ParseQuote(quote_bytes);
  if (!q) {
    run.r.error = q.error().message;
    return std::nullopt;
  }
  FillFromQuote(run.r, *q, simulated);
  run.Passed("quote_structure");
  if (auto s = CheckHeader(*q); !s) {
    run.r.error = s.error().message;
    return std::nullopt;
  }
  return std::move(*q);
}

void FillFromPck(VerifyResult& r, const VerifiedPck& pck) {
  r.fmspc = ToHex(pck.ext.fmspc);
  r.pck_ca = PckCaKindName(pck.ca_kind);
}
}  // namespace

VerifyResult QuoteVerifier::VerifyWithoutCollateral(ByteView quote_bytes,
                                                    std::optional<UnixTime> now) {
  Run run;
  std::optional<Quote> q = StartRun(run, quote_bytes, trust_.simulated);
  if (!q) return std::move(run.r);
  auto pck = QuoteChecks(*q, trust_, cache_.get(), run.r.checks_passed);
  if (!pck) return run.Fail(pck.error().message);
  FillFromPck(run.r, **pck);
  if (now) {
    run.r.collateral_expired = *now < (*pck)->window.not_before || *now > (*pck)->window.not_after;
  }
  run.r.valid = true;
  return std::move(run.r);
}

VerifyResult QuoteVerifier::Verify(ByteView quote_bytes, const Collateral& collateral,
                                   UnixTime now) {
  Run run;
  std::optional<Quote> q = StartRun(run, quote_bytes, trust_.simulated);
  if (!q) return std::move(run.r);

  // Collateral (cached by its exact bytes).
  std::shared_ptr<const VerifiedCollateral> col;
  std::string col_key;
  if (cache_) {
    col_key = CollateralKey(collateral);
    col = cache_->Get(cache_->collateral, col_key).value_or(nullptr);
  }
  if (!col) {
    auto v = VerifyCollateral(collateral, trust_);
    if (!v) return run.Fail(v.error().message);
    col = std::make_shared<const VerifiedCollateral>(std::move(*v));
    if (cache_) cache_->Put(cache_->collateral, std::move(col_key), col);
  }
  run.Passed("collateral_signatures");

  auto pck_or = QuoteChecks(*q, trust_, cache_.get(), run.r.checks_passed);
  if (!pck_or) return run.Fail(pck_or.error().message);
  const VerifiedPck& pck = **pck_or;
  const TcbInfo& info = col->tcb_info;
  FillFromPck(run.r, pck);
  run.r.collateral_issue_date = col->oldest_issue_date;
  const Window w = Intersect({col->window, pck.window});
  run.r.collateral_expired = now < w.not_before || now > w.not_after;

  // Step 3: revocation and the PCK CRL issuer binding (cached by the exact CRL and chain
  // bytes: it involves a signature check the warm path need not repeat).
  std::string crl_key;
  bool crl_ok = false;
  if (cache_) {
    crl_key = std::string(AsStringView(col->root_crl.der()));
    crl_key += AsStringView(col->pck_crl.der());
    crl_key += AsStringView(q->cert_data);
    crl_ok = cache_->Get(cache_->revocation, crl_key).has_value();
  }
  if (!crl_ok) {
    if (auto s = CheckRevocation(*col, pck); !s) return run.Fail(s.error().message);
    if (cache_) cache_->Put(cache_->revocation, std::move(crl_key), true);
  }
  run.Passed("crl");

  // Step 4: the TCB info describes this platform.
  const bool tdx = q->is_tdx();
  if (!BytesEqual(info.fmspc, pck.ext.fmspc)) {
    return run.Fail("TCB info FMSPC " + ToHex(info.fmspc) + " does not match the PCK FMSPC " +
                    ToHex(pck.ext.fmspc));
  }
  if (!BytesEqual(info.pce_id, pck.ext.pce_id)) {
    return run.Fail("TCB info PCE-ID does not match the PCK certificate");
  }
  if (tdx && (info.version < 3 || info.id != "TDX")) {
    return run.Fail("TCB info is not a TDX TCB info (id '" + info.id + "')");
  }
  if (!tdx && !info.id.empty() && info.id != "SGX") {
    return run.Fail("TCB info is not an SGX TCB info (id '" + info.id + "')");
  }
  const std::string want_qe = tdx ? "TD_QE" : "QE";
  if (col->qe_identity.id != want_qe) {
    return run.Fail("QE identity id '" + col->qe_identity.id + "' is not " + want_qe);
  }
  run.Passed("tcb_info_matches_pck");

  // Step 5 (identity part): QE identity and QE TCB level.
  auto qe_level = CheckQeIdentity(q->qe_report, col->qe_identity);
  if (!qe_level) return run.Fail(qe_level.error().message);
  run.r.qe_tcb_status = TcbStatusName((*qe_level)->status);
  run.Passed("qe_identity");

  // Step 7: TDX module.
  const SvnTcbLevel* module_level = nullptr;
  if (tdx) {
    std::string module_id;
    auto m = CheckTdxModule(*q->tdx_body, info, module_id);
    if (!m) return run.Fail(m.error().message);
    module_level = *m;
    if (module_level) run.r.module_tcb_status = TcbStatusName(module_level->status);
    run.Passed("tdx_module");
  }

  // Step 8: platform TCB level and the converged status.
  const TcbLevel* level = MatchTcbLevel(info, pck.ext, tdx ? &*q->tdx_body : nullptr);
  if (!level) {
    run.r.tcb_status = TcbStatus::kTcbLevelNotFound;
    return run.Fail("no TCB level matches the platform's TCB components");
  }
  TcbStatus status = level->status;
  AddAdvisories(run.r.advisory_ids, level->advisory_ids);
  if (module_level) {
    status = Converge(status, module_level->status);
    AddAdvisories(run.r.advisory_ids, module_level->advisory_ids);
  }
  status = Converge(status, (*qe_level)->status);
  AddAdvisories(run.r.advisory_ids, (*qe_level)->advisory_ids);
  run.r.tcb_status = status;
  run.r.tcb_date = level->tcb_date;
  run.Passed("tcb_level");
  if (status == TcbStatus::kRevoked) {
    // QVL treats a revoked TCB as a terminal failure, not a status a policy may accept.
    return run.Fail("the platform's TCB level is revoked");
  }
  run.r.valid = true;
  return std::move(run.r);
}

OrderedJson VerifyResultToJson(const VerifyResult& r) {
  OrderedJson j;
  j["valid"] = r.valid;
  j["tee"] = r.simulated ? "simulated" : "hardware";
  j["platform"] = r.platform.empty() ? OrderedJson(nullptr) : OrderedJson(r.platform);
  j["quote_version"] = r.quote_version ? OrderedJson(r.quote_version) : OrderedJson(nullptr);
  j["tcb_status"] = r.tcb_status ? OrderedJson(TcbStatusName(*r.tcb_status)) : OrderedJson(nullptr);
  j["advisory_ids"] = r.advisory_ids;
  j["collateral_expired"] = r.collateral_expired;
  j["fmspc"] = r.fmspc.empty() ? OrderedJson(nullptr) : OrderedJson(r.fmspc);
  j["measurements"] = r.measurements.is_null() ? OrderedJson::object() : OrderedJson(r.measurements);
  j["checks_passed"] = r.checks_passed;
  if (!r.pck_ca.empty()) j["pck_ca"] = r.pck_ca;
  if (!r.qe_tcb_status.empty()) j["qe_tcb_status"] = r.qe_tcb_status;
  if (!r.module_tcb_status.empty()) j["tdx_module_tcb_status"] = r.module_tcb_status;
  if (r.tcb_date) j["tcb_date"] = FormatRfc3339(*r.tcb_date);
  if (!r.valid) j["error"] = r.error;
  return j;
}

}  // namespace teecloud::attest::dcap
