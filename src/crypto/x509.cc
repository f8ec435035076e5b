// X.509 certificates and CRLs on OpenSSL, with chain verification written out link by link
// (rather than X509_verify_cert) so that errors name the failing link and time is a parameter.
#include "crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <mutex>
#include <string>
#include <unordered_map>

#include "crypto/der.h"
#include "crypto/ec_internal.h"

namespace teecloud::crypto {
namespace {

X509* AsX509(void* p) { return static_cast<X509*>(p); }
X509_CRL* AsCrl(void* p) { return static_cast<X509_CRL*>(p); }

template <typename T>
T Cleared(T value) {
  ERR_clear_error();
  return value;
}

// OpenSSL has already validated the UTCTime/GeneralizedTime syntax when parsing, so a failure
// here cannot happen for a parsed certificate; 0 is returned defensively.
UnixTime ToUnix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return Cleared(UnixTime{0});
  // base's DaysFromCivil: independent of the process time zone (unlike mktime).
  const int64_t days =
      DaysFromCivil(int64_t{tm.tm_year} + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                    static_cast<unsigned>(tm.tm_mday));
  return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

std::string NameToString(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || name == nullptr) return "";
  // RFC 2253 §2 order and escaping, but UTF-8 kept as is (no \\XX escapes) for readable errors.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Bytes NameToDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return Cleared(Bytes{});
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Big-endian magnitude without leading zeros; "" for zero.
Bytes IntegerMagnitude(const ASN1_INTEGER* i) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(i, nullptr), BN_free);
  if (!bn) return Cleared(Bytes{});
  Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  if (!out.empty()) BN_bn2bin(bn.get(), out.data());
  return out;
}

ByteView StripLeadingZeros(ByteView b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.subspan(i);
}

// Finds PEM blocks of `label` in `text` (RFC 7468), decoding each body. Text outside the
// markers is ignored.
Result<std::vector<Bytes>> DecodePemBlocks(std::string_view text, std::string_view label) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  std::vector<Bytes> out;
  size_t pos = 0;
  while ((pos = text.find(begin, pos)) != std::string_view::npos) {
    const size_t body = pos + begin.size();
    const size_t stop = text.find(end, body);
    if (stop == std::string_view::npos) {
      return InvalidArgument("PEM block '" + std::string(label) + "' has no END marker");
    }
    auto der = Base64Decode(text.substr(body, stop - body));
    if (!der) return InvalidArgument("PEM block '" + std::string(label) + "': bad base64");
    out.push_back(std::move(*der));
    pos = stop + end.size();
  }
  return out;
}

}  // namespace

// ---- Certificate ----------------------------------------------------------------------------

namespace {

// OpenSSL 3.0's d2i_X509 decodes the SubjectPublicKeyInfo through the provider decoder
// machinery, which costs about 130 us per certificate (more than two P-256 verifies) and is
// spent again on every quote for the same Intel intermediate and root certificates. Parsed
// certificates are immutable and already shared between Certificate copies, so a small
// process-wide cache keyed by the exact DER bytes returns the same X509 for repeated input.
// It is bounded (cleared when full) and holds only successfully parsed certificates.
class X509Cache {
 public:
  std::shared_ptr<void> Find(ByteView der) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::string(AsStringView(der)));
    return it == map_.end() ? nullptr : it->second;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
  }
  void Insert(ByteView der, std::shared_ptr<void> cert) {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(std::string(AsStringView(der)), std::move(cert));
  }

 private:
  static constexpr size_t kMaxEntries = 512;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<void>> map_;
};

X509Cache& Cache() {
  static X509Cache* const cache = new X509Cache();  // never destroyed: no exit-order issues
  return *cache;
}

}  // namespace

void ClearCertificateDecodeCache() { Cache().Clear(); }

Result<Certificate> Certificate::FromDer(ByteView der) {
  if (der.empty()) return InvalidArgument("empty certificate");
  if (auto cached = Cache().Find(der)) return Certificate(std::move(cached), ToBytes(der));
  const unsigned char* p = der.data();
  // OpenSSL's d2i_X509 accepts serial number 0 (AMD VCEKs), which RFC 5280 §4.1.2.2 forbids
  // but real vendors emit; we rely on that leniency.
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr) return Cleared(InvalidArgument("malformed X.509 certificate"));
  std::shared_ptr<void> handle(cert, [](void* c) { X509_free(static_cast<X509*>(c)); });
  if (p != der.data() + der.size()) {
    return InvalidArgument("trailing bytes after X.509 certificate");
  }
  Cache().Insert(der, handle);
  return Certificate(std::move(handle), ToBytes(der));
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, DecodePemBlocks(pem, "CERTIFICATE"));
  if (blocks.size() != 1) {
    return InvalidArgument("expected one PEM certificate, found " + std::to_string(blocks.size()));
  }
  return FromDer(blocks[0]);
}

const Bytes& Certificate::der() const { return der_; }

std::string Certificate::SubjectName() const {
  return NameToString(X509_get_subject_name(AsX509(native())));
}
std::string Certificate::IssuerName() const {
  return NameToString(X509_get_issuer_name(AsX509(native())));
}
Bytes Certificate::SubjectNameDer() const {
  return NameToDer(X509_get_subject_name(AsX509(native())));
}
Bytes Certificate::IssuerNameDer() const {
  return NameToDer(X509_get_issuer_name(AsX509(native())));
}
Bytes Certificate::SerialNumber() const {
  return IntegerMagnitude(X509_get0_serialNumber(AsX509(native())));
}
UnixTime Certificate::NotBefore() const { return ToUnix(X509_get0_notBefore(AsX509(native()))); }
UnixTime Certificate::NotAfter() const { return ToUnix(X509_get0_notAfter(AsX509(native()))); }

// basicConstraints cA=TRUE (RFC 5280 §4.2.1.9). Unlike X509_check_ca, v1 self-signed
// certificates without the extension do not count as CAs.
bool Certificate::IsCa() const {
  int crit = 0;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(AsX509(native()), NID_basic_constraints, &crit, nullptr));
  if (bc == nullptr) return Cleared(false);
  const bool ca = bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

Result<EcPublicKey> Certificate::PublicKey() const {
  EVP_PKEY* pkey = X509_get0_pubkey(AsX509(native()));
  if (pkey == nullptr) return Cleared(InvalidArgument("certificate public key unreadable"));
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
    return InvalidArgument("certificate public key is not an EC key");
  }
  return internal::EcPublicKeyFromEvp(pkey);
}

Bytes Certificate::SpkiDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(AsX509(native())), &der);
  if (len <= 0) return Cleared(Bytes{});
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::optional<Bytes> Certificate::ExtensionValue(std::string_view oid) const {
  // The 1 means "numeric dotted form only": never resolve names such as "basicConstraints".
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(
      OBJ_txt2obj(std::string(oid).c_str(), 1), ASN1_OBJECT_free);
  if (!obj) return Cleared(std::optional<Bytes>());
  X509* cert = AsX509(native());
  const int idx = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (idx < 0) return std::nullopt;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  if (value == nullptr) return std::nullopt;
  const uint8_t* data = ASN1_STRING_get0_data(value);
  return Bytes(data, data + ASN1_STRING_length(value));
}

namespace {

// The to-be-signed bytes of a certificate: the first element of the outer SEQUENCE
// (RFC 5280 §4.1.1.1), taken from the DER we were given rather than re-encoded.
std::optional<ByteView> TbsBytes(const Bytes& der) {
  DerReader outer(der);
  auto cert = outer.Expect(kDerSequence, "Certificate");
  if (!cert || !outer.empty()) return std::nullopt;
  DerReader inner(cert->contents);
  auto tbs = inner.Expect(kDerSequence, "TBSCertificate");
  if (!tbs) return std::nullopt;
  return tbs->encoded;
}

// Fast path for ECDSA-signed certificates with an EC issuer key (every Intel DCAP certificate):
// ECDSA_do_verify through EcPublicKey costs about 15 us less than X509_verify's per-call
// EVP_DigestVerify setup. Returns nullopt when the certificate is not of that shape, in which
// case the caller uses X509_verify.
std::optional<Status> VerifyEcdsaFast(const Certificate& cert, const Certificate& issuer) {
  X509* x = AsX509(cert.native());
  HashAlg hash;
  switch (X509_get_signature_nid(x)) {
    case NID_ecdsa_with_SHA256:
      hash = HashAlg::kSha256;
      break;
    case NID_ecdsa_with_SHA384:
      hash = HashAlg::kSha384;
      break;
    default:
      return std::nullopt;
  }
  const ASN1_BIT_STRING* sig = nullptr;
  const X509_ALGOR* outer_alg = nullptr;
  X509_get0_signature(&sig, &outer_alg, x);
  // RFC 5280 §4.1.1.2: signatureAlgorithm must equal the TBS signature field (X509_verify
  // checks the same). RFC 5758 §3.2: ECDSA algorithm identifiers carry no parameters.
  if (sig == nullptr || outer_alg == nullptr ||
      X509_ALGOR_cmp(outer_alg, X509_get0_tbs_sigalg(x)) != 0) {
    return std::nullopt;
  }
  const ASN1_OBJECT* alg_oid = nullptr;
  int param_type = 0;
  X509_ALGOR_get0(&alg_oid, &param_type, nullptr, outer_alg);
  if (param_type != V_ASN1_UNDEF) return std::nullopt;
  const std::optional<ByteView> tbs = TbsBytes(cert.der());
  if (!tbs) return std::nullopt;
  EVP_PKEY* key = X509_get0_pubkey(AsX509(issuer.native()));
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return std::nullopt;
  auto pub = internal::EcPublicKeyFromEvp(key);
  if (!pub) return std::nullopt;
  const ByteView sig_der(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig)));
  auto s = pub->VerifyDer(*tbs, sig_der, hash);
  if (s) return OkStatus();
  return Status(tl::unexpected(Error{Code::kUnauthenticated, s.error().message}));
}

}  // namespace

Status Certificate::VerifySignedBy(const Certificate& issuer) const {
  if (auto fast = VerifyEcdsaFast(*this, issuer)) {
    if (*fast) return OkStatus();
    return Unauthenticated("signature of '" + SubjectName() + "' does not verify with '" +
                           issuer.SubjectName() + "': " + fast->error().message);
  }
  EVP_PKEY* key = X509_get0_pubkey(AsX509(issuer.native()));
  if (key == nullptr) return Cleared(InvalidArgument("issuer public key unreadable"));
  // X509_verify checks that the outer signatureAlgorithm equals the TBS one and handles
  // ECDSA, RSA PKCS#1 v1.5 and RSASSA-PSS parameters (AMD's certificates).
  if (X509_verify(AsX509(native()), key) != 1) {
    return Cleared(Unauthenticated("signature of '" + SubjectName() + "' does not verify with '" +
                                   issuer.SubjectName() + "'"));
  }
  return OkStatus();
}

Result<std::vector<Certificate>> ParsePemChain(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul != std::string_view::npos) text = text.substr(0, nul);
  ASSIGN_OR_RETURN(auto blocks, DecodePemBlocks(text, "CERTIFICATE"));
  if (blocks.empty()) return InvalidArgument("no PEM certificate found");
  std::vector<Certificate> chain;
  chain.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto cert = Certificate::FromDer(blocks[i]);
    if (!cert)
      return tl::unexpected(cert.error().WithContext("PEM certificate " + std::to_string(i)));
    chain.push_back(std::move(*cert));
  }
  return chain;
}

namespace {

Status CheckTime(const Certificate& cert, size_t index, UnixTime at) {
  if (at < cert.NotBefore()) {
    return Unauthenticated("certificate " + std::to_string(index) + " ('" + cert.SubjectName() +
                           "') is not yet valid at " + std::to_string(at));
  }
  if (at > cert.NotAfter()) {
    return Unauthenticated("certificate " + std::to_string(index) + " ('" + cert.SubjectName() +
                           "') expired before " + std::to_string(at));
  }
  return OkStatus();
}

}  // namespace

// RFC 5280 §6.1 reduced to what TEE PKIs need: signatures, name chaining, cA flag, validity.
// Trust anchors are trusted by configuration; their own validity is not checked.
Status VerifyChain(const std::vector<Certificate>& chain,
                   const std::vector<Certificate>& trusted_roots, const ChainOptions& options) {
  if (chain.empty()) return InvalidArgument("empty certificate chain");
  for (size_t i = 0; i < chain.size(); ++i) {
    const Certificate& cert = chain[i];
    if (options.at) RETURN_IF_ERROR(CheckTime(cert, i, *options.at));
    if (i + 1 == chain.size()) break;
    const Certificate& issuer = chain[i + 1];
    const std::string link = "chain link " + std::to_string(i) + " -> " + std::to_string(i + 1);
    if (cert.IssuerNameDer() != issuer.SubjectNameDer()) {
      return Unauthenticated(link + ": issuer '" + cert.IssuerName() + "' != subject '" +
                             issuer.SubjectName() + "'");
    }
    if (!issuer.IsCa()) {
      return Unauthenticated(link + ": '" + issuer.SubjectName() + "' is not a CA");
    }
    if (auto s = cert.VerifySignedBy(issuer); !s) {
      return tl::unexpected(s.error().WithContext(link));
    }
  }

  const Certificate& last = chain.back();
  for (const Certificate& root : trusted_roots) {
    if (last.der() == root.der()) return OkStatus();
  }
  for (const Certificate& root : trusted_roots) {
    if (last.IssuerNameDer() != root.SubjectNameDer()) continue;
    if (last.VerifySignedBy(root)) return OkStatus();
  }
  return Unauthenticated("certificate " + std::to_string(chain.size() - 1) + " ('" +
                         last.SubjectName() + "') is not signed by a trusted root");
}

// ---- Crl ------------------------------------------------------------------------------------

Result<Crl> Crl::FromDer(ByteView der) {
  if (der.empty()) return InvalidArgument("empty CRL");
  const unsigned char* p = der.data();
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
  if (crl == nullptr) return Cleared(InvalidArgument("malformed X.509 CRL"));
  std::shared_ptr<void> handle(crl, [](void* c) { X509_CRL_free(static_cast<X509_CRL*>(c)); });
  if (p != der.data() + der.size()) return InvalidArgument("trailing bytes after CRL");
  return Crl(std::move(handle), ToBytes(der));
}

Result<Crl> Crl::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, DecodePemBlocks(pem, "X509 CRL"));
  if (blocks.size() != 1) {
    return InvalidArgument("expected one PEM CRL, found " + std::to_string(blocks.size()));
  }
  return FromDer(blocks[0]);
}

const Bytes& Crl::der() const { return der_; }
std::string Crl::IssuerName() const { return NameToString(X509_CRL_get_issuer(AsCrl(native()))); }
Bytes Crl::IssuerNameDer() const { return NameToDer(X509_CRL_get_issuer(AsCrl(native()))); }
UnixTime Crl::ThisUpdate() const { return ToUnix(X509_CRL_get0_lastUpdate(AsCrl(native()))); }
std::optional<UnixTime> Crl::NextUpdate() const {
  const ASN1_TIME* t = X509_CRL_get0_nextUpdate(AsCrl(native()));
  if (t == nullptr) return std::nullopt;
  return ToUnix(t);
}

// RFC 5280 §6.3.3 (f)/(g): the CRL issuer must be the certificate's subject and its key must
// verify the CRL signature.
Status Crl::VerifySignedBy(const Certificate& issuer) const {
  if (IssuerNameDer() != issuer.SubjectNameDer()) {
    return Unauthenticated("CRL issuer '" + IssuerName() + "' != certificate subject '" +
                           issuer.SubjectName() + "'");
  }
  EVP_PKEY* key = X509_get0_pubkey(AsX509(issuer.native()));
  if (key == nullptr) return Cleared(InvalidArgument("issuer public key unreadable"));
  if (X509_CRL_verify(AsCrl(native()), key) != 1) {
    return Cleared(
        Unauthenticated("CRL signature does not verify with '" + issuer.SubjectName() + "'"));
  }
  return OkStatus();
}

// A linear scan rather than X509_CRL_get0_by_serial, which sorts the entry list lazily (a
// mutation of a shared object); TEE CRLs are small.
bool Crl::IsRevoked(ByteView serial) const {
  const ByteView want = StripLeadingZeros(serial);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(AsCrl(native()));
  const int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  for (int i = 0; i < n; ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    const Bytes got = IntegerMagnitude(X509_REVOKED_get0_serialNumber(entry));
    if (BytesEqual(got, want)) return true;
  }
  return false;
}

}  // namespace teecloud::crypto
