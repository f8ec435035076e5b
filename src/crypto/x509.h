// X.509 certificates and CRLs (OpenSSL), with chain verification at an explicit time.
//
// Certificate and Crl are cheap to copy (shared, immutable handles) and thread-safe to read.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ec.h"

namespace teecloud::crypto {

class Certificate {
 public:
  // Accepts serial number 0 and other non-strict encodings real TEE vendors emit (AMD VCEK).
  static Result<Certificate> FromDer(ByteView der);
  // One PEM certificate.
  static Result<Certificate> FromPem(std::string_view pem);

  const Bytes& der() const;
  // RFC 2253 strings, for messages and comparisons in tests.
  std::string SubjectName() const;
  std::string IssuerName() const;
  // DER of the Name structures, for exact issuer/subject comparisons.
  Bytes SubjectNameDer() const;
  Bytes IssuerNameDer() const;
  Bytes SerialNumber() const;  // big-endian magnitude bytes, no leading zeros ("" for 0)
  UnixTime NotBefore() const;
  UnixTime NotAfter() const;
  bool IsCa() const;
  Result<EcPublicKey> PublicKey() const;  // EC keys only
  Bytes SpkiDer() const;
  // The DER contents of the extension's extnValue OCTET STRING, or nullopt when absent.
  // `oid` in dotted form, e.g. "1.2.840.113741.1.13.1".
  std::optional<Bytes> ExtensionValue(std::string_view oid) const;
  // Checks this certificate's signature with `issuer`'s public key (any algorithm OpenSSL
  // supports: ECDSA, RSA, RSA-PSS). Does not check names or time.
  Status VerifySignedBy(const Certificate& issuer) const;

  void* native() const { return cert_.get(); }  // X509*, crypto/ internals only
  explicit Certificate(std::shared_ptr<void> cert, Bytes der)
      : cert_(std::move(cert)), der_(std::move(der)) {}

 private:
  std::shared_ptr<void> cert_;  // X509
  Bytes der_;
};

// Certificate::FromDer memoizes decoded certificates process-wide, keyed by their exact DER
// (OpenSSL 3.0's d2i_X509 costs ~110 us, mostly decoding the public key). This drops the memo,
// for benchmarks that measure a verifier's first contact with a certificate.
void ClearCertificateDecodeCache();

// Parses every PEM certificate in `text` in order. Stops at the first NUL byte (DCAP quotes
// carry NUL-terminated chains); ignores text outside BEGIN/END markers. Fails if none.
Result<std::vector<Certificate>> ParsePemChain(std::string_view text);

struct ChainOptions {
  // When set, every certificate must be valid at this time; when unset, time is not checked
  // (callers that report expiry as data check validity windows themselves).
  std::optional<UnixTime> at;
};

// Verifies that chain[0] ← chain[1] ← ... ← chain[n-1] each signs the previous one, issuer
// names match subjects, every non-leaf is a CA, and the last certificate is signed by (or is
// byte-identical to) one of `trusted_roots`. Errors say which link failed.
Status VerifyChain(const std::vector<Certificate>& chain,
                   const std::vector<Certificate>& trusted_roots, const ChainOptions& options);

class Crl {
 public:
  static Result<Crl> FromDer(ByteView der);
  static Result<Crl> FromPem(std::string_view pem);

  const Bytes& der() const;
  std::string IssuerName() const;
  Bytes IssuerNameDer() const;
  UnixTime ThisUpdate() const;
  std::optional<UnixTime> NextUpdate() const;
  Status VerifySignedBy(const Certificate& issuer) const;
  // `serial` as in Certificate::SerialNumber().
  bool IsRevoked(ByteView serial) const;

  void* native() const { return crl_.get(); }  // X509_CRL*
  explicit Crl(std::shared_ptr<void> crl, Bytes der) : crl_(std::move(crl)), der_(std::move(der)) {}

 private:
  std::shared_ptr<void> crl_;
  Bytes der_;
};

}  // namespace teecloud::crypto
