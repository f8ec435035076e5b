// Issuing X.509 certificates and CRLs (OpenSSL), for the simulation PKI and RA-TLS.
//
// Keys are ECDSA P-256/P-384 (crypto/ec.h); signatures are ecdsa-with-SHA256 for P-256 issuers
// and ecdsa-with-SHA384 for P-384 issuers. Issuing is deterministic apart from the ECDSA nonce:
// the serial number and every field come from the spec.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ec.h"
#include "crypto/x509.h"

namespace teecloud::crypto {

// A distinguished name in order, e.g. {{"CN", "Intel SGX PCK Platform CA"},
// {"O", "Intel Corporation"}, {"L", "Santa Clara"}, {"ST", "CA"}, {"C", "US"}}.
// Attribute types: CN, O, OU, L, ST, C, serialNumber, DC, emailAddress.
using DistinguishedName = std::vector<std::pair<std::string, std::string>>;

struct CertificateExtension {
  std::string oid;  // dotted form
  bool critical = false;
  Bytes value;  // DER contents of extnValue (what Certificate::ExtensionValue returns)
};

struct CertificateSpec {
  DistinguishedName subject;
  Bytes serial;  // big-endian magnitude; empty means serial 1
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  bool is_ca = false;
  std::optional<int> path_len;  // only with is_ca
  // Key usage (critical when any bit is set).
  bool digital_signature = false;
  bool key_cert_sign = false;
  bool crl_sign = false;
  // Extended key usage: "serverAuth", "clientAuth".
  std::vector<std::string> extended_key_usage;
  // subjectAltName: DNS names, and IP addresses in text form ("127.0.0.1", "::1").
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  // Adds subjectKeyIdentifier (SHA-1 of the key) and, when issued by a certificate,
  // authorityKeyIdentifier.
  bool key_identifiers = true;
  std::vector<CertificateExtension> extensions;
};

// Issues a certificate for `subject_key`. `issuer` is the issuing certificate, or nullptr for a
// self-signed one (then `issuer_key` must be the private half of `subject_key`). Rejects
// inverted validity, a non-CA issuer, an issuer key that does not match the issuer certificate,
// malformed OIDs / IP addresses / unknown name attributes, and duplicate extension OIDs; also a
// zero or >20-octet serial, path_len without is_ca, an unknown extended key usage, a non-ASCII
// DNS name, and an issuer whose keyUsage lacks keyCertSign.
// Leaves get basicConstraints CA:FALSE (non-critical); CAs get it critical.
Result<Certificate> IssueCertificate(const CertificateSpec& spec, const EcPublicKey& subject_key,
                                     const Certificate* issuer, const EcPrivateKey& issuer_key);

struct CrlSpec {
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  Bytes crl_number;                    // big-endian; empty means 1
  std::vector<Bytes> revoked_serials;  // as Certificate::SerialNumber()
  UnixTime revocation_time = 0;        // for every revoked serial
};

// Issues a v2 CRL signed by `issuer` (which must be a CA whose key is `issuer_key`, with cRLSign
// if it has keyUsage), carrying cRLNumber and authorityKeyIdentifier. Rejects inverted update
// times, a zero or >20-octet CRL number and duplicate revoked serials.
Result<Crl> IssueCrl(const CrlSpec& spec, const Certificate& issuer,
                     const EcPrivateKey& issuer_key);

// PEM text ("-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n").
std::string CertificateToPem(const Certificate& cert);
std::string CrlToPem(const Crl& crl);

}  // namespace teecloud::crypto
