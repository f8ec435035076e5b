#include "crypto/x509_builder.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace teecloud::crypto {
namespace {

constexpr UnixTime kStart = 1735689600;  // 2025-01-01
constexpr UnixTime kEnd = 2051222400;    // 2035-01-01 (GeneralizedTime is not needed here)

EcPrivateKey NewKey(Curve curve = Curve::kP256) {
  auto k = EcPrivateKey::Generate(curve);
  TEECLOUD_CHECK(k.has_value());
  return *k;
}

CertificateSpec CaSpec(std::string cn, Bytes serial) {
  CertificateSpec s;
  s.subject = {{"CN", std::move(cn)}, {"O", "teecloud test"}, {"C", "US"}};
  s.serial = std::move(serial);
  s.not_before = kStart;
  s.not_after = kEnd;
  s.is_ca = true;
  s.key_cert_sign = true;
  s.crl_sign = true;
  return s;
}

CertificateSpec LeafSpec() {
  CertificateSpec s;
  s.subject = {{"CN", "leaf.example"}};
  s.serial = {0x01, 0x02, 0x03};
  s.not_before = kStart;
  s.not_after = kEnd;
  s.digital_signature = true;
  s.extended_key_usage = {"serverAuth", "clientAuth"};
  s.dns_names = {"leaf.example", "*.leaf.example"};
  s.ip_addresses = {"127.0.0.1", "::1"};
  return s;
}

struct Pki {
  EcPrivateKey root_key = NewKey(Curve::kP384);
  EcPrivateKey inter_key = NewKey();
  EcPrivateKey leaf_key = NewKey();
  Certificate root;
  Certificate inter;
  Certificate leaf;
};

Pki MakePki() {
  Pki p{.root = Certificate(nullptr, {}),
        .inter = Certificate(nullptr, {}),
        .leaf = Certificate(nullptr, {})};
  auto root =
      IssueCertificate(CaSpec("Test Root", {0x10}), p.root_key.PublicKey(), nullptr, p.root_key);
  TEECLOUD_CHECK(root.has_value());
  p.root = *root;
  CertificateSpec inter_spec = CaSpec("Test Intermediate", {0x11});
  inter_spec.path_len = 0;
  auto inter = IssueCertificate(inter_spec, p.inter_key.PublicKey(), &p.root, p.root_key);
  TEECLOUD_CHECK(inter.has_value());
  p.inter = *inter;
  auto leaf = IssueCertificate(LeafSpec(), p.leaf_key.PublicKey(), &p.inter, p.inter_key);
  TEECLOUD_CHECK(leaf.has_value());
  p.leaf = *leaf;
  return p;
}

X509* Raw(const Certificate& c) { return static_cast<X509*>(c.native()); }

TEST(X509BuilderTest, ChainVerifies) {
  const Pki p = MakePki();
  EXPECT_TRUE(p.root.IsCa());
  EXPECT_TRUE(p.inter.IsCa());
  EXPECT_FALSE(p.leaf.IsCa());
  EXPECT_EQ(p.root.SubjectName(), "C=US,O=teecloud test,CN=Test Root");
  EXPECT_EQ(p.root.IssuerNameDer(), p.root.SubjectNameDer());
  EXPECT_EQ(p.inter.IssuerNameDer(), p.root.SubjectNameDer());
  EXPECT_EQ(p.leaf.IssuerNameDer(), p.inter.SubjectNameDer());
  EXPECT_EQ(p.leaf.SerialNumber(), (Bytes{0x01, 0x02, 0x03}));
  EXPECT_EQ(p.leaf.NotBefore(), kStart);
  EXPECT_EQ(p.leaf.NotAfter(), kEnd);
  EXPECT_EQ(p.leaf.SpkiDer(), p.leaf_key.PublicKey().SpkiDer());

  auto s = VerifyChain({p.leaf, p.inter}, {p.root}, {.at = kStart + 10});
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  s = VerifyChain({p.leaf, p.inter, p.root}, {p.root}, {.at = kEnd});
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  // Outside the window, and against a foreign root.
  EXPECT_FALSE(VerifyChain({p.leaf, p.inter}, {p.root}, {.at = kEnd + 1}).has_value());
  const Pki other = MakePki();
  EXPECT_FALSE(VerifyChain({p.leaf, p.inter}, {other.root}, {}).has_value());
}

TEST(X509BuilderTest, SignatureAlgorithmFollowsIssuerCurve) {
  const Pki p = MakePki();
  EXPECT_EQ(X509_get_signature_nid(Raw(p.root)), NID_ecdsa_with_SHA384);   // P-384 self-signed
  EXPECT_EQ(X509_get_signature_nid(Raw(p.inter)), NID_ecdsa_with_SHA384);  // signed by P-384
  EXPECT_EQ(X509_get_signature_nid(Raw(p.leaf)), NID_ecdsa_with_SHA256);   // signed by P-256
  EXPECT_TRUE(p.inter.VerifySignedBy(p.root).has_value());
}

TEST(X509BuilderTest, StandardExtensions) {
  const Pki p = MakePki();
  X509* leaf = Raw(p.leaf);
  X509* inter = Raw(p.inter);

  // Basic constraints: CA:TRUE, pathlen 0, critical on the intermediate; CA:FALSE on the leaf.
  int crit = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(inter, NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->ca);
  ASSERT_NE(bc->pathlen, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
  EXPECT_EQ(crit, 1);
  BASIC_CONSTRAINTS_free(bc);
  bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(leaf, NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_FALSE(bc->ca);
  EXPECT_EQ(crit, 0);
  BASIC_CONSTRAINTS_free(bc);

  // Key usage.
  EXPECT_EQ(X509_get_key_usage(inter), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_key_usage(leaf), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_GE(X509_get_ext_by_NID(leaf, NID_key_usage, -1), 0);
  EXPECT_EQ(
      X509_EXTENSION_get_critical(X509_get_ext(leaf, X509_get_ext_by_NID(leaf, NID_key_usage, -1))),
      1);

  // Extended key usage.
  EXPECT_EQ(X509_get_extended_key_usage(leaf),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));

  // SAN: DNS names and IPs in order.
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(names), 4);
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      got.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                       ASN1_STRING_length(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      got.push_back("ip:" + std::to_string(ASN1_STRING_length(gn->d.iPAddress)));
    }
  }
  GENERAL_NAMES_free(names);
  EXPECT_EQ(got, (std::vector<std::string>{"leaf.example", "*.leaf.example", "ip:4", "ip:16"}));
  EXPECT_EQ(X509_check_host(leaf, "leaf.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "::1", 0), 1);

  // Key identifiers: leaf AKI = intermediate SKI; the self-signed root has SKI but no AKI.
  const ASN1_OCTET_STRING* inter_ski = X509_get0_subject_key_id(inter);
  const ASN1_OCTET_STRING* leaf_aki = X509_get0_authority_key_id(leaf);
  ASSERT_NE(inter_ski, nullptr);
  ASSERT_NE(leaf_aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(inter_ski, leaf_aki), 0);
  EXPECT_NE(X509_get0_subject_key_id(Raw(p.root)), nullptr);
  EXPECT_EQ(X509_get0_authority_key_id(Raw(p.root)), nullptr);
}

TEST(X509BuilderTest, CustomExtensionsRoundTrip) {
  const EcPrivateKey key = NewKey();
  CertificateSpec spec = LeafSpec();
  const Bytes big(70000, 0xab);  // long-form lengths
  spec.extensions = {{"1.3.6.1.4.1.62397.1.1", false, {0x04, 0x02, 0xde, 0xad}},
                     {"1.2.840.113741.1.13.1", true, {0x30, 0x00}},
                     {"1.3.6.1.4.1.62397.1.2", false, big},
                     {"1.3.6.1.4.1.62397.1.9", false, {}}};
  spec.key_identifiers = false;
  auto cert = IssueCertificate(spec, key.PublicKey(), nullptr, key);
  ASSERT_TRUE(cert.has_value()) << cert.error().ToString();
  EXPECT_EQ(cert->ExtensionValue("1.3.6.1.4.1.62397.1.1"), (Bytes{0x04, 0x02, 0xde, 0xad}));
  EXPECT_EQ(cert->ExtensionValue("1.2.840.113741.1.13.1"), (Bytes{0x30, 0x00}));
  EXPECT_EQ(cert->ExtensionValue("1.3.6.1.4.1.62397.1.2"), big);
  EXPECT_EQ(cert->ExtensionValue("1.3.6.1.4.1.62397.1.9"), Bytes{});
  EXPECT_EQ(cert->ExtensionValue("1.3.6.1.4.1.62397.1.3"), std::nullopt);
  X509* x = Raw(*cert);
  EXPECT_EQ(X509_get0_subject_key_id(x), nullptr);
  // A self-signed non-CA certificate still carries a valid signature.
  EXPECT_TRUE(cert->VerifySignedBy(*cert).has_value());
  // Critical flag survives.
  ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  const int idx = X509_get_ext_by_OBJ(x, obj, -1);
  ASN1_OBJECT_free(obj);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(x, idx)), 1);
  // DER and PEM round trips.
  auto again = Certificate::FromPem(CertificateToPem(*cert));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->der(), cert->der());
}

TEST(X509BuilderTest, DefaultSerialIsOne) {
  const EcPrivateKey key = NewKey();
  CertificateSpec spec = LeafSpec();
  spec.serial.clear();
  auto cert = IssueCertificate(spec, key.PublicKey(), nullptr, key);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->SerialNumber(), Bytes{1});
  spec.serial = {0x00, 0x00, 0x80};  // leading zeros stripped, top bit handled
  cert = IssueCertificate(spec, key.PublicKey(), nullptr, key);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->SerialNumber(), Bytes{0x80});
}

TEST(X509BuilderTest, PemFormat) {
  const Pki p = MakePki();
  const std::string pem = CertificateToPem(p.leaf);
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_TRUE(pem.ends_with("\n-----END CERTIFICATE-----\n"));
  size_t start = pem.find('\n') + 1;
  while (true) {
    const size_t nl = pem.find('\n', start);
    if (pem.compare(start, 5, "-----") == 0) break;
    EXPECT_LE(nl - start, 64u);
    start = nl + 1;
  }
  auto chain = ParsePemChain(pem + CertificateToPem(p.inter));
  ASSERT_TRUE(chain.has_value());
  EXPECT_EQ(chain->size(), 2u);
}

TEST(X509BuilderTest, Rejections) {
  const Pki p = MakePki();
  const EcPrivateKey key = NewKey();
  auto issue = [&](const CertificateSpec& spec, const Certificate* issuer,
                   const EcPrivateKey& ikey) {
    return IssueCertificate(spec, key.PublicKey(), issuer, ikey);
  };
  auto expect_invalid = [](const Result<Certificate>& r, std::string_view needle) {
    ASSERT_FALSE(r.has_value()) << needle;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << r.error().ToString();
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().ToString();
  };

  CertificateSpec spec = LeafSpec();
  spec.not_after = spec.not_before - 1;
  expect_invalid(issue(spec, &p.inter, p.inter_key), "not_after");

  expect_invalid(issue(LeafSpec(), &p.leaf, p.leaf_key), "not a CA");
  expect_invalid(issue(LeafSpec(), &p.inter, p.root_key), "issuer key does not match");
  expect_invalid(issue(LeafSpec(), nullptr, p.root_key), "self-signed");

  spec = LeafSpec();
  spec.extensions = {{"1.3.6.1.4.1.62397.1.1", false, {}}, {"1.3.6.1.4.1.62397.1.1", false, {}}};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "duplicate extension");
  spec.extensions = {{"2.5.29.17", false, {0x30, 0x00}}};  // SAN already added from dns_names
  expect_invalid(issue(spec, &p.inter, p.inter_key), "duplicate extension");
  for (const char* bad : {"1", "3.1", "1.2.", "1..2", "1.2.x", "", "1.40.1"}) {
    spec.extensions = {{bad, false, {}}};
    auto r = issue(spec, &p.inter, p.inter_key);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kInvalidArgument) << bad;
    }
  }

  for (const char* bad : {"1.2.3", "256.0.0.1", "localhost", "::g", "", "1.2.3.4/8"}) {
    spec = LeafSpec();
    spec.ip_addresses = {bad};
    expect_invalid(issue(spec, &p.inter, p.inter_key), "IP address");
  }

  spec = LeafSpec();
  spec.subject = {{"CNN", "x"}};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "attribute");
  spec.subject = {{"2.5.4.3", "x"}};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "attribute");
  spec.subject = {{"C", "USA"}};  // countryName is exactly two letters
  expect_invalid(issue(spec, &p.inter, p.inter_key), "attribute");

  spec = LeafSpec();
  spec.serial = {0x00};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "serial");
  spec.serial = Bytes(21, 0x01);
  expect_invalid(issue(spec, &p.inter, p.inter_key), "serial");

  spec = LeafSpec();
  spec.path_len = 1;
  expect_invalid(issue(spec, &p.inter, p.inter_key), "path_len");
  spec = LeafSpec();
  spec.extended_key_usage = {"codeSigning"};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "extended key usage");
  spec = LeafSpec();
  spec.dns_names = {
      "b\xc3\xa4"
      "d.example"};
  expect_invalid(issue(spec, &p.inter, p.inter_key), "DNS name");

  // A CA whose keyUsage lacks keyCertSign cannot issue.
  CertificateSpec weak = CaSpec("No certsign", {0x20});
  weak.key_cert_sign = false;
  weak.digital_signature = true;
  const EcPrivateKey weak_key = NewKey();
  auto weak_ca = IssueCertificate(weak, weak_key.PublicKey(), &p.root, p.root_key);
  ASSERT_TRUE(weak_ca.has_value());
  expect_invalid(issue(LeafSpec(), &*weak_ca, weak_key), "keyCertSign");
}

TEST(X509BuilderTest, LateDatesUseGeneralizedTime) {
  const EcPrivateKey key = NewKey();
  CertificateSpec spec = LeafSpec();
  spec.not_after = 4102444800;  // 2100-01-01
  auto cert = IssueCertificate(spec, key.PublicKey(), nullptr, key);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->NotAfter(), 4102444800);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(Raw(*cert))), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(Raw(*cert))), V_ASN1_UTCTIME);
}

TEST(X509BuilderTest, CrlRevokesAndVerifies) {
  const Pki p = MakePki();
  CrlSpec spec;
  spec.this_update = kStart;
  spec.next_update = kStart + 86400 * 30;
  spec.crl_number = {0x07};
  spec.revoked_serials = {p.leaf.SerialNumber(), {0x55, 0x66}};
  spec.revocation_time = kStart - 100;
  auto crl = IssueCrl(spec, p.inter, p.inter_key);
  ASSERT_TRUE(crl.has_value()) << crl.error().ToString();
  EXPECT_TRUE(crl->IsRevoked(p.leaf.SerialNumber()));
  EXPECT_TRUE(crl->IsRevoked(Bytes{0x00, 0x55, 0x66}));
  EXPECT_FALSE(crl->IsRevoked(Bytes{0x01}));
  EXPECT_EQ(crl->ThisUpdate(), kStart);
  EXPECT_EQ(crl->NextUpdate(), kStart + 86400 * 30);
  EXPECT_EQ(crl->IssuerNameDer(), p.inter.SubjectNameDer());
  auto s = crl->VerifySignedBy(p.inter);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_FALSE(crl->VerifySignedBy(p.root).has_value());
  auto* x = static_cast<X509_CRL*>(crl->native());
  EXPECT_EQ(X509_CRL_get_version(x), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_CRL_get_signature_nid(x), NID_ecdsa_with_SHA256);
  auto* number =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(x, NID_crl_number, nullptr, nullptr));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number), 7);
  ASN1_INTEGER_free(number);

  // P-384 root signs its CRL with SHA-384; an empty CRL is fine.
  CrlSpec empty;
  empty.this_update = kStart;
  empty.next_update = kEnd;
  auto root_crl = IssueCrl(empty, p.root, p.root_key);
  ASSERT_TRUE(root_crl.has_value());
  EXPECT_EQ(X509_CRL_get_signature_nid(static_cast<X509_CRL*>(root_crl->native())),
            NID_ecdsa_with_SHA384);
  EXPECT_TRUE(root_crl->VerifySignedBy(p.root).has_value());
  EXPECT_FALSE(root_crl->IsRevoked(p.leaf.SerialNumber()));

  auto again = Crl::FromPem(CrlToPem(*crl));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->der(), crl->der());
}

TEST(X509BuilderTest, CrlRejections) {
  const Pki p = MakePki();
  CrlSpec spec;
  spec.this_update = kStart;
  spec.next_update = kStart - 1;
  EXPECT_FALSE(IssueCrl(spec, p.inter, p.inter_key).has_value());
  spec.next_update = kEnd;
  EXPECT_FALSE(IssueCrl(spec, p.leaf, p.leaf_key).has_value());   // not a CA
  EXPECT_FALSE(IssueCrl(spec, p.inter, p.root_key).has_value());  // wrong key
  spec.revoked_serials = {{0x01}, {0x00, 0x01}};
  EXPECT_FALSE(IssueCrl(spec, p.inter, p.inter_key).has_value());  // duplicate serial
  spec.revoked_serials.clear();
  spec.crl_number = {0x00};
  EXPECT_FALSE(IssueCrl(spec, p.inter, p.inter_key).has_value());
  // A CA without cRLSign cannot sign CRLs.
  CertificateSpec ca = CaSpec("No crlsign", {0x21});
  ca.crl_sign = false;
  const EcPrivateKey k = NewKey();
  auto cert = IssueCertificate(ca, k.PublicKey(), &p.root, p.root_key);
  ASSERT_TRUE(cert.has_value());
  spec.crl_number.clear();
  auto r = IssueCrl(spec, *cert, k);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("cRLSign"), std::string::npos);
}

}  // namespace
}  // namespace teecloud::crypto
