#include "attest/dcap/collateral.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::attest::dcap {
namespace {

using ::testing::HasSubstr;

// Every development vector that ships a collateral.json.
const std::vector<std::string> kCollateralVectors = {
    "tdx/t1-dcapqvl-v4",     "tdx/t2-dcapqvl-v5", "tdx/t3-near-v4",    "tdx/t4-gcp-v4",
    "tdx/t5-spr-v4-nolevel", "tdx/t6-gotdx-v5",   "sgx/s1-dcapqvl-v3",
};

bool IsTdx(const std::string& vector) { return vector.rfind("tdx/", 0) == 0; }

bool HasExpected(const std::string& vector) {
  return std::ifstream(testing::VectorPath(vector + "/expected.json")).good();
}

Json ReadJson(const std::string& rel) {
  auto j = ParseJson(testing::ReadVectorText(rel));
  EXPECT_TRUE(j.has_value()) << rel;
  return j.value_or(Json());
}

// The not_before/not_after pair of `item` in expected.json details.collateral_items.
std::pair<UnixTime, UnixTime> ItemWindow(const Json& expected, const std::string& item) {
  for (const Json& i : expected["details"]["collateral_items"]) {
    if (i["item"] == item) {
      return {ParseRfc3339(i["not_before"].get<std::string>()).value(),
              ParseRfc3339(i["not_after"].get<std::string>()).value()};
    }
  }
  ADD_FAILURE() << "no collateral item " << item;
  return {0, 0};
}

// ---- Vectors ---------------------------------------------------------------------------------

TEST(CollateralVectors, AllParse) {
  TEECLOUD_REQUIRE_VECTORS();
  for (const std::string& v : kCollateralVectors) {
    SCOPED_TRACE(v);
    auto c = ParseCollateral(testing::ReadVectorText(v + "/collateral.json"));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->tcb_info_signature.size(), 64u);
    EXPECT_EQ(c->qe_identity_signature.size(), 64u);
    ASSERT_FALSE(c->root_ca_crl.empty());
    ASSERT_FALSE(c->pck_crl.empty());
    EXPECT_EQ(c->root_ca_crl[0], 0x30);  // DER SEQUENCE
    EXPECT_EQ(c->pck_crl[0], 0x30);
    EXPECT_THAT(c->pck_crl_issuer_chain, HasSubstr("-----BEGIN CERTIFICATE-----"));
    EXPECT_THAT(c->tcb_info_issuer_chain, HasSubstr("-----BEGIN CERTIFICATE-----"));
    EXPECT_THAT(c->qe_identity_issuer_chain, HasSubstr("-----BEGIN CERTIFICATE-----"));

    auto tcb = ParseTcbInfo(c->tcb_info);
    ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
    EXPECT_EQ(tcb->version, 3);
    EXPECT_EQ(tcb->id, IsTdx(v) ? "TDX" : "SGX");
    EXPECT_EQ(tcb->fmspc.size(), 6u);
    EXPECT_EQ(tcb->pce_id, Bytes({0, 0}));
    EXPECT_EQ(tcb->tcb_type, 0);
    EXPECT_LT(tcb->issue_date, tcb->next_update);
    ASSERT_FALSE(tcb->tcb_levels.empty());
    for (const TcbLevel& level : tcb->tcb_levels) {
      EXPECT_EQ(level.tdx_components.has_value(), IsTdx(v));
      EXPECT_GT(level.tcb_date, 0);
    }
    EXPECT_EQ(tcb->tdx_module.has_value(), IsTdx(v));

    auto qe = ParseEnclaveIdentity(c->qe_identity);
    ASSERT_TRUE(qe.has_value()) << qe.error().ToString();
    EXPECT_EQ(qe->id, IsTdx(v) ? "TD_QE" : "QE");
    EXPECT_EQ(qe->version, 2);
    EXPECT_EQ(qe->misc_select, 0u);
    EXPECT_EQ(qe->misc_select_mask, 0xffffffffu);
    EXPECT_EQ(qe->attributes[0], 0x11);
    EXPECT_EQ(qe->isv_prod_id, IsTdx(v) ? 2 : 1);
    EXPECT_FALSE(qe->tcb_levels.empty());
  }
}

TEST(CollateralVectors, MatchExpectedDetails) {
  TEECLOUD_REQUIRE_VECTORS();
  int checked = 0;
  for (const std::string& v : kCollateralVectors) {
    if (!HasExpected(v)) continue;
    SCOPED_TRACE(v);
    ++checked;
    const Json expected = ReadJson(v + "/expected.json");
    auto c = ParseCollateral(testing::ReadVectorText(v + "/collateral.json"));
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    auto tcb = ParseTcbInfo(c->tcb_info);
    ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
    auto qe = ParseEnclaveIdentity(c->qe_identity);
    ASSERT_TRUE(qe.has_value()) << qe.error().ToString();

    // expected.json has the FMSPC in lower case; bytes compare regardless of the source case.
    EXPECT_EQ(ToHex(tcb->fmspc), expected["fmspc"].get<std::string>());
    EXPECT_EQ(tcb->tcb_evaluation_data_number,
              expected["details"]["tcb_evaluation_data_number"].get<int64_t>());
    auto [tcb_issue, tcb_next] = ItemWindow(expected, "tcbInfo");
    EXPECT_EQ(tcb->issue_date, tcb_issue);
    EXPECT_EQ(tcb->next_update, tcb_next);
    auto [qe_issue, qe_next] = ItemWindow(expected, "qeIdentity");
    EXPECT_EQ(qe->issue_date, qe_issue);
    EXPECT_EQ(qe->next_update, qe_next);
    EXPECT_EQ(ToHex(qe->mr_signer), expected["details"]["qe_report"]["mrsigner"]);
    EXPECT_EQ(qe->isv_prod_id, expected["details"]["qe_report"]["isv_prod_id"].get<int>());

    // The matched level named in expected.json exists among the parsed levels.
    const Json matched = expected["details"].value("matched_tcb_level", Json());
    if (!matched.is_null()) {
      const UnixTime date = ParseRfc3339(matched["tcbDate"].get<std::string>()).value();
      const TcbStatus status = ParseTcbStatus(matched["tcbStatus"].get<std::string>()).value();
      bool found = false;
      for (const TcbLevel& l : tcb->tcb_levels) found |= l.tcb_date == date && l.status == status;
      EXPECT_TRUE(found);
    }
    // A module identity named in expected.json exists.
    const Json module_id = expected["details"].value("tdx_module_identity", Json());
    if (module_id.is_string()) {
      bool found = false;
      for (const auto& m : tcb->tdx_module_identities) found |= m.id == module_id;
      EXPECT_TRUE(found) << module_id;
    }
  }
  EXPECT_EQ(checked, 4);
}

TEST(CollateralVectors, T1Details) {
  TEECLOUD_REQUIRE_VECTORS();
  auto c = ParseCollateral(testing::ReadVectorText("tdx/t1-dcapqvl-v4/collateral.json"));
  ASSERT_TRUE(c.has_value());
  auto tcb = ParseTcbInfo(c->tcb_info);
  ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
  ASSERT_EQ(tcb->tcb_levels.size(), 2u);
  const TcbLevel& top = tcb->tcb_levels[0];
  EXPECT_EQ(top.sgx_components,
            (std::array<uint8_t, 16>{2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(top.pce_svn, 11);
  ASSERT_TRUE(top.tdx_components.has_value());
  EXPECT_EQ(*top.tdx_components,
            (std::array<uint8_t, 16>{5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(top.status, TcbStatus::kUpToDate);
  EXPECT_TRUE(top.advisory_ids.empty());
  EXPECT_EQ(tcb->tcb_levels[1].status, TcbStatus::kOutOfDate);
  EXPECT_EQ(tcb->tcb_levels[1].advisory_ids.size(), 14u);
  EXPECT_EQ(tcb->tcb_levels[1].advisory_ids.front(), "INTEL-SA-00106");

  ASSERT_TRUE(tcb->tdx_module.has_value());
  EXPECT_EQ(tcb->tdx_module->mr_signer, Bytes(48, 0));
  EXPECT_EQ(tcb->tdx_module->attributes_mask, Bytes(8, 0xff));
  ASSERT_EQ(tcb->tdx_module_identities.size(), 2u);
  const TdxModuleIdentity& tdx01 = tcb->tdx_module_identities[1];
  EXPECT_EQ(tdx01.id, "TDX_01");
  ASSERT_EQ(tdx01.tcb_levels.size(), 2u);
  EXPECT_EQ(tdx01.tcb_levels[0].isv_svn, 4);
  EXPECT_EQ(tdx01.tcb_levels[0].status, TcbStatus::kUpToDate);
  EXPECT_EQ(tdx01.tcb_levels[1].isv_svn, 2);
  EXPECT_EQ(tdx01.tcb_levels[1].status, TcbStatus::kOutOfDate);
  EXPECT_EQ(tdx01.tcb_levels[1].tcb_date, ParseRfc3339("2023-08-09T00:00:00Z").value());
}

TEST(CollateralVectors, S1SgxLevelsAndQeIdentity) {
  TEECLOUD_REQUIRE_VECTORS();
  auto c = ParseCollateral(testing::ReadVectorText("sgx/s1-dcapqvl-v3/collateral.json"));
  ASSERT_TRUE(c.has_value());
  auto tcb = ParseTcbInfo(c->tcb_info);
  ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
  EXPECT_FALSE(tcb->tdx_module.has_value());
  EXPECT_TRUE(tcb->tdx_module_identities.empty());
  ASSERT_EQ(tcb->tcb_levels.size(), 11u);
  const TcbLevel& second = tcb->tcb_levels[1];
  EXPECT_EQ(second.sgx_components,
            (std::array<uint8_t, 16>{11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(second.pce_svn, 13);
  EXPECT_EQ(second.status, TcbStatus::kConfigurationAndSWHardeningNeeded);
  EXPECT_EQ(second.advisory_ids, (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(tcb->tcb_levels[3].status, TcbStatus::kOutOfDateConfigurationNeeded);

  auto qe = ParseEnclaveIdentity(c->qe_identity);
  ASSERT_TRUE(qe.has_value()) << qe.error().ToString();
  EXPECT_EQ(qe->tcb_evaluation_data_number, 17);
  EXPECT_EQ(qe->attributes_mask[0], 0xfb);
  ASSERT_EQ(qe->tcb_levels.size(), 6u);
  EXPECT_EQ(qe->tcb_levels[0].isv_svn, 8);
  EXPECT_EQ(qe->tcb_levels[0].status, TcbStatus::kUpToDate);
  EXPECT_EQ(qe->tcb_levels[5].isv_svn, 1);
  EXPECT_EQ(qe->tcb_levels[5].advisory_ids.size(), 6u);
}

TEST(CollateralVectors, T3LowerCaseFmspc) {
  TEECLOUD_REQUIRE_VECTORS();
  auto c = ParseCollateral(testing::ReadVectorText("tdx/t3-near-v4/collateral.json"));
  ASSERT_TRUE(c.has_value());
  ASSERT_THAT(c->tcb_info, HasSubstr("\"20a06f000000\""));  // really lower case in the source
  auto tcb = ParseTcbInfo(c->tcb_info);
  ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
  EXPECT_EQ(tcb->fmspc, Bytes({0x20, 0xa0, 0x6f, 0x00, 0x00, 0x00}));
}

TEST(CollateralVectors, T5ModuleWithoutIdentities) {
  TEECLOUD_REQUIRE_VECTORS();
  auto c = ParseCollateral(testing::ReadVectorText("tdx/t5-spr-v4-nolevel/collateral.json"));
  ASSERT_TRUE(c.has_value());
  auto tcb = ParseTcbInfo(c->tcb_info);
  ASSERT_TRUE(tcb.has_value()) << tcb.error().ToString();
  EXPECT_TRUE(tcb->tdx_module.has_value());
  EXPECT_TRUE(tcb->tdx_module_identities.empty());
  EXPECT_EQ(tcb->tcb_evaluation_data_number, 15);
}

// Flipping a byte inside the signed text must never crash the parser (verify catches it by
// signature); flipping a structural byte usually makes it a parse error.
TEST(CollateralVectors, ByteFlipsNeverCrash) {
  TEECLOUD_REQUIRE_VECTORS();
  auto c = ParseCollateral(testing::ReadVectorText("tdx/t1-dcapqvl-v4/collateral.json"));
  ASSERT_TRUE(c.has_value());
  for (size_t i = 0; i < c->tcb_info.size(); i += 7) {
    std::string t = c->tcb_info;
    t[i] ^= 0x01;
    (void)ParseTcbInfo(t);
  }
  for (size_t i = 0; i < c->qe_identity.size(); i += 3) {
    (void)ParseEnclaveIdentity(c->qe_identity.substr(0, i));
  }
}

// ---- TcbStatus -------------------------------------------------------------------------------

TEST(TcbStatus, NamesRoundTrip) {
  const std::pair<TcbStatus, const char*> cases[] = {
      {TcbStatus::kUpToDate, "UpToDate"},
      {TcbStatus::kSWHardeningNeeded, "SWHardeningNeeded"},
      {TcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
      {TcbStatus::kConfigurationAndSWHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
      {TcbStatus::kOutOfDate, "OutOfDate"},
      {TcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
      {TcbStatus::kRevoked, "Revoked"},
      {TcbStatus::kTcbLevelNotFound, "TcbLevelNotFound"},
  };
  for (const auto& [status, name] : cases) {
    EXPECT_STREQ(TcbStatusName(status), name);
    auto parsed = ParseTcbStatus(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, status);
  }
}

TEST(TcbStatus, RejectsOtherSpellings) {
  for (const char* s : {"uptodate", "UpToDate ", "", "OutOfDateConfigurationNeededX", "Unknown"}) {
    EXPECT_FALSE(ParseTcbStatus(s).has_value()) << s;
  }
}

// ---- ParseCollateral -------------------------------------------------------------------------

Json ValidCollateralJson() {
  Json j = Json::object();
  j["pck_crl_issuer_chain"] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  j["root_ca_crl"] = "3000";
  j["pck_crl"] = "3000";
  j["tcb_info_issuer_chain"] = "pem";
  j["tcb_info"] = "{\"version\":3}";
  j["tcb_info_signature"] = std::string(128, 'a');
  j["qe_identity_issuer_chain"] = "pem";
  j["qe_identity"] = "{ \"id\" : \"QE\" }";
  j["qe_identity_signature"] = std::string(128, 'B');
  return j;
}

Error CollateralError(const Json& j) {
  auto c = ParseCollateral(DumpJson(j));
  EXPECT_FALSE(c.has_value());
  return c ? Error{} : c.error();
}

TEST(ParseCollateral, Valid) {
  auto c = ParseCollateral(DumpJson(ValidCollateralJson()));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->root_ca_crl, Bytes({0x30, 0x00}));
  EXPECT_EQ(c->tcb_info_signature, Bytes(64, 0xaa));
  EXPECT_EQ(c->qe_identity_signature, Bytes(64, 0xbb));
  // The signed documents come back byte for byte, whitespace included.
  EXPECT_EQ(c->qe_identity, "{ \"id\" : \"QE\" }");
}

TEST(ParseCollateral, AcceptsHexPrefix) {
  Json j = ValidCollateralJson();
  j["pck_crl"] = "0x3000";
  auto c = ParseCollateral(DumpJson(j));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->pck_crl, Bytes({0x30, 0x00}));
}

TEST(ParseCollateral, RejectsUnknownTopLevelKey) {
  Json j = ValidCollateralJson();
  j["pck_certificate_chain"] = "x";
  EXPECT_THAT(CollateralError(j).message, HasSubstr("unknown member \"pck_certificate_chain\""));
}

TEST(ParseCollateral, RejectsMissingKey) {
  Json j = ValidCollateralJson();
  j.erase("qe_identity");
  EXPECT_EQ(CollateralError(j).message, "collateral.qe_identity: missing");
}

TEST(ParseCollateral, RejectsNonString) {
  Json j = ValidCollateralJson();
  j["tcb_info"] = Json::object();  // a parsed object: its signed bytes would be lost
  EXPECT_THAT(CollateralError(j).message, HasSubstr("collateral.tcb_info: expected a string"));
}

TEST(ParseCollateral, RejectsBadHex) {
  Json j = ValidCollateralJson();
  j["pck_crl"] = "30zz";
  EXPECT_THAT(CollateralError(j).message, HasSubstr("collateral.pck_crl"));
  j = ValidCollateralJson();
  j["root_ca_crl"] = "300";
  EXPECT_THAT(CollateralError(j).message, HasSubstr("collateral.root_ca_crl"));
  j = ValidCollateralJson();
  j["root_ca_crl"] = "";
  EXPECT_THAT(CollateralError(j).message, HasSubstr("collateral.root_ca_crl: empty"));
}

TEST(ParseCollateral, RejectsWrongSignatureLength) {
  Json j = ValidCollateralJson();
  j["tcb_info_signature"] = std::string(126, 'a');
  EXPECT_THAT(CollateralError(j).message,
              HasSubstr("collateral.tcb_info_signature: expected 64 bytes, got 63"));
  j = ValidCollateralJson();
  j["qe_identity_signature"] = std::string(144, 'a');  // a DER signature would be longer
  EXPECT_THAT(CollateralError(j).message, HasSubstr("qe_identity_signature"));
}

TEST(ParseCollateral, RejectsMalformedJson) {
  EXPECT_FALSE(ParseCollateral("").has_value());
  EXPECT_FALSE(ParseCollateral("{").has_value());
  EXPECT_FALSE(ParseCollateral("[]").has_value());
  EXPECT_FALSE(ParseCollateral("\"x\"").has_value());
  std::string valid = DumpJson(ValidCollateralJson());
  EXPECT_FALSE(ParseCollateral(valid + "x").has_value());
  EXPECT_FALSE(ParseCollateral(valid.substr(0, valid.size() / 2)).has_value());
}

// ---- ParseTcbInfo ----------------------------------------------------------------------------

Json Components(std::vector<int> svns) {
  Json arr = Json::array();
  for (int s : svns) arr.push_back({{"svn", s}, {"category", "BIOS"}});
  return arr;
}

Json TdxTcbInfo() {
  Json level = {
      {"tcb",
       {{"sgxtcbcomponents", Components({2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0})},
        {"pcesvn", 11},
        {"tdxtcbcomponents", Components({5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})}}},
      {"tcbDate", "2024-03-13T00:00:00Z"},
      {"tcbStatus", "UpToDate"}};
  Json old_level = level;
  old_level["tcb"]["pcesvn"] = 5;
  old_level["tcbStatus"] = "OutOfDate";
  old_level["advisoryIDs"] = {"INTEL-SA-00106", "INTEL-SA-00115"};
  Json module = {{"mrsigner", std::string(96, '0')},
                 {"attributes", "0000000000000000"},
                 {"attributesMask", "FFFFFFFFFFFFFFFF"}};
  Json identity = module;
  identity["id"] = "TDX_01";
  identity["tcbLevels"] = {
      {{"tcb", {{"isvsvn", 4}}}, {"tcbDate", "2024-03-13T00:00:00Z"}, {"tcbStatus", "UpToDate"}}};
  return {{"id", "TDX"},
          {"version", 3},
          {"issueDate", "2025-06-19T10:16:03Z"},
          {"nextUpdate", "2025-07-19T10:16:03Z"},
          {"fmspc", "B0C06F000000"},
          {"pceId", "0000"},
          {"tcbType", 0},
          {"tcbEvaluationDataNumber", 17},
          {"tdxModule", module},
          {"tdxModuleIdentities", {identity}},
          {"tcbLevels", {level, old_level}}};
}

// TCB Info V2 (PCS API v3, SGX): flat sgxtcbcompNNsvn members, no id.
Json SgxV2TcbInfo() {
  Json tcb = {{"pcesvn", 10}};
  for (int i = 1; i <= 16; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i);
    tcb[key] = i;
  }
  return {{"version", 2},
          {"issueDate", "2023-01-01T00:00:00Z"},
          {"nextUpdate", "2023-02-01T00:00:00Z"},
          {"fmspc", "00906ea10000"},
          {"pceId", "0000"},
          {"tcbType", 0},
          {"tcbEvaluationDataNumber", 12},
          {"tcbLevels",
           {{{"tcb", tcb},
             {"tcbDate", "2022-11-09T00:00:00Z"},
             {"tcbStatus", "SWHardeningNeeded"},
             {"advisoryIDs", {"INTEL-SA-00615"}}}}}};
}

std::string TcbInfoError(const Json& j) {
  auto t = ParseTcbInfo(DumpJson(j));
  EXPECT_FALSE(t.has_value()) << DumpJson(j);
  return t ? "" : t.error().message;
}

TEST(ParseTcbInfo, TdxV3) {
  auto t = ParseTcbInfo(DumpJson(TdxTcbInfo()));
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->id, "TDX");
  EXPECT_EQ(t->version, 3);
  EXPECT_EQ(t->issue_date, 1750328163);
  EXPECT_EQ(t->fmspc, Bytes({0xb0, 0xc0, 0x6f, 0, 0, 0}));
  EXPECT_EQ(t->tcb_evaluation_data_number, 17);
  ASSERT_EQ(t->tcb_levels.size(), 2u);
  EXPECT_EQ(t->tcb_levels[0].sgx_components[7], 5);
  EXPECT_EQ((*t->tcb_levels[0].tdx_components)[2], 2);
  EXPECT_EQ(t->tcb_levels[1].pce_svn, 5);
  EXPECT_EQ(t->tcb_levels[1].advisory_ids.size(), 2u);
  ASSERT_EQ(t->tdx_module_identities.size(), 1u);
  EXPECT_EQ(t->tdx_module_identities[0].tcb_levels[0].isv_svn, 4);
  EXPECT_EQ(t->tdx_module->attributes_mask, Bytes(8, 0xff));
}

TEST(ParseTcbInfo, SgxV2FlatComponents) {
  auto t = ParseTcbInfo(DumpJson(SgxV2TcbInfo()));
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->version, 2);
  EXPECT_EQ(t->id, "");
  ASSERT_EQ(t->tcb_levels.size(), 1u);
  const TcbLevel& l = t->tcb_levels[0];
  for (int i = 0; i < 16; ++i) EXPECT_EQ(l.sgx_components[i], i + 1);
  EXPECT_EQ(l.pce_svn, 10);
  EXPECT_FALSE(l.tdx_components.has_value());
  EXPECT_EQ(l.status, TcbStatus::kSWHardeningNeeded);
}

TEST(ParseTcbInfo, SgxV2MissingComponent) {
  Json j = SgxV2TcbInfo();
  j["tcbLevels"][0]["tcb"].erase("sgxtcbcomp16svn");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[0].tcb.sgxtcbcomp16svn: missing");
}

TEST(ParseTcbInfo, IgnoresUnknownMembersAndAcceptsLowerCaseHex) {
  Json j = TdxTcbInfo();
  j["fmspc"] = "b0c06f000000";
  j["futureField"] = {{"a", 1}};
  j["tcbLevels"][0]["tcb"]["futureComponent"] = 7;
  j["tcbLevels"][0]["tdxtcbcomponentsHash"] = "abc";
  auto t = ParseTcbInfo(DumpJson(j));
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->fmspc, Bytes({0xb0, 0xc0, 0x6f, 0, 0, 0}));
}

TEST(ParseTcbInfo, SgxV3IgnoresTdxMembers) {
  Json j = TdxTcbInfo();
  j["id"] = "SGX";
  auto t = ParseTcbInfo(DumpJson(j));
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_FALSE(t->tdx_module.has_value());
  EXPECT_TRUE(t->tdx_module_identities.empty());
  EXPECT_FALSE(t->tcb_levels[0].tdx_components.has_value());
}

TEST(ParseTcbInfo, MissingPcesvnNamesThePath) {
  Json j = TdxTcbInfo();
  j["tcbLevels"][1]["tcb"].erase("pcesvn");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[1].tcb.pcesvn: missing");
}

TEST(ParseTcbInfo, MissingTdxComponents) {
  Json j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"].erase("tdxtcbcomponents");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[0].tcb.tdxtcbcomponents: missing");
}

TEST(ParseTcbInfo, ComponentCountMustBe16) {
  Json j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"].push_back({{"svn", 1}});
  EXPECT_THAT(TcbInfoError(j), HasSubstr("expected 16 components, got 17"));
  j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["tdxtcbcomponents"].erase(0);
  EXPECT_THAT(TcbInfoError(j), HasSubstr("expected 16 components, got 15"));
}

TEST(ParseTcbInfo, ComponentSvnBounded) {
  Json j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] = 256;
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[3].svn: 256 exceeds 255");
  j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] = -1;
  EXPECT_THAT(TcbInfoError(j), HasSubstr("sgxtcbcomponents[3].svn"));
  j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] = "3";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("sgxtcbcomponents[3].svn: expected an unsigned"));
  j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["pcesvn"] = 65536;
  EXPECT_THAT(TcbInfoError(j), HasSubstr("pcesvn: 65536 exceeds 65535"));
}

TEST(ParseTcbInfo, LevelCountBounded) {
  Json j = SgxV2TcbInfo();  // the smallest level shape keeps this test fast
  Json level = j["tcbLevels"][0];
  j["tcbLevels"] = Json::array();
  for (int i = 0; i < 1025; ++i) j["tcbLevels"].push_back(level);
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.tcbLevels: 1025 entries exceed"));
  j["tcbLevels"].erase(0);  // exactly the limit is fine
  EXPECT_TRUE(ParseTcbInfo(DumpJson(j)).has_value());
}

TEST(ParseTcbInfo, RejectsBadHeaderFields) {
  Json j = TdxTcbInfo();
  j["version"] = 4;
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.version: unsupported 4"));
  j = TdxTcbInfo();
  j["id"] = "SEV";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.id"));
  j = TdxTcbInfo();
  j.erase("id");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.id: missing");
  j = TdxTcbInfo();
  j["fmspc"] = "B0C06F0000";
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.fmspc: expected 6 bytes, got 5");
  j = TdxTcbInfo();
  j["fmspc"] = "B0C06F00000G";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.fmspc: hex"));
  j = TdxTcbInfo();
  j["issueDate"] = "2025-13-19T10:16:03Z";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.issueDate"));
  j = TdxTcbInfo();
  j["tcbType"] = 1;
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.tcbType: unsupported 1"));
  j = TdxTcbInfo();
  j["tcbEvaluationDataNumber"] = "17";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.tcbEvaluationDataNumber"));
}

TEST(ParseTcbInfo, RejectsBadLevels) {
  Json j = TdxTcbInfo();
  j["tcbLevels"][0]["tcbStatus"] = "Fine";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbInfo.tcbLevels[0].tcbStatus: unknown TCB status"));
  // Our verdict name is not something Intel signs.
  j["tcbLevels"][0]["tcbStatus"] = "TcbLevelNotFound";
  EXPECT_THAT(TcbInfoError(j), HasSubstr("tcbStatus: unknown TCB status"));
  j = TdxTcbInfo();
  j["tcbLevels"][1]["advisoryIDs"] = {"INTEL-SA-1", 5};
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[1].advisoryIDs[1]: expected a string");
  j = TdxTcbInfo();
  j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][0] = 2;
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[0]: expected an object");
  j = TdxTcbInfo();
  j["tcbLevels"][0].erase("tcbDate");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels[0].tcbDate: missing");
  j = TdxTcbInfo();
  j["tcbLevels"] = Json::object();
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tcbLevels: expected an array");
}

TEST(ParseTcbInfo, RejectsBadModuleIdentities) {
  Json j = TdxTcbInfo();
  j["tdxModuleIdentities"][0]["mrsigner"] = std::string(94, '0');
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tdxModuleIdentities[0].mrsigner: expected 48 bytes, got 47");
  j = TdxTcbInfo();
  j["tdxModuleIdentities"][0]["tcbLevels"][0]["tcb"].erase("isvsvn");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tdxModuleIdentities[0].tcbLevels[0].tcb.isvsvn: missing");
  j = TdxTcbInfo();
  j["tdxModule"].erase("attributesMask");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tdxModule.attributesMask: missing");
  j = TdxTcbInfo();
  j["tdxModuleIdentities"][0].erase("id");
  EXPECT_EQ(TcbInfoError(j), "tcbInfo.tdxModuleIdentities[0].id: missing");
}

TEST(ParseTcbInfo, RejectsMalformedJson) {
  EXPECT_FALSE(ParseTcbInfo("").has_value());
  EXPECT_FALSE(ParseTcbInfo("[1,2]").has_value());
  EXPECT_FALSE(ParseTcbInfo("{\"version\":3,").has_value());
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseTcbInfo(deep).has_value());
}

// ---- ParseEnclaveIdentity --------------------------------------------------------------------

Json QeIdentity() {
  return {
      {"id", "QE"},
      {"version", 2},
      {"issueDate", "2025-06-19T10:01:18Z"},
      {"nextUpdate", "2025-07-19T10:01:18Z"},
      {"tcbEvaluationDataNumber", 17},
      {"miscselect", "0000000F"},
      {"miscselectMask", "FFFFFFFE"},
      {"attributes", "11000000000000000000000000000000"},
      {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
      {"mrsigner", "8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF"},
      {"isvprodid", 1},
      {"tcbLevels",
       {{{"tcb", {{"isvsvn", 8}}}, {"tcbDate", "2024-03-13T00:00:00Z"}, {"tcbStatus", "UpToDate"}},
        {{"tcb", {{"isvsvn", 6}}},
         {"tcbDate", "2021-11-10T00:00:00Z"},
         {"tcbStatus", "OutOfDate"},
         {"advisoryIDs", {"INTEL-SA-00615"}}},
        {{"tcb", {{"isvsvn", 1}}},
         {"tcbDate", "2018-08-15T00:00:00Z"},
         {"tcbStatus", "Revoked"}}}}};
}

std::string IdentityError(const Json& j) {
  auto id = ParseEnclaveIdentity(DumpJson(j));
  EXPECT_FALSE(id.has_value()) << DumpJson(j);
  return id ? "" : id.error().message;
}

TEST(ParseEnclaveIdentity, Valid) {
  Json j = QeIdentity();
  j["unknownFutureField"] = true;
  auto id = ParseEnclaveIdentity(DumpJson(j));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->id, "QE");
  // Big-endian hex text of the u32 value, as PCS writes it.
  EXPECT_EQ(id->misc_select, 0x0000000fu);
  EXPECT_EQ(id->misc_select_mask, 0xfffffffeu);
  EXPECT_EQ(id->attributes[0], 0x11);
  EXPECT_EQ(id->attributes_mask[8], 0x00);
  EXPECT_EQ(id->mr_signer[0], 0x8c);
  EXPECT_EQ(id->mr_signer[31], 0xff);
  EXPECT_EQ(id->tcb_evaluation_data_number, 17);
  ASSERT_EQ(id->tcb_levels.size(), 3u);
  EXPECT_EQ(id->tcb_levels[1].isv_svn, 6);
  EXPECT_EQ(id->tcb_levels[1].advisory_ids, std::vector<std::string>{"INTEL-SA-00615"});
  EXPECT_EQ(id->tcb_levels[2].status, TcbStatus::kRevoked);
}

TEST(ParseEnclaveIdentity, RejectsBadFields) {
  Json j = QeIdentity();
  j["version"] = 1;
  EXPECT_THAT(IdentityError(j), HasSubstr("enclaveIdentity.version: unsupported 1"));
  j = QeIdentity();
  j["mrsigner"] = "8C4F";
  EXPECT_EQ(IdentityError(j), "enclaveIdentity.mrsigner: expected 32 bytes, got 2");
  j = QeIdentity();
  j["miscselect"] = "000000";
  EXPECT_EQ(IdentityError(j), "enclaveIdentity.miscselect: expected 4 bytes, got 3");
  j = QeIdentity();
  j["attributes"] = "11";
  EXPECT_THAT(IdentityError(j), HasSubstr("enclaveIdentity.attributes: expected 16 bytes"));
  j = QeIdentity();
  j.erase("isvprodid");
  EXPECT_EQ(IdentityError(j), "enclaveIdentity.isvprodid: missing");
  j = QeIdentity();
  j["isvprodid"] = 70000;
  EXPECT_THAT(IdentityError(j), HasSubstr("enclaveIdentity.isvprodid: 70000 exceeds 65535"));
  j = QeIdentity();
  j["tcbLevels"][2]["tcb"]["isvsvn"] = "1";
  EXPECT_THAT(IdentityError(j), HasSubstr("enclaveIdentity.tcbLevels[2].tcb.isvsvn"));
  j = QeIdentity();
  j["tcbLevels"][0]["tcbStatus"] = "Revoked!";
  EXPECT_THAT(IdentityError(j), HasSubstr("enclaveIdentity.tcbLevels[0].tcbStatus"));
  j = QeIdentity();
  j["nextUpdate"] = 1752919278;
  EXPECT_EQ(IdentityError(j), "enclaveIdentity.nextUpdate: expected a string");
}

TEST(ParseEnclaveIdentity, RejectsMalformedJson) {
  EXPECT_FALSE(ParseEnclaveIdentity("").has_value());
  EXPECT_FALSE(ParseEnclaveIdentity("null").has_value());
  const std::string text = DumpJson(QeIdentity());
  for (size_t n = 0; n < text.size(); n += 11) {
    EXPECT_FALSE(ParseEnclaveIdentity(text.substr(0, n)).has_value()) << n;
  }
}

}  // namespace
}  // namespace teecloud::attest::dcap
