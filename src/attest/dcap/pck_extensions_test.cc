#include "attest/dcap/pck_extensions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "attest/dcap/collateral.h"
#include "base/bytes.h"
#include "base/json.h"
#include "crypto/der.h"
#include "crypto/x509.h"
#include "testing/testing.h"

namespace teecloud::attest::dcap {
namespace {

using ::testing::HasSubstr;

// Every TDX/SGX vector whose quote carries a PEM PCK chain.
const std::vector<std::string> kQuoteVectors = {
    "tdx/t1-dcapqvl-v4",   "tdx/t2-dcapqvl-v5",         "tdx/t3-near-v4",
    "tdx/t4-gcp-v4",       "tdx/t5-spr-v4-nolevel",     "tdx/t6-gotdx-v5",
    "tdx/t7-gcp-ccel",     "tdx/t8-dstack-ratls",       "tdx/t8-dstack-tdxquote-hex",
    "tdx/t8-dstack-tappd", "tdx/t8-dstack-guest-agent", "sgx/s1-dcapqvl-v3",
};

bool VectorFileExists(const std::string& rel) {
  return std::ifstream(testing::VectorPath(rel)).good();
}

// The PCK chain in the quote's certification data (type 5): PEM text, sometimes
// NUL-terminated, followed by trailing bytes. ParsePemChain stops at the first NUL.
crypto::Certificate PckLeaf(const std::string& vector) {
  const Bytes quote = testing::ReadVector(vector + "/quote.bin");
  const std::string_view text = AsStringView(quote);
  const size_t begin = text.find("-----BEGIN CERTIFICATE-----");
  EXPECT_NE(begin, std::string_view::npos) << vector;
  auto chain = crypto::ParsePemChain(text.substr(begin));
  EXPECT_TRUE(chain.has_value()) << vector << ": " << chain.error().ToString();
  EXPECT_EQ(chain->size(), 3u) << vector;  // PCK leaf, PCK CA, Intel SGX Root CA
  return chain->front();
}

// ---- Vectors ---------------------------------------------------------------------------------

TEST(PckExtensionsVectors, MatchExpectedAndTcbInfo) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const std::string& v : kQuoteVectors) {
    SCOPED_TRACE(v);
    const crypto::Certificate leaf = PckLeaf(v);
    auto ext = PckExtensionsFromCertificate(leaf);
    ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
    EXPECT_EQ(ext->ppid.size(), 16u);
    EXPECT_EQ(ext->cpu_svn.size(), 16u);
    EXPECT_EQ(ext->pce_id, Bytes({0, 0}));
    EXPECT_EQ(ext->fmspc.size(), 6u);
    auto ca = PckCaKindFromIssuer(leaf);
    ASSERT_TRUE(ca.has_value()) << ca.error().ToString();
    // Platform CA certificates carry PlatformInstanceID and Configuration; Processor CA ones
    // do not.
    EXPECT_EQ(ext->platform_instance_id.has_value(), *ca == PckCaKind::kPlatform);
    EXPECT_EQ(ext->configuration.has_value(), *ca == PckCaKind::kPlatform);

    if (VectorFileExists(v + "/collateral.json")) {
      // The platform's FMSPC selects its TCB info: they must be the same bytes (t3 writes the
      // TCB info's FMSPC in lower case).
      auto c = ParseCollateral(testing::ReadVectorText(v + "/collateral.json"));
      ASSERT_TRUE(c.has_value());
      auto tcb = ParseTcbInfo(c->tcb_info);
      ASSERT_TRUE(tcb.has_value());
      EXPECT_EQ(ext->fmspc, tcb->fmspc);
      EXPECT_EQ(ext->pce_id, tcb->pce_id);
    }

    if (!VectorFileExists(v + "/expected.json")) continue;
    auto expected_json = ParseJson(testing::ReadVectorText(v + "/expected.json"));
    ASSERT_TRUE(expected_json.has_value());
    const Json& expected = *expected_json;
    const Json& d = expected["details"];
    EXPECT_EQ(ToHex(ext->fmspc), expected["fmspc"].get<std::string>());
    EXPECT_EQ(ToHex(ext->ppid), d["ppid"].get<std::string>());
    EXPECT_EQ(ext->pce_svn, d["pcesvn"].get<int>());
    const Json& svns = d["sgx_tcb_comp_svns"];
    ASSERT_EQ(svns.size(), 16u);
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(ext->tcb_components[i], svns[i].get<int>()) << i;
    if (d.contains("cpusvn") && d["cpusvn"].is_string()) {
      EXPECT_EQ(ToHex(ext->cpu_svn), d["cpusvn"].get<std::string>());
    }
    if (d.contains("pceid") && d["pceid"].is_string()) {
      EXPECT_EQ(ToHex(ext->pce_id), d["pceid"].get<std::string>());
    }
    const std::string pck_ca = d["pck_ca"].get<std::string>();
    EXPECT_EQ(*ca,
              pck_ca == "Intel SGX PCK Platform CA" ? PckCaKind::kPlatform : PckCaKind::kProcessor);
  }
}

TEST(PckExtensionsVectors, T1Platform) {
  TEECLOUD_REQUIRE_VECTORS();
  const crypto::Certificate leaf = PckLeaf("tdx/t1-dcapqvl-v4");
  auto ca = PckCaKindFromIssuer(leaf);
  ASSERT_TRUE(ca.has_value()) << ca.error().ToString();
  EXPECT_EQ(*ca, PckCaKind::kPlatform);
  EXPECT_STREQ(PckCaKindName(*ca), "platform");
  auto ext = PckExtensionsFromCertificate(leaf);
  ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
  EXPECT_EQ(ToHex(ext->fmspc), "b0c06f000000");
  EXPECT_EQ(ext->tcb_components,
            (std::array<uint8_t, 16>{3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ext->pce_svn, 11);
  EXPECT_EQ(ext->sgx_type, kSgxTypeScalable);
  ASSERT_TRUE(ext->configuration.has_value());
  EXPECT_EQ(ext->configuration->dynamic_platform, true);
  EXPECT_EQ(ext->configuration->cached_keys, true);
  EXPECT_EQ(ext->configuration->smt_enabled, true);
}

TEST(PckExtensionsVectors, S1Processor) {
  TEECLOUD_REQUIRE_VECTORS();
  const crypto::Certificate leaf = PckLeaf("sgx/s1-dcapqvl-v3");
  auto ca = PckCaKindFromIssuer(leaf);
  ASSERT_TRUE(ca.has_value()) << ca.error().ToString();
  EXPECT_EQ(*ca, PckCaKind::kProcessor);
  EXPECT_STREQ(PckCaKindName(*ca), "processor");
  auto ext = PckExtensionsFromCertificate(leaf);
  ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
  // Component SVN 5 is 255 and CPUSVN bytes differ from the components: the components must
  // come from the extension.
  EXPECT_EQ(ext->tcb_components[4], 255);
  EXPECT_EQ(ToHex(ext->cpu_svn), "0b0b0202ff0100000000000000000000");
  EXPECT_EQ(ext->sgx_type, kSgxTypeStandard);
}

TEST(PckExtensionsVectors, TruncatedExtensionNeverParses) {
  TEECLOUD_REQUIRE_VECTORS();
  const crypto::Certificate leaf = PckLeaf("tdx/t1-dcapqvl-v4");
  std::optional<Bytes> value = leaf.ExtensionValue(kSgxExtensionsOid);
  ASSERT_TRUE(value.has_value());
  ASSERT_TRUE(ParsePckExtensions(*value).has_value());
  for (size_t n = 0; n < value->size(); ++n) {
    EXPECT_FALSE(ParsePckExtensions(ByteView(value->data(), n)).has_value()) << n;
  }
  // Every single-byte corruption is handled without crashing (many still parse: SVN values).
  for (size_t i = 0; i < value->size(); ++i) {
    Bytes flipped = *value;
    flipped[i] ^= 0x80;
    (void)ParsePckExtensions(flipped);
  }
}

TEST(PckExtensionsVectors, NonPckCertificates) {
  TEECLOUD_REQUIRE_VECTORS();
  auto root = crypto::Certificate::FromPem(testing::ReadVectorText(
      "trust-anchors/intel/Intel_SGX_Provisioning_Certification_RootCA.pem"));
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  auto ext = PckExtensionsFromCertificate(*root);
  ASSERT_FALSE(ext.has_value());
  EXPECT_EQ(ext.error().code, Code::kNotFound);
  auto ca = PckCaKindFromIssuer(*root);
  ASSERT_FALSE(ca.has_value());
  EXPECT_THAT(ca.error().message, HasSubstr("\"Intel SGX Root CA\" is not an Intel SGX PCK CA"));
}

// ---- Synthetic DER ---------------------------------------------------------------------------

Bytes Tlv(uint8_t tag, const Bytes& contents) {
  Bytes out{tag};
  const size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

Bytes Oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t v = 0;
  for (char c : dotted) {
    if (c == '.') {
      arcs.push_back(v);
      v = 0;
    } else {
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  arcs.push_back(v);
  Bytes contents;
  auto base128 = [&contents](uint64_t x) {
    Bytes tmp{static_cast<uint8_t>(x & 0x7f)};
    for (x >>= 7; x > 0; x >>= 7) tmp.insert(tmp.begin(), static_cast<uint8_t>(0x80 | (x & 0x7f)));
    contents.insert(contents.end(), tmp.begin(), tmp.end());
  };
  base128(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) base128(arcs[i]);
  return Tlv(crypto::kDerOid, contents);
}

Bytes Int(uint64_t v, uint8_t tag = crypto::kDerInteger) {
  Bytes contents;
  do {
    contents.insert(contents.begin(), static_cast<uint8_t>(v & 0xff));
    v >>= 8;
  } while (v > 0);
  if (contents[0] & 0x80) contents.insert(contents.begin(), 0);  // keep it non-negative
  return Tlv(tag, contents);
}

Bytes Seq(const std::vector<Bytes>& items) {
  Bytes contents;
  for (const Bytes& i : items) contents.insert(contents.end(), i.begin(), i.end());
  return Tlv(crypto::kDerSequence, contents);
}

Bytes Entry(const std::string& oid, const Bytes& value) { return Seq({Oid(oid), value}); }

const std::string kSgx = "1.2.840.113741.1.13.1";

struct Spec {
  std::vector<int> svns = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 200};
  uint64_t pce_svn = 300;
  Bytes fmspc = {0xb0, 0xc0, 0x6f, 0, 0, 0};
  bool with_fmspc = true;
  bool duplicate_ppid = false;
  bool unknown_member = false;
  bool with_configuration = false;
};

Bytes BuildExtension(const Spec& s) {
  std::vector<Bytes> tcb;
  for (int i = 0; i < 16; ++i) {
    tcb.push_back(Entry(kSgx + ".2." + std::to_string(i + 1), Int(s.svns[i])));
  }
  tcb.push_back(Entry(kSgx + ".2.17", Int(s.pce_svn)));
  tcb.push_back(Entry(kSgx + ".2.18", Tlv(crypto::kDerOctetString, Bytes(16, 0x07))));
  std::vector<Bytes> top;
  top.push_back(Entry(kSgx + ".1", Tlv(crypto::kDerOctetString, Bytes(16, 0xaa))));
  if (s.duplicate_ppid) {
    top.push_back(Entry(kSgx + ".1", Tlv(crypto::kDerOctetString, Bytes(16, 0xbb))));
  }
  top.push_back(Entry(kSgx + ".2", Seq(tcb)));
  top.push_back(Entry(kSgx + ".3", Tlv(crypto::kDerOctetString, {0x01, 0x00})));
  if (s.with_fmspc) top.push_back(Entry(kSgx + ".4", Tlv(crypto::kDerOctetString, s.fmspc)));
  top.push_back(Entry(kSgx + ".5", Int(0, crypto::kDerEnumerated)));
  if (s.unknown_member) top.push_back(Entry(kSgx + ".99", Tlv(0x05, {})));
  if (s.with_configuration) {
    top.push_back(Entry(kSgx + ".7", Seq({Entry(kSgx + ".7.1", Tlv(0x01, {0x00})),
                                          Entry(kSgx + ".7.3", Tlv(0x01, {0xff}))})));
  }
  return Seq(top);
}

std::string ExtensionError(const Bytes& der) {
  auto ext = ParsePckExtensions(der);
  EXPECT_FALSE(ext.has_value());
  return ext ? "" : ext.error().message;
}

TEST(ParsePckExtensions, Synthetic) {
  Spec s;
  s.unknown_member = true;
  s.with_configuration = true;
  auto ext = ParsePckExtensions(BuildExtension(s));
  ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
  EXPECT_EQ(ext->ppid, Bytes(16, 0xaa));
  EXPECT_EQ(ext->tcb_components[7], 5);
  EXPECT_EQ(ext->tcb_components[15], 200);  // 0x00C8: needs the leading zero octet
  EXPECT_EQ(ext->pce_svn, 300);
  EXPECT_EQ(ext->cpu_svn, Bytes(16, 0x07));
  EXPECT_EQ(ext->pce_id, Bytes({0x01, 0x00}));
  EXPECT_EQ(ext->fmspc, Bytes({0xb0, 0xc0, 0x6f, 0, 0, 0}));
  EXPECT_EQ(ext->sgx_type, kSgxTypeStandard);
  EXPECT_FALSE(ext->platform_instance_id.has_value());
  ASSERT_TRUE(ext->configuration.has_value());
  EXPECT_EQ(ext->configuration->dynamic_platform, false);
  EXPECT_FALSE(ext->configuration->cached_keys.has_value());
  EXPECT_EQ(ext->configuration->smt_enabled, true);
}

TEST(ParsePckExtensions, RejectsMissingFmspc) {
  Spec s;
  s.with_fmspc = false;
  EXPECT_THAT(ExtensionError(BuildExtension(s)), HasSubstr("missing FMSPC"));
}

TEST(ParsePckExtensions, RejectsWrongFmspcSize) {
  Spec s;
  s.fmspc = {0xb0, 0xc0, 0x6f};
  EXPECT_THAT(ExtensionError(BuildExtension(s)), HasSubstr("(FMSPC): expected 6 bytes, got 3"));
}

TEST(ParsePckExtensions, RejectsDuplicate) {
  Spec s;
  s.duplicate_ppid = true;
  EXPECT_THAT(ExtensionError(BuildExtension(s)), HasSubstr("duplicate"));
}

TEST(ParsePckExtensions, RejectsOutOfRangeSvns) {
  Spec s;
  s.svns[2] = 256;
  EXPECT_THAT(ExtensionError(BuildExtension(s)), HasSubstr("256 exceeds 255"));
  s = Spec();
  s.pce_svn = 65536;
  EXPECT_THAT(ExtensionError(BuildExtension(s)), HasSubstr("65536 exceeds 65535"));
}

TEST(ParsePckExtensions, RejectsMissingTcbEntry) {
  // A TCB SEQUENCE with only 17 entries (no CPUSVN).
  std::vector<Bytes> tcb;
  for (int i = 1; i <= 17; ++i) tcb.push_back(Entry(kSgx + ".2." + std::to_string(i), Int(1)));
  Bytes der =
      Seq({Entry(kSgx + ".1", Tlv(crypto::kDerOctetString, Bytes(16, 0))),
           Entry(kSgx + ".2", Seq(tcb)), Entry(kSgx + ".3", Tlv(crypto::kDerOctetString, {0, 0})),
           Entry(kSgx + ".4", Tlv(crypto::kDerOctetString, Bytes(6, 0))),
           Entry(kSgx + ".5", Int(1, crypto::kDerEnumerated))});
  EXPECT_THAT(ExtensionError(der), HasSubstr("missing " + kSgx + ".2.18"));
}

TEST(ParsePckExtensions, RejectsWrongTypes) {
  // SGX Type as INTEGER instead of ENUMERATED.
  Bytes der = Seq({Entry(kSgx + ".5", Int(1))});
  EXPECT_THAT(ExtensionError(der), HasSubstr("expected an ENUMERATED"));
  // PPID as INTEGER.
  der = Seq({Entry(kSgx + ".1", Int(1))});
  EXPECT_THAT(ExtensionError(der), HasSubstr("expected an OCTET STRING"));
  // TCB as OCTET STRING.
  der = Seq({Entry(kSgx + ".2", Tlv(crypto::kDerOctetString, {}))});
  EXPECT_THAT(ExtensionError(der), HasSubstr("TCB: expected a SEQUENCE"));
}

TEST(ParsePckExtensions, RejectsStructuralDamage) {
  const Bytes good = BuildExtension(Spec());
  // Trailing data after the SEQUENCE.
  Bytes trailing = good;
  trailing.push_back(0x00);
  EXPECT_THAT(ExtensionError(trailing), HasSubstr("trailing data"));
  // Not a SEQUENCE at all.
  EXPECT_FALSE(ParsePckExtensions(Tlv(crypto::kDerOctetString, good)).has_value());
  EXPECT_FALSE(ParsePckExtensions({}).has_value());
  // An entry with a third element.
  Bytes der = Seq({Seq({Oid(kSgx + ".1"), Tlv(crypto::kDerOctetString, Bytes(16, 0)), Int(1)})});
  EXPECT_THAT(ExtensionError(der), HasSubstr("trailing data after the value"));
  // Every truncation fails cleanly.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParsePckExtensions(ByteView(good.data(), n)).has_value()) << n;
  }
}

}  // namespace
}  // namespace teecloud::attest::dcap
