#include "attest/dcap/quote.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::attest::dcap {
namespace {

// ---------------------------------------------------------------------------------------------
// Synthetic quotes: the layout of quote.h built field by field, so these tests need no vectors.

constexpr char kFakePem[] = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

struct Synth {
  uint16_t version = 4;
  uint16_t att_key_type = kAttestationKeyTypeEcdsaP256;
  uint32_t tee_type = kTeeTypeTdx;
  uint16_t body_type = kBodyTypeTdx10;               // v5 descriptor only
  std::optional<uint32_t> body_size = std::nullopt;  // v5 descriptor; default = the type's size
  uint16_t outer_cert_type = 6;                      // v4/v5
  uint16_t cert_type = 5;
  Bytes cert_data = ToBytes(std::string_view(kFakePem, sizeof(kFakePem)));  // NUL-terminated
  size_t qe_auth_len = 32;
  size_t trailing = 0;
};

size_t BodySizeOf(uint16_t body_type) {
  return body_type == kBodyTypeSgx     ? kSgxReportBodySize
         : body_type == kBodyTypeTdx10 ? kTdx10ReportBodySize
                                       : kTdx15ReportBodySize;
}

// Body byte i = (7 * i + 1) mod 256, so every field has a recognizable, offset-dependent value.
Bytes PatternBody(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(7 * i + 1);
  return b;
}

Bytes Filled(size_t n, uint8_t v) { return Bytes(n, v); }

Bytes BuildQuote(const Synth& s) {
  ByteWriter w;
  w.U16Le(s.version);
  w.U16Le(s.att_key_type);
  w.U32Le(s.tee_type);
  w.U16Le(0x0b);  // qe svn
  w.U16Le(0x0d);  // pce svn
  w.Append(kIntelQeVendorId);
  w.Append(Filled(20, 0xee));  // user data
  uint16_t body_type = s.body_type;
  if (s.version == 5) {
    w.U16Le(s.body_type);
    w.U32Le(s.body_size.value_or(static_cast<uint32_t>(BodySizeOf(s.body_type))));
  } else {
    body_type = s.tee_type == kTeeTypeTdx ? kBodyTypeTdx10 : kBodyTypeSgx;
  }
  w.Append(PatternBody(BodySizeOf(body_type)));

  ByteWriter qe;  // QE report certification data
  Bytes qe_report = Filled(kSgxReportBodySize, 0x51);
  qe_report[256] = 0x02;  // QE isv_prod_id = 2 (u16 LE)
  qe_report[257] = 0x00;
  qe_report[258] = 0x06;  // QE isv_svn = 6 (u16 LE)
  qe_report[259] = 0x00;
  qe.Append(qe_report);
  qe.Append(Filled(64, 0x52));  // QE report signature
  qe.U16Le(static_cast<uint16_t>(s.qe_auth_len));
  qe.Append(Filled(s.qe_auth_len, 0x53));
  qe.U16Le(s.cert_type);
  qe.U32Le(static_cast<uint32_t>(s.cert_data.size()));
  qe.Append(s.cert_data);

  ByteWriter sig;
  sig.Append(Filled(64, 0x41));  // quote signature
  sig.Append(Filled(64, 0x42));  // attestation key
  if (s.version == 3) {
    sig.Append(qe.bytes());
  } else {
    sig.U16Le(s.outer_cert_type);
    sig.U32Le(static_cast<uint32_t>(qe.bytes().size()));
    sig.Append(qe.bytes());
  }
  w.U32Le(static_cast<uint32_t>(sig.bytes().size()));
  w.Append(sig.bytes());
  w.Zeros(s.trailing);
  return w.Take();
}

// Offset of the u32 signature data length in a synthetic or real quote.
size_t AuthLenOffset(const Quote& q) { return q.signed_region.size(); }

void PutU32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutU16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}

std::string ErrorOf(const Result<Quote>& r) {
  return r ? std::string("(parsed)") : r.error().message;
}

TEST(QuoteSynthetic, MinimalV4TdxParses) {
  Bytes bytes = BuildQuote({});
  auto q = ParseQuote(bytes);
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->header.tee_type, kTeeTypeTdx);
  EXPECT_EQ(q->header.qe_vendor_id, kIntelQeVendorId);
  EXPECT_EQ(q->body_type, kBodyTypeTdx10);
  ASSERT_TRUE(q->is_tdx());
  EXPECT_FALSE(q->sgx_body);
  EXPECT_EQ(q->signed_region, Bytes(bytes.begin(), bytes.begin() + 632));
  const Bytes body = PatternBody(kTdx10ReportBodySize);
  // TD Quote Body offsets: MRTD at 136, RTMR0 at 328, REPORTDATA at 520.
  EXPECT_EQ(ToHex(q->tdx_body->mr_td), ToHex(ByteView(body).subspan(136, 48)));
  EXPECT_EQ(ToHex(q->tdx_body->rtmr[0]), ToHex(ByteView(body).subspan(328, 48)));
  EXPECT_EQ(ToHex(q->report_data()), ToHex(ByteView(body).subspan(520, 64)));
  EXPECT_FALSE(q->tdx_body->tee_tcb_svn2);
  EXPECT_EQ(ToHex(q->signature), ToHex(Filled(64, 0x41)));
  EXPECT_EQ(q->attestation_key[63], 0x42);
  EXPECT_EQ(q->qe_report_raw.size(), kSgxReportBodySize);
  EXPECT_EQ(q->qe_report.isv_prod_id, 2);
  EXPECT_EQ(q->qe_report.isv_svn, 6);
  EXPECT_EQ(q->qe_report_signature[0], 0x52);
  EXPECT_EQ(q->qe_auth_data, Bytes(32, 0x53));
  EXPECT_EQ(q->cert_data_type, 5);
  EXPECT_EQ(q->cert_data.size(), sizeof(kFakePem));
  EXPECT_EQ(q->auth_data_size, bytes.size() - 632 - 4);
  EXPECT_EQ(q->trailing_bytes, 0u);
  EXPECT_STREQ(QuotePlatform(*q), "tdx");
}

TEST(QuoteSynthetic, V4SgxParses) {
  auto q = ParseQuote(BuildQuote({.tee_type = kTeeTypeSgx}));
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->body_type, kBodyTypeSgx);
  ASSERT_TRUE(q->sgx_body);
  EXPECT_EQ(q->signed_region.size(), 48 + kSgxReportBodySize);
  EXPECT_STREQ(QuotePlatform(*q), "sgx");
}

TEST(QuoteSynthetic, V3SgxParses) {
  Bytes bytes = BuildQuote({.version = 3, .tee_type = kTeeTypeSgx});
  auto q = ParseQuote(bytes);
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->header.version, 3);
  EXPECT_EQ(q->header.qe_svn, 0x0b);
  EXPECT_EQ(q->header.pce_svn, 0x0d);
  ASSERT_TRUE(q->sgx_body);
  const Bytes body = PatternBody(kSgxReportBodySize);
  // REPORT_BODY offsets: MRENCLAVE 64, MRSIGNER 128, ISVPRODID 256, REPORTDATA 320.
  EXPECT_EQ(ToHex(q->sgx_body->mr_enclave), ToHex(ByteView(body).subspan(64, 32)));
  EXPECT_EQ(ToHex(q->sgx_body->mr_signer), ToHex(ByteView(body).subspan(128, 32)));
  EXPECT_EQ(q->sgx_body->isv_prod_id, body[256] | (body[257] << 8));
  EXPECT_EQ(ToHex(q->report_data()), ToHex(ByteView(body).subspan(320, 64)));
  EXPECT_EQ(q->cert_data_type, 5);
  EXPECT_EQ(q->qe_auth_data.size(), 32u);
}

TEST(QuoteSynthetic, V5AllBodyTypesParse) {
  struct Case {
    uint32_t tee;
    uint16_t type;
  };
  for (Case c : {Case{kTeeTypeSgx, kBodyTypeSgx}, Case{kTeeTypeTdx, kBodyTypeTdx10},
                 Case{kTeeTypeTdx, kBodyTypeTdx15}}) {
    Bytes bytes = BuildQuote({.version = 5, .tee_type = c.tee, .body_type = c.type});
    auto q = ParseQuote(bytes);
    ASSERT_TRUE(q) << c.type << ": " << q.error().ToString();
    EXPECT_EQ(q->body_type, c.type);
    EXPECT_EQ(q->signed_region.size(), 48 + 6 + BodySizeOf(c.type));
  }
  auto q = ParseQuote(BuildQuote({.version = 5, .body_type = kBodyTypeTdx15}));
  ASSERT_TRUE(q);
  const Bytes body = PatternBody(kTdx15ReportBodySize);
  ASSERT_TRUE(q->tdx_body->tee_tcb_svn2 && q->tdx_body->mr_service_td);
  EXPECT_EQ(ToHex(*q->tdx_body->tee_tcb_svn2), ToHex(ByteView(body).subspan(584, 16)));
  EXPECT_EQ(ToHex(*q->tdx_body->mr_service_td), ToHex(ByteView(body).subspan(600, 48)));
  Json m = QuoteMeasurements(*q);
  EXPECT_EQ(m["mrservicetd"], ToHex(ByteView(body).subspan(600, 48)));
  EXPECT_EQ(m["tee_tcb_svn2"], ToHex(ByteView(body).subspan(584, 16)));
}

TEST(QuoteSynthetic, TrailingBytesAreCounted) {
  auto q = ParseQuote(BuildQuote({.trailing = 70}));
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->trailing_bytes, 70u);
}

TEST(QuoteSynthetic, OtherInnerCertTypesAreKeptRaw) {
  auto q = ParseQuote(BuildQuote({.cert_type = 3, .cert_data = Bytes{1, 2, 3, 4}}));
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_EQ(q->cert_data_type, 3);
  EXPECT_EQ(q->cert_data, (Bytes{1, 2, 3, 4}));
  OrderedJson j = QuoteToJson(*q);
  EXPECT_EQ(j["cert_data"], "01020304");
  EXPECT_FALSE(j.contains("pck_cert_chain"));
}

TEST(QuoteSynthetic, EmptyQeAuthDataAndCertDataParse) {
  auto q = ParseQuote(BuildQuote({.cert_data = {}, .qe_auth_len = 0}));
  ASSERT_TRUE(q) << q.error().ToString();
  EXPECT_TRUE(q->qe_auth_data.empty());
  EXPECT_TRUE(q->cert_data.empty());
}

TEST(QuoteSynthetic, RejectsBadHeaders) {
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.version = 2}))).find("unsupported version 2"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.version = 6}))).find("unsupported version 6"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.att_key_type = 3}))).find("attestation key type 3"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.tee_type = 0x80}))).find("tee type 0x00000080"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.version = 3, .tee_type = kTeeTypeTdx})))
                .find("version 3 quote with tee type TDX"),
            std::string::npos);
}

TEST(QuoteSynthetic, RejectsBadV5Descriptor) {
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote({.version = 5, .body_type = 4, .body_size = 648})))
                .find("unknown body type 4"),
            std::string::npos);
  for (uint32_t size : {0u, 384u, 584u, 647u, 649u, 0xffffffffu}) {
    auto r = ParseQuote(BuildQuote({.version = 5, .body_type = kBodyTypeTdx15, .body_size = size}));
    EXPECT_NE(ErrorOf(r).find("body descriptor: size " + std::to_string(size)), std::string::npos)
        << ErrorOf(r);
  }
  // Body type and TEE type must agree.
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote(
                        {.version = 5, .tee_type = kTeeTypeSgx, .body_type = kBodyTypeTdx15})))
                .find("does not match tee type"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQuote(BuildQuote(
                        {.version = 5, .tee_type = kTeeTypeTdx, .body_type = kBodyTypeSgx})))
                .find("does not match tee type"),
            std::string::npos);
}

TEST(QuoteSynthetic, RejectsWrongOuterCertificationDataType) {
  auto r = ParseQuote(BuildQuote({.outer_cert_type = 5}));
  EXPECT_NE(ErrorOf(r).find("certification data: type 5, expected 6"), std::string::npos)
      << ErrorOf(r);
}

TEST(QuoteSynthetic, RejectsLengthsPastTheirParent) {
  const Bytes good = BuildQuote({});
  auto q = ParseQuote(good);
  ASSERT_TRUE(q);
  const size_t auth_len_at = AuthLenOffset(*q);
  const size_t outer_at = auth_len_at + 4 + 128;  // u16 type 6, u32 size
  const size_t qe_auth_len_at = outer_at + 6 + 384 + 64;
  const size_t cert_type_at = qe_auth_len_at + 2 + 32;

  Bytes b = good;
  PutU32(b, auth_len_at, q->auth_data_size + 1);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("quote: signature data: size"), std::string::npos);

  b = good;
  PutU32(b, outer_at + 2, 5000);
  const size_t remaining = good.size() - outer_at - 6;
  EXPECT_EQ(ErrorOf(ParseQuote(b)), "quote: certification data: size 5000 exceeds remaining " +
                                        std::to_string(remaining) + " bytes");

  b = good;
  PutU16(b, qe_auth_len_at, 0xffff);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("qe auth data: size 65535 exceeds"), std::string::npos);

  b = good;
  PutU32(b, cert_type_at + 2, 0xffffffff);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("certification data: size 4294967295 exceeds"),
            std::string::npos);
}

TEST(QuoteSynthetic, RejectsSlackInsideDeclaredContainers) {
  // Signature data one byte longer than its content (the extra byte taken from what would
  // otherwise be trailing bytes).
  Bytes b = BuildQuote({.trailing = 1});
  auto q = ParseQuote(b);
  ASSERT_TRUE(q);
  PutU32(b, AuthLenOffset(*q), q->auth_data_size + 1);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("quote: signature data: 1 unparsed bytes"),
            std::string::npos)
      << ErrorOf(ParseQuote(b));

  // Type-6 container one byte longer than the QE report certification data inside it.
  b = BuildQuote({.trailing = 1});
  const size_t auth_len_at = AuthLenOffset(*q);
  PutU32(b, auth_len_at, q->auth_data_size + 1);
  const size_t outer_size_at = auth_len_at + 4 + 128 + 2;
  PutU32(b, outer_size_at, q->auth_data_size - 128 - 6 + 1);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("QE report certification data: 1 unparsed bytes"),
            std::string::npos)
      << ErrorOf(ParseQuote(b));
}

TEST(QuoteSynthetic, EveryTruncationFails) {
  for (Synth s : {Synth{}, Synth{.version = 3, .tee_type = kTeeTypeSgx},
                  Synth{.version = 5, .body_type = kBodyTypeTdx15}}) {
    const Bytes full = BuildQuote(s);
    for (size_t n = 0; n < full.size(); ++n) {
      EXPECT_FALSE(ParseQuote(ByteView(full).first(n))) << "v" << s.version << " len " << n;
    }
  }
}

TEST(QuoteSynthetic, MeasurementsSgx) {
  auto q = ParseQuote(BuildQuote({.version = 3, .tee_type = kTeeTypeSgx}));
  ASSERT_TRUE(q);
  const Bytes body = PatternBody(kSgxReportBodySize);
  Json m = QuoteMeasurements(*q);
  for (const char* key : {"mrenclave", "mrsigner", "report_data", "isv_prod_id", "isv_svn",
                          "attributes", "misc_select", "cpu_svn", "config_svn"}) {
    EXPECT_TRUE(m.contains(key)) << key;
  }
  EXPECT_EQ(m.size(), 9u);
  // Raw little-endian bytes, exactly as in the report (offsets 256, 258, 16, 260).
  EXPECT_EQ(m["isv_prod_id"], ToHex(ByteView(body).subspan(256, 2)));
  EXPECT_EQ(m["isv_svn"], ToHex(ByteView(body).subspan(258, 2)));
  EXPECT_EQ(m["misc_select"], ToHex(ByteView(body).subspan(16, 4)));
  EXPECT_EQ(m["config_svn"], ToHex(ByteView(body).subspan(260, 2)));
  EXPECT_EQ(m["attributes"], ToHex(ByteView(body).subspan(48, 16)));
}

TEST(QuoteSynthetic, MeasurementsTdx10) {
  auto q = ParseQuote(BuildQuote({}));
  ASSERT_TRUE(q);
  Json m = QuoteMeasurements(*q);
  for (const char* key : {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "report_data", "mrconfigid",
                          "mrowner", "mrownerconfig", "mrseam", "mrsignerseam", "seam_attributes",
                          "td_attributes", "xfam", "tee_tcb_svn"}) {
    EXPECT_TRUE(m.contains(key)) << key;
  }
  EXPECT_EQ(m.size(), 15u);
  const Bytes body = PatternBody(kTdx10ReportBodySize);
  EXPECT_EQ(m["td_attributes"], ToHex(ByteView(body).subspan(120, 8)));
  EXPECT_EQ(m["xfam"], ToHex(ByteView(body).subspan(128, 8)));
  EXPECT_EQ(m["rtmr3"], ToHex(ByteView(body).subspan(472, 48)));
}

TEST(QuoteSynthetic, JsonHasEveryPart) {
  auto q = ParseQuote(BuildQuote({.trailing = 3}));
  ASSERT_TRUE(q);
  OrderedJson j = QuoteToJson(*q);
  EXPECT_EQ(j["platform"], "tdx");
  EXPECT_EQ(j["header"]["version"], 4);
  EXPECT_EQ(j["header"]["tee_type"], "0x00000081");
  EXPECT_EQ(j["header"]["qe_vendor_id"], "939a7233f79c4ca9940a0db3957f0607");
  EXPECT_EQ(j["body_type"], 2);
  EXPECT_EQ(j["body_size"], 584);
  EXPECT_EQ(j["body"]["mrtd"], ToHex(q->tdx_body->mr_td));
  EXPECT_EQ(j["signed_region"], OrderedJson::array({0, 632}));
  EXPECT_EQ(j["auth_data_size"], q->auth_data_size);
  std::string sig_hex;
  for (int i = 0; i < 64; ++i) sig_hex += "41";
  EXPECT_EQ(j["signature"], sig_hex);
  EXPECT_EQ(j["attestation_key"], ToHex(q->attestation_key));
  EXPECT_EQ(j["qe_report"]["isv_prod_id"], 2);
  EXPECT_EQ(j["qe_report"]["isv_svn"], 6);
  EXPECT_EQ(j["qe_report_signature"], ToHex(q->qe_report_signature));
  EXPECT_EQ(j["qe_auth_data"], ToHex(q->qe_auth_data));
  EXPECT_EQ(j["cert_data_type"], 5);
  EXPECT_EQ(j["cert_data_size"], sizeof(kFakePem));
  // The NUL terminator is dropped from the displayed PEM text.
  EXPECT_EQ(j["pck_cert_chain"], std::string(kFakePem));
  EXPECT_EQ(j["trailing_bytes"], 3);
  EXPECT_FALSE(DumpJson(j, 2).empty());
}

// ---------------------------------------------------------------------------------------------
// Real quotes from ../shared/vectors.

std::vector<std::string> VectorQuotes() {
  std::vector<std::string> out;
  for (const char* group : {"tdx", "sgx", "eventlog"}) {
    const std::filesystem::path dir = testing::VectorPath(group);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (std::filesystem::exists(entry.path() / "quote.bin")) {
        out.push_back(std::string(group) + "/" + entry.path().filename().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Json ReadExpected(const std::string& dir) {
  if (!std::filesystem::exists(testing::VectorPath(dir + "/expected.json"))) return Json();
  auto j = ParseJson(testing::ReadVectorText(dir + "/expected.json"));
  EXPECT_TRUE(j) << dir << ": " << j.error().ToString();
  return j ? *j : Json();
}

TEST(QuoteVectors, EveryQuoteParses) {
  TEECLOUD_REQUIRE_VECTORS();
  const auto dirs = VectorQuotes();
  EXPECT_GE(dirs.size(), 14u);
  for (const auto& dir : dirs) {
    Bytes bytes = testing::ReadVector(dir + "/quote.bin");
    auto q = ParseQuote(bytes);
    ASSERT_TRUE(q) << dir << ": " << q.error().ToString();
    EXPECT_EQ(q->cert_data_type, 5) << dir;
    EXPECT_EQ(q->header.qe_vendor_id, kIntelQeVendorId) << dir;
    EXPECT_EQ(q->signed_region.size() + 4 + q->auth_data_size + q->trailing_bytes, bytes.size())
        << dir;
    EXPECT_FALSE(DumpJson(QuoteToJson(*q)).empty()) << dir;
  }
}

TEST(QuoteVectors, V5QuotesAreTdx15) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const char* dir : {"tdx/t2-dcapqvl-v5", "tdx/t6-gotdx-v5"}) {
    auto q = ParseQuote(testing::ReadVector(std::string(dir) + "/quote.bin"));
    ASSERT_TRUE(q) << dir << ": " << q.error().ToString();
    EXPECT_EQ(q->header.version, 5) << dir;
    EXPECT_EQ(q->body_type, kBodyTypeTdx15) << dir;
    EXPECT_EQ(q->signed_region.size(), 702u) << dir;
    EXPECT_TRUE(q->tdx_body->mr_service_td) << dir;
  }
}

// expected.json "measurements" and the parser-visible "details" (see vectors README).
TEST(QuoteVectors, MatchExpectedJson) {
  TEECLOUD_REQUIRE_VECTORS();
  int checked = 0;
  for (const auto& dir : VectorQuotes()) {
    const Json e = ReadExpected(dir);
    if (!e.is_object()) continue;
    ++checked;
    Bytes bytes = testing::ReadVector(dir + "/quote.bin");
    auto q = ParseQuote(bytes);
    ASSERT_TRUE(q) << dir << ": " << q.error().ToString();

    EXPECT_EQ(q->header.version, e["quote_version"].get<int>()) << dir;
    const Json m = QuoteMeasurements(*q);
    ASSERT_TRUE(e["measurements"].is_object()) << dir;
    for (const auto& [key, value] : e["measurements"].items()) {
      EXPECT_EQ(m.value(key, Json()), value) << dir << ": measurement " << key;
    }

    if (!e.contains("details")) continue;
    const Json& d = e["details"];
    const OrderedJson j = QuoteToJson(*q);
    auto expect_num = [&](const char* key, uint64_t actual) {
      if (d.contains(key)) {
        EXPECT_EQ(d[key].get<uint64_t>(), actual) << dir << ": " << key;
      }
    };
    expect_num("quote_bytes", bytes.size());
    expect_num("body_type", q->body_type);
    expect_num("body_size", j["body_size"].get<uint64_t>());
    expect_num("auth_data_len", q->auth_data_size);
    expect_num("trailing_bytes", q->trailing_bytes);
    expect_num("qe_auth_data_len", q->qe_auth_data.size());
    expect_num("cert_data_type", q->cert_data_type);
    expect_num("cert_data_len", q->cert_data.size());
    if (d.contains("signed_region")) {
      EXPECT_EQ(d["signed_region"], Json::array({0, q->signed_region.size()})) << dir;
    }
    if (d.contains("header")) {
      const Json& h = d["header"];
      EXPECT_EQ(h.value("version", -1), q->header.version) << dir;
      EXPECT_EQ(h.value("att_key_type", -1), q->header.attestation_key_type) << dir;
      EXPECT_EQ(h.value("tee_type", ""), j["header"]["tee_type"].get<std::string>()) << dir;
      EXPECT_EQ(h.value("qe_vendor_id", ""), ToHex(q->header.qe_vendor_id)) << dir;
    }
    if (d.contains("qe_report")) {
      const Json& r = d["qe_report"];
      EXPECT_EQ(r.value("mrenclave", ""), ToHex(q->qe_report.mr_enclave)) << dir;
      EXPECT_EQ(r.value("mrsigner", ""), ToHex(q->qe_report.mr_signer)) << dir;
      EXPECT_EQ(r.value("isv_prod_id", -1), q->qe_report.isv_prod_id) << dir;
      EXPECT_EQ(r.value("isv_svn", -1), q->qe_report.isv_svn) << dir;
    }
    // Body fields that expected.json lists under details rather than measurements.
    for (const char* key : {"tee_tcb_svn", "mrsignerseam", "seam_attributes", "mrowner",
                            "mrownerconfig", "cpu_svn", "attributes"}) {
      if (d.contains(key)) {
        EXPECT_EQ(d[key], m.value(key, Json())) << dir << ": " << key;
      }
    }
    if (d.contains("misc_select") && q->sgx_body) {
      EXPECT_EQ(d["misc_select"].get<uint32_t>(), q->sgx_body->misc_select) << dir;
    }
  }
  EXPECT_GE(checked, 10);
}

// README negative case 8: truncation anywhere inside the declared quote is a clean error;
// truncation inside the trailing bytes only shortens the trailing count.
TEST(QuoteVectors, TruncationsFailCleanly) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const auto& dir : VectorQuotes()) {
    const Bytes full = testing::ReadVector(dir + "/quote.bin");
    auto q = ParseQuote(full);
    ASSERT_TRUE(q) << dir;
    const size_t end = full.size() - q->trailing_bytes;
    std::vector<size_t> lengths = {0, 1, 47, 48, 53, 1000, end - 1, end};
    for (size_t n = 0; n < full.size(); n += 97) lengths.push_back(n);
    for (size_t n : lengths) {
      auto r = ParseQuote(ByteView(full).first(n));
      if (n < end) {
        EXPECT_FALSE(r) << dir << " truncated to " << n;
      } else {
        ASSERT_TRUE(r) << dir << " truncated to " << n << ": " << r.error().ToString();
        EXPECT_EQ(r->trailing_bytes, n - end) << dir;
      }
    }
  }
}

// README negative case 8: declared lengths larger than what follows.
TEST(QuoteVectors, OversizedLengthFieldsFail) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const char* dir : {"tdx/t1-dcapqvl-v4", "sgx/s1-dcapqvl-v3", "tdx/t2-dcapqvl-v5"}) {
    const Bytes good = testing::ReadVector(std::string(dir) + "/quote.bin");
    auto q = ParseQuote(good);
    ASSERT_TRUE(q) << dir;
    const size_t auth_len_at = AuthLenOffset(*q);
    const size_t rest = good.size() - auth_len_at - 4;

    Bytes b = good;
    PutU32(b, auth_len_at, static_cast<uint32_t>(rest + 1));
    auto r = ParseQuote(b);
    EXPECT_EQ(ErrorOf(r), "quote: signature data: size " + std::to_string(rest + 1) +
                              " exceeds remaining " + std::to_string(rest) + " bytes")
        << dir;

    // Offset of the inner (PCK chain) certification data size: README layout table.
    const bool v3 = q->header.version == 3;
    const size_t qe_block_at = auth_len_at + 4 + 128 + (v3 ? 0 : 6);
    const size_t cert_size_at = qe_block_at + 384 + 64 + 2 + q->qe_auth_data.size() + 2;
    ASSERT_EQ(b[cert_size_at - 2], 5) << dir;  // sanity: this is the type-5 header
    for (uint32_t size : {static_cast<uint32_t>(q->cert_data.size() + 1), 0x7fffffffu}) {
      b = good;
      PutU32(b, cert_size_at, size);
      r = ParseQuote(b);
      EXPECT_NE(ErrorOf(r).find("certification data: size " + std::to_string(size) + " exceeds"),
                std::string::npos)
          << dir << ": " << ErrorOf(r);
    }
    if (!v3) {  // the type-6 wrapper size
      b = good;
      PutU32(b, auth_len_at + 4 + 128 + 2, 5000);
      EXPECT_EQ(ErrorOf(ParseQuote(b)), "quote: certification data: size 5000 exceeds remaining " +
                                            std::to_string(q->auth_data_size - 128 - 6) + " bytes")
          << dir;
    }
  }
}

// README negative case 9.
TEST(QuoteVectors, V5BodySizeMustMatchType) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const char* dir : {"tdx/t2-dcapqvl-v5", "tdx/t6-gotdx-v5"}) {
    const Bytes good = testing::ReadVector(std::string(dir) + "/quote.bin");
    for (uint32_t size : {0u, 384u, 584u, 647u, 649u, 0xffffffffu}) {
      Bytes b = good;
      PutU32(b, 50, size);
      EXPECT_FALSE(ParseQuote(b)) << dir << " body_size " << size;
    }
    // Type 2 (TDX 1.0) with the TDX 1.5 size: also rejected.
    Bytes b = good;
    PutU16(b, 48, kBodyTypeTdx10);
    EXPECT_FALSE(ParseQuote(b)) << dir;
  }
}

TEST(QuoteVectors, BadVersionOrKeyTypeFail) {
  TEECLOUD_REQUIRE_VECTORS();
  const Bytes good = testing::ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  Bytes b = good;
  PutU16(b, 0, 6);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("unsupported version 6"), std::string::npos);
  b = good;
  PutU16(b, 2, 3);
  EXPECT_NE(ErrorOf(ParseQuote(b)).find("attestation key type 3"), std::string::npos);
  b = good;
  PutU16(b, 0, 3);  // v3 with a TDX tee type
  EXPECT_FALSE(ParseQuote(b));
}

}  // namespace
}  // namespace teecloud::attest::dcap
