#include "tee/sim_platform.h"

#include <gtest/gtest.h>

#include "attest/dcap/collateral.h"
#include "attest/dcap/pck_extensions.h"
#include "base/json.h"

namespace teecloud::tee {
namespace {

namespace dcap = attest::dcap;

const Bytes kFmspc = {0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00};
constexpr UnixTime kIssue = 1751328000;  // 2025-07-01T00:00:00Z
constexpr UnixTime kNext = kIssue + 30 * 86400;

TEST(SimPlatformTest, DefaultPlatformIsAProductionTd) {
  const SimPlatform& p = DefaultSimPlatform();
  EXPECT_EQ(p.td_attributes[0] & 0x01, 0);     // DEBUG clear
  EXPECT_EQ(p.td_attributes[3] & 0x10, 0x10);  // SEPT_VE_DISABLE (bit 28) set
  EXPECT_EQ(ToHex(p.xfam), "e702060000000000");
  EXPECT_EQ(p.tee_tcb_svn[1], 1);           // module major version 1 → identity TDX_01
  EXPECT_EQ(p.qe_attributes[0] & 0x02, 0);  // QE not in debug mode
  EXPECT_EQ(p.qe_isv_prod_id, 2);
}

TEST(SimPlatformTest, TcbInfoParsesAndRatesThePlatformUpToDate) {
  const SimPlatform& p = DefaultSimPlatform();
  const std::string text = SimTcbInfoJson(p, kFmspc, kIssue, kNext);
  EXPECT_EQ(text.find('\n'), std::string::npos);  // compact, as PCS serves it
  EXPECT_EQ(text.rfind("{\"id\":\"TDX\",\"version\":3,", 0), 0u) << text;
  auto info = dcap::ParseTcbInfo(text);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->id, "TDX");
  EXPECT_EQ(info->version, 3);
  EXPECT_EQ(info->issue_date, kIssue);
  EXPECT_EQ(info->next_update, kNext);
  EXPECT_EQ(info->fmspc, kFmspc);
  EXPECT_EQ(ToHex(info->pce_id), "0000");
  ASSERT_TRUE(info->tdx_module.has_value());
  ASSERT_EQ(info->tdx_module_identities.size(), 1u);
  EXPECT_EQ(info->tdx_module_identities[0].id, "TDX_01");
  EXPECT_EQ(info->tdx_module_identities[0].tcb_levels[0].isv_svn, p.tee_tcb_svn[0]);
  EXPECT_EQ(info->tdx_module_identities[0].tcb_levels[0].status, dcap::TcbStatus::kUpToDate);
  ASSERT_EQ(info->tcb_levels.size(), 2u);
  const auto& top = info->tcb_levels[0];
  EXPECT_EQ(top.status, dcap::TcbStatus::kUpToDate);
  EXPECT_EQ(top.sgx_components, p.sgx_components);
  EXPECT_EQ(top.pce_svn, p.pce_svn);
  ASSERT_TRUE(top.tdx_components.has_value());
  EXPECT_EQ(*top.tdx_components, p.tee_tcb_svn);
  EXPECT_EQ(top.tcb_date, kIssue);
  EXPECT_EQ(info->tcb_levels[1].status, dcap::TcbStatus::kOutOfDate);
  // Deterministic: the signature covers these exact bytes.
  EXPECT_EQ(text, SimTcbInfoJson(p, kFmspc, kIssue, kNext));
}

TEST(SimPlatformTest, QeIdentityMatchesTheQeReport) {
  const SimPlatform& p = DefaultSimPlatform();
  auto id = dcap::ParseEnclaveIdentity(SimQeIdentityJson(p, kIssue + 3600, kNext));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->id, "TD_QE");
  EXPECT_EQ(id->version, 2);
  EXPECT_EQ(id->tcb_levels[0].tcb_date, kIssue);  // tcbDate is the day
  const auto qe = SimQeReport(p);
  EXPECT_EQ(qe.mr_signer, id->mr_signer);
  EXPECT_EQ(qe.isv_prod_id, id->isv_prod_id);
  EXPECT_EQ(qe.misc_select & id->misc_select_mask, id->misc_select);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(qe.attributes[i] & id->attributes_mask[i], id->attributes[i]) << i;
  }
  EXPECT_GE(qe.isv_svn, id->tcb_levels[0].isv_svn);
}

TEST(SimPlatformTest, PckExtensionParsesWithOurParser) {
  const SimPlatform& p = DefaultSimPlatform();
  const Bytes ppid(16, 0xa1), instance(16, 0xb2);
  auto ext = dcap::ParsePckExtensions(SimPckSgxExtension(p, kFmspc, ppid, instance));
  ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
  EXPECT_EQ(ext->ppid, ppid);
  EXPECT_EQ(ext->tcb_components, p.sgx_components);
  EXPECT_EQ(ext->pce_svn, p.pce_svn);
  EXPECT_EQ(ToHex(ext->cpu_svn), ToHex(p.cpu_svn));
  EXPECT_EQ(ToHex(ext->pce_id), "0000");
  EXPECT_EQ(ext->fmspc, kFmspc);
  EXPECT_EQ(ext->sgx_type, dcap::kSgxTypeScalable);
  EXPECT_EQ(ext->platform_instance_id, instance);
  ASSERT_TRUE(ext->configuration.has_value());
  EXPECT_EQ(ext->configuration->dynamic_platform, true);
  EXPECT_EQ(ext->configuration->cached_keys, true);
  EXPECT_EQ(ext->configuration->smt_enabled, true);
}

TEST(SimPlatformTest, TdBodyCarriesThePlatform) {
  const SimPlatform& p = DefaultSimPlatform();
  std::array<uint8_t, 48> mrtd{};
  mrtd[0] = 9;
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  rtmr[3][47] = 1;
  std::array<uint8_t, 64> rd{};
  rd[63] = 5;
  const auto b = SimTdReportBody(p, mrtd, rtmr, rd);
  EXPECT_EQ(b.tee_tcb_svn, p.tee_tcb_svn);
  EXPECT_EQ(b.mr_seam, p.mr_seam);
  EXPECT_EQ(b.td_attributes, p.td_attributes);
  EXPECT_EQ(b.mr_td, mrtd);
  EXPECT_EQ(b.rtmr, rtmr);
  EXPECT_EQ(b.report_data, rd);
  EXPECT_FALSE(b.tee_tcb_svn2.has_value());
}

}  // namespace
}  // namespace teecloud::tee
