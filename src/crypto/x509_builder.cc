// Issuing X.509 v3 certificates and v2 CRLs with OpenSSL 3.0 (X509_sign / X509_CRL_sign).
// Extensions are built from OpenSSL's typed structures, never from config strings, so names
// containing commas or colons cannot inject other extension fields.
#include "crypto/x509_builder.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <string>

#include "crypto/der.h"

namespace teecloud::crypto {
namespace {

template <typename T>
T Cleared(T value) {
  ERR_clear_error();
  return value;
}

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct CrlFree {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
struct NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct Asn1IntFree {
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
};
struct Asn1TimeFree {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
struct OctetFree {
  void operator()(ASN1_OCTET_STRING* p) const { ASN1_OCTET_STRING_free(p); }
};
struct BitStringFree {
  void operator()(ASN1_BIT_STRING* p) const { ASN1_BIT_STRING_free(p); }
};
struct ObjFree {
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};
struct BcFree {
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
};
struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* p) const { sk_ASN1_OBJECT_pop_free(p, ASN1_OBJECT_free); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct GeneralNameFree {
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
};
struct AkidFree {
  void operator()(AUTHORITY_KEYID* p) const { AUTHORITY_KEYID_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct RevokedFree {
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, Asn1IntFree>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Asn1TimeFree>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, OctetFree>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, BitStringFree>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, ObjFree>;
using BcPtr = std::unique_ptr<BASIC_CONSTRAINTS, BcFree>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesFree>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, GeneralNameFree>;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, AkidFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, RevokedFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

X509* AsX509(const Certificate& c) { return static_cast<X509*>(c.native()); }
EVP_PKEY* AsPkey(const EcPublicKey& k) { return static_cast<EVP_PKEY*>(k.native()); }
EVP_PKEY* AsPkey(const EcPrivateKey& k) { return static_cast<EVP_PKEY*>(k.native()); }

ByteView StripLeadingZeros(ByteView b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.subspan(i);
}

// RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. CRL numbers (§5.2.3) share the
// bound. An empty magnitude means 1.
Result<Asn1IntPtr> MakePositiveInteger(ByteView magnitude, std::string_view what) {
  static const uint8_t kOne[] = {1};
  ByteView m = magnitude.empty() ? ByteView(kOne) : StripLeadingZeros(magnitude);
  if (m.empty()) return InvalidArgument(std::string(what) + " must be positive");
  if (m.size() > 20) return InvalidArgument(std::string(what) + " is longer than 20 octets");
  BnPtr bn(BN_bin2bn(m.data(), static_cast<int>(m.size()), nullptr));
  if (!bn) return Cleared(Internal("BN_bin2bn failed"));
  Asn1IntPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!out) return Cleared(Internal("BN_to_ASN1_INTEGER failed"));
  return out;
}

// Any magnitude (CRL entries may name serial 0, which some vendors issue).
Result<Asn1IntPtr> MakeInteger(ByteView magnitude) {
  ByteView m = StripLeadingZeros(magnitude);
  if (m.size() > 64) return InvalidArgument("serial number is longer than 64 octets");
  BnPtr bn(BN_bin2bn(m.data(), static_cast<int>(m.size()), nullptr));
  if (!bn) return Cleared(Internal("BN_bin2bn failed"));
  Asn1IntPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!out) return Cleared(Internal("BN_to_ASN1_INTEGER failed"));
  return out;
}

// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (ASN1_TIME_set does this).
Result<Asn1TimePtr> MakeTime(UnixTime t, std::string_view what) {
  // 0000-01-01 .. 9999-12-31: the range GeneralizedTime's four-digit year can express.
  if (t < -62167219200LL || t > 253402300799LL) {
    return InvalidArgument(std::string(what) + " is outside years 0..9999");
  }
  Asn1TimePtr out(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
  if (!out) return Cleared(InvalidArgument(std::string(what) + " cannot be encoded"));
  return out;
}

Result<NamePtr> MakeName(const DistinguishedName& dn) {
  NamePtr name(X509_NAME_new());
  if (!name) return Internal("X509_NAME_new failed");
  for (const auto& [type, value] : dn) {
    // A fixed set of X.520 attribute short names: a typo must not silently become some other
    // object OpenSSL happens to know.
    static constexpr std::array<std::string_view, 9> kAllowed = {
        "CN", "O", "OU", "L", "ST", "C", "serialNumber", "DC", "emailAddress"};
    if (std::find(kAllowed.begin(), kAllowed.end(), type) == kAllowed.end()) {
      return InvalidArgument("unknown distinguished-name attribute '" + type + "'");
    }
    const int nid = OBJ_txt2nid(type.c_str());
    if (nid == NID_undef) {
      return Cleared(InvalidArgument("unknown distinguished-name attribute '" + type + "'"));
    }
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return Cleared(InvalidArgument("distinguished-name attribute '" + type + "' rejects value '" +
                                     value + "'"));
    }
  }
  return name;
}

Result<ObjPtr> MakeOid(std::string_view dotted) {
  // EncodeOid checks the syntax strictly (OBJ_txt2obj is lenient about some forms).
  RETURN_IF_ERROR(EncodeOid(dotted));
  ObjPtr obj(OBJ_txt2obj(std::string(dotted).c_str(), 1));
  if (!obj) return Cleared(InvalidArgument("malformed OID '" + std::string(dotted) + "'"));
  return obj;
}

// Adds an extension, refusing a second one with the same OID.
Status AddExtension(X509* x, int nid, void* value, bool critical, std::string_view what) {
  if (X509_get_ext_by_NID(x, nid, -1) >= 0) {
    return InvalidArgument("duplicate extension " + std::string(what));
  }
  if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_APPEND) != 1) {
    return Cleared(Internal("cannot add extension " + std::string(what)));
  }
  return OkStatus();
}

Result<Bytes> ToDer(X509* x) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  if (len <= 0) return Cleared(Internal("i2d_X509 failed"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

const EVP_MD* DigestFor(const EcPrivateKey& key) {
  return key.curve() == Curve::kP384 ? EVP_sha384() : EVP_sha256();
}

// The issuer must be a CA whose key is `issuer_key`, and if it restricts key usage, allow `bit`.
Status CheckIssuer(const Certificate& issuer, const EcPrivateKey& issuer_key, uint32_t usage_bit,
                   std::string_view usage_name) {
  if (!issuer.IsCa()) {
    return InvalidArgument("issuer '" + issuer.SubjectName() + "' is not a CA");
  }
  if (issuer_key.PublicKey().SpkiDer() != issuer.SpkiDer()) {
    return InvalidArgument("issuer key does not match the issuer certificate '" +
                           issuer.SubjectName() + "'");
  }
  X509* x = AsX509(issuer);
  if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(x) & usage_bit) == 0) {
    return InvalidArgument("issuer '" + issuer.SubjectName() + "' key usage lacks " +
                           std::string(usage_name));
  }
  return OkStatus();
}

Result<AkidPtr> MakeAuthorityKeyId(const Certificate& issuer) {
  AkidPtr akid(AUTHORITY_KEYID_new());
  if (!akid) return Internal("AUTHORITY_KEYID_new failed");
  X509* ix = AsX509(issuer);
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(ix);
  if (skid != nullptr) {
    akid->keyid = ASN1_OCTET_STRING_dup(skid);
  } else {
    // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_pubkey_digest(ix, EVP_sha1(), md, &len) != 1) {
      return Cleared(Internal("X509_pubkey_digest failed"));
    }
    akid->keyid = ASN1_OCTET_STRING_new();
    if (akid->keyid != nullptr &&
        ASN1_OCTET_STRING_set(akid->keyid, md, static_cast<int>(len)) != 1)
      return Cleared(Internal("ASN1_OCTET_STRING_set failed"));
  }
  if (akid->keyid == nullptr) return Cleared(Internal("cannot build authorityKeyIdentifier"));
  return akid;
}

Status AddBasicConstraints(X509* x, const CertificateSpec& spec) {
  BcPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) return Internal("BASIC_CONSTRAINTS_new failed");
  bc->ca = spec.is_ca ? 0xff : 0;
  if (spec.path_len) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *spec.path_len) != 1) {
      return Cleared(Internal("ASN1_INTEGER_set failed"));
    }
  }
  // RFC 5280 §4.2.1.9: critical in CA certificates; a leaf's CA:FALSE is informative.
  return AddExtension(x, NID_basic_constraints, bc.get(), spec.is_ca, "basicConstraints");
}

Status AddKeyUsage(X509* x, const CertificateSpec& spec) {
  if (!spec.digital_signature && !spec.key_cert_sign && !spec.crl_sign) return OkStatus();
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits) return Internal("ASN1_BIT_STRING_new failed");
  // RFC 5280 §4.2.1.3 bit numbers.
  const std::pair<bool, int> kBits[] = {
      {spec.digital_signature, 0}, {spec.key_cert_sign, 5}, {spec.crl_sign, 6}};
  for (const auto& [on, bit] : kBits) {
    if (on && ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) {
      return Cleared(Internal("ASN1_BIT_STRING_set_bit failed"));
    }
  }
  return AddExtension(x, NID_key_usage, bits.get(), true, "keyUsage");
}

Status AddExtendedKeyUsage(X509* x, const CertificateSpec& spec) {
  if (spec.extended_key_usage.empty()) return OkStatus();
  EkuPtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return Internal("sk_ASN1_OBJECT_new_null failed");
  for (const std::string& name : spec.extended_key_usage) {
    ASN1_OBJECT* obj = nullptr;
    if (name == "serverAuth") {
      obj = OBJ_nid2obj(NID_server_auth);
    } else if (name == "clientAuth") {
      obj = OBJ_nid2obj(NID_client_auth);
    } else {
      return InvalidArgument("unknown extended key usage '" + name +
                             "' (serverAuth or clientAuth)");
    }
    ASN1_OBJECT* dup = OBJ_dup(obj);
    if (dup == nullptr || sk_ASN1_OBJECT_push(eku.get(), dup) <= 0) {
      ASN1_OBJECT_free(dup);
      return Cleared(Internal("cannot build extendedKeyUsage"));
    }
  }
  return AddExtension(x, NID_ext_key_usage, eku.get(), false, "extendedKeyUsage");
}

Status AddSubjectAltName(X509* x, const CertificateSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return OkStatus();
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Internal("GENERAL_NAMES_new failed");
  for (const std::string& dns : spec.dns_names) {
    // IA5String (RFC 5280 §4.2.1.6): ASCII only, no NUL; internationalized names come as
    // A-labels already.
    if (dns.empty()) return InvalidArgument("empty DNS name");
    for (const char c : dns) {
      if (c <= 0x20 || c >= 0x7f) return InvalidArgument("DNS name '" + dns + "' is not ASCII");
    }
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    GeneralNamePtr gn(GENERAL_NAME_new());
    if (ia5 == nullptr || !gn ||
        ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      return Cleared(Internal("cannot build DNS name"));
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) return Internal("push failed");
    gn.release();
  }
  for (const std::string& ip : spec.ip_addresses) {
    OctetPtr addr(a2i_IPADDRESS(ip.c_str()));
    if (!addr || ip.find('\0') != std::string::npos) {
      return Cleared(InvalidArgument("malformed IP address '" + ip + "'"));
    }
    GeneralNamePtr gn(GENERAL_NAME_new());
    if (!gn) return Internal("GENERAL_NAME_new failed");
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, addr.release());
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0) return Internal("push failed");
    gn.release();
  }
  return AddExtension(x, NID_subject_alt_name, names.get(), false, "subjectAltName");
}

Status AddKeyIdentifiers(X509* x, const Certificate* issuer) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1) {
    return Cleared(Internal("X509_pubkey_digest failed"));
  }
  OctetPtr skid(ASN1_OCTET_STRING_new());
  if (!skid || ASN1_OCTET_STRING_set(skid.get(), md, static_cast<int>(len)) != 1) {
    return Cleared(Internal("cannot build subjectKeyIdentifier"));
  }
  RETURN_IF_ERROR(
      AddExtension(x, NID_subject_key_identifier, skid.get(), false, "subjectKeyIdentifier"));
  if (issuer == nullptr) return OkStatus();  // §4.2.1.1: optional in self-signed certificates
  ASSIGN_OR_RETURN(AkidPtr akid, MakeAuthorityKeyId(*issuer));
  return AddExtension(x, NID_authority_key_identifier, akid.get(), false, "authorityKeyIdentifier");
}

Status AddCustomExtension(X509* x, const CertificateExtension& ext) {
  ASSIGN_OR_RETURN(ObjPtr obj, MakeOid(ext.oid));
  if (X509_get_ext_by_OBJ(x, obj.get(), -1) >= 0) {
    return InvalidArgument("duplicate extension " + ext.oid);
  }
  OctetPtr value(ASN1_OCTET_STRING_new());
  if (!value || ASN1_OCTET_STRING_set(value.get(), ext.value.data(),
                                      static_cast<int>(ext.value.size())) != 1) {
    return Cleared(Internal("cannot build extension " + ext.oid));
  }
  ExtPtr e(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), ext.critical ? 1 : 0, value.get()));
  if (!e || X509_add_ext(x, e.get(), -1) != 1) {
    return Cleared(Internal("cannot add extension " + ext.oid));
  }
  return OkStatus();
}

std::string ToPem(ByteView der, std::string_view label) {
  const std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace

Result<Certificate> IssueCertificate(const CertificateSpec& spec, const EcPublicKey& subject_key,
                                     const Certificate* issuer, const EcPrivateKey& issuer_key) {
  if (spec.not_after < spec.not_before) {
    return InvalidArgument("certificate not_after precedes not_before");
  }
  if (spec.path_len && !spec.is_ca) return InvalidArgument("path_len requires is_ca");
  if (spec.path_len && *spec.path_len < 0) return InvalidArgument("negative path_len");
  if (issuer != nullptr) {
    RETURN_IF_ERROR(CheckIssuer(*issuer, issuer_key, KU_KEY_CERT_SIGN, "keyCertSign"));
  } else if (issuer_key.PublicKey().SpkiDer() != subject_key.SpkiDer()) {
    return InvalidArgument("self-signed certificate: issuer key is not the subject key");
  }

  X509Ptr x(X509_new());
  if (!x) return Internal("X509_new failed");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) return Cleared(Internal("set_version"));
  ASSIGN_OR_RETURN(Asn1IntPtr serial, MakePositiveInteger(spec.serial, "serial number"));
  ASSIGN_OR_RETURN(NamePtr subject, MakeName(spec.subject));
  ASSIGN_OR_RETURN(Asn1TimePtr not_before, MakeTime(spec.not_before, "not_before"));
  ASSIGN_OR_RETURN(Asn1TimePtr not_after, MakeTime(spec.not_after, "not_after"));
  const X509_NAME* issuer_name =
      issuer != nullptr ? X509_get_subject_name(AsX509(*issuer)) : subject.get();
  if (X509_set_serialNumber(x.get(), serial.get()) != 1 ||
      X509_set_subject_name(x.get(), subject.get()) != 1 ||
      X509_set_issuer_name(x.get(), issuer_name) != 1 ||
      X509_set1_notBefore(x.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(x.get(), not_after.get()) != 1 ||
      X509_set_pubkey(x.get(), AsPkey(subject_key)) != 1) {
    return Cleared(Internal("cannot fill certificate fields"));
  }

  RETURN_IF_ERROR(AddBasicConstraints(x.get(), spec));
  RETURN_IF_ERROR(AddKeyUsage(x.get(), spec));
  RETURN_IF_ERROR(AddExtendedKeyUsage(x.get(), spec));
  RETURN_IF_ERROR(AddSubjectAltName(x.get(), spec));
  if (spec.key_identifiers) RETURN_IF_ERROR(AddKeyIdentifiers(x.get(), issuer));
  for (const CertificateExtension& ext : spec.extensions) {
    RETURN_IF_ERROR(AddCustomExtension(x.get(), ext));
  }

  if (X509_sign(x.get(), AsPkey(issuer_key), DigestFor(issuer_key)) <= 0) {
    return Cleared(Internal("X509_sign failed"));
  }
  ASSIGN_OR_RETURN(Bytes der, ToDer(x.get()));
  return Certificate::FromDer(der);
}

Result<Crl> IssueCrl(const CrlSpec& spec, const Certificate& issuer,
                     const EcPrivateKey& issuer_key) {
  if (spec.next_update < spec.this_update) {
    return InvalidArgument("CRL next_update precedes this_update");
  }
  RETURN_IF_ERROR(CheckIssuer(issuer, issuer_key, KU_CRL_SIGN, "cRLSign"));

  CrlPtr crl(X509_CRL_new());
  if (!crl) return Internal("X509_CRL_new failed");
  ASSIGN_OR_RETURN(Asn1TimePtr this_update, MakeTime(spec.this_update, "this_update"));
  ASSIGN_OR_RETURN(Asn1TimePtr next_update, MakeTime(spec.next_update, "next_update"));
  ASSIGN_OR_RETURN(Asn1TimePtr revoked_at, MakeTime(spec.revocation_time, "revocation_time"));
  ASSIGN_OR_RETURN(Asn1IntPtr number, MakePositiveInteger(spec.crl_number, "CRL number"));
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(AsX509(issuer))) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return Cleared(Internal("cannot fill CRL fields"));
  }
  std::set<Bytes> seen;
  for (const Bytes& serial : spec.revoked_serials) {
    const ByteView magnitude = StripLeadingZeros(serial);
    if (!seen.insert(ToBytes(magnitude)).second) {
      return InvalidArgument("duplicate revoked serial " + ToHex(magnitude));
    }
    ASSIGN_OR_RETURN(Asn1IntPtr value, MakeInteger(magnitude));
    RevokedPtr entry(X509_REVOKED_new());
    if (!entry || X509_REVOKED_set_serialNumber(entry.get(), value.get()) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), revoked_at.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      return Cleared(Internal("cannot add revoked entry"));
    }
    entry.release();
  }
  // RFC 5280 §5.2.3 cRLNumber (non-critical) and §5.2.1 authorityKeyIdentifier.
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_APPEND) != 1) {
    return Cleared(Internal("cannot add cRLNumber"));
  }
  ASSIGN_OR_RETURN(AkidPtr akid, MakeAuthorityKeyId(issuer));
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0,
                            X509V3_ADD_APPEND) != 1) {
    return Cleared(Internal("cannot add authorityKeyIdentifier"));
  }
  if (X509_CRL_sort(crl.get()) != 1) return Cleared(Internal("X509_CRL_sort failed"));
  if (X509_CRL_sign(crl.get(), AsPkey(issuer_key), DigestFor(issuer_key)) <= 0) {
    return Cleared(Internal("X509_CRL_sign failed"));
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl.get(), &der);
  if (len <= 0) return Cleared(Internal("i2d_X509_CRL failed"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return Crl::FromDer(out);
}

std::string CertificateToPem(const Certificate& cert) { return ToPem(cert.der(), "CERTIFICATE"); }
std::string CrlToPem(const Crl& crl) { return ToPem(crl.der(), "X509 CRL"); }

}  // namespace teecloud::crypto
