// In-process tests of argument handling and policy mapping (no vectors needed).
#include "cli/app.h"

#include <gtest/gtest.h>

#include <sstream>

#include "base/clock.h"
#include "cli/verify_command.h"

namespace teecloud::cli {
namespace {

namespace dcap = attest::dcap;

int RunArgs(std::initializer_list<const char*> args, std::string* out = nullptr,
            std::string* err = nullptr) {
  std::vector<const char*> argv = {"teecloud"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream o, e;
  const FakeClock clock(1751328000);
  const int rc = RunCli(static_cast<int>(argv.size()), argv.data(), clock, o, e);
  if (out) *out = o.str();
  if (err) *err = e.str();
  return rc;
}

TEST(PolicyFlags, AnyOnlyWhenAFlagIsGiven) {
  PolicyFlags f;
  EXPECT_FALSE(f.any());
  f.allow_debug = true;
  EXPECT_TRUE(f.any());
}

TEST(BuildPolicy, DefaultsMatchDcapPolicy) {
  PolicyFlags f;
  f.reject_expired = true;
  auto p = BuildPolicy(f);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->allowed_statuses, std::vector<dcap::TcbStatus>{dcap::TcbStatus::kUpToDate});
  EXPECT_TRUE(p->reject_expired_collateral);
  EXPECT_TRUE(p->reject_debug);
  EXPECT_FALSE(p->max_collateral_age_seconds.has_value());
}

TEST(BuildPolicy, MapsEveryFlag) {
  PolicyFlags f;
  f.allow_status = {"SWHardeningNeeded", "OutOfDate"};
  f.allow_expired = true;
  f.max_collateral_age_seconds = 86400;
  f.allow_debug = true;
  f.require_sept_ve_disable = true;
  f.require_mrservicetd_zero = true;
  f.expect = {"mrtd=0xAABB", "report_data=00"};
  auto p = BuildPolicy(f);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->allowed_statuses, (std::vector<dcap::TcbStatus>{dcap::TcbStatus::kSWHardeningNeeded,
                                                               dcap::TcbStatus::kOutOfDate}));
  EXPECT_FALSE(p->reject_expired_collateral);
  EXPECT_EQ(p->max_collateral_age_seconds, 86400);
  EXPECT_FALSE(p->reject_debug);
  EXPECT_TRUE(p->require_sept_ve_disable);
  EXPECT_TRUE(p->require_mrservicetd_zero);
  EXPECT_EQ(p->expected_measurements.at("mrtd"), "aabb");  // normalized to lower case
  EXPECT_EQ(p->expected_measurements.at("report_data"), "00");
}

TEST(BuildPolicy, RejectsBadValues) {
  PolicyFlags unknown;
  unknown.allow_status = {"Fine"};
  EXPECT_FALSE(BuildPolicy(unknown).has_value());
  PolicyFlags both;
  both.allow_expired = both.reject_expired = true;
  EXPECT_FALSE(BuildPolicy(both).has_value());
  for (const char* bad : {"mrtd", "=00", "mrtd=", "mrtd=xyz"}) {
    PolicyFlags f;
    f.expect = {bad};
    EXPECT_FALSE(BuildPolicy(f).has_value()) << bad;
  }
  PolicyFlags neg;
  neg.max_collateral_age_seconds = -1;
  EXPECT_FALSE(BuildPolicy(neg).has_value());
}

TEST(RunCli, UsageErrorsExitTwoWithUsage) {
  std::string out, err;
  EXPECT_EQ(RunArgs({"verify", "quote", "x", "--bogus"}, &out, &err), 2);
  EXPECT_NE(err.find("--collateral"), std::string::npos) << err;  // usage of the subcommand
  EXPECT_EQ(RunArgs({"nope"}), 2);
  EXPECT_EQ(RunArgs({"verify", "quote", "x", "--max-collateral-age", "soon"}), 2);
  EXPECT_EQ(RunArgs({"bench", "verify", "--quote", "q"}), 2);  // --collateral/--at required
  EXPECT_EQ(RunArgs({"bench", "verify", "--quote", "q", "--collateral", "c", "--at", "1", "--peer",
                     "maybe"}),
            2);
}

TEST(RunCli, RepeatableOptionsDoNotSwallowPositionals) {
  std::string out, err;
  // FILE after a repeatable option is still the positional; the missing file gives exit 2
  // mentioning that path (not a parse error about --expect).
  EXPECT_EQ(RunArgs({"verify", "quote", "--expect", "mrtd=00", "--allow-status", "UpToDate",
                     "/nonexistent/q.bin"},
                    &out, &err),
            2);
  EXPECT_NE(err.find("/nonexistent/q.bin"), std::string::npos) << err;
}

TEST(RunCli, HelpAndVersion) {
  std::string out;
  EXPECT_EQ(RunArgs({"--version"}, &out), 0);
  EXPECT_NE(out.find("teecloud "), std::string::npos);
  EXPECT_EQ(RunArgs({"--help"}, &out), 0);
  EXPECT_NE(out.find("bench"), std::string::npos);
  EXPECT_EQ(RunArgs({"help", "bench", "verify"}, &out), 0);
  EXPECT_NE(out.find("--seconds"), std::string::npos);
  EXPECT_EQ(RunArgs({"verify", "quote", "--help"}, &out), 0);
  EXPECT_NE(out.find("--event-log"), std::string::npos);
}

}  // namespace
}  // namespace teecloud::cli
