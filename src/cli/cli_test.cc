// End-to-end tests of build/bin/teecloud on the shared vectors: the real binary, its exit code,
// stdout and stderr. Expected values come from each vector's expected.json.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::cli {
namespace {

using ::teecloud::testing::MakeTempDir;
using ::teecloud::testing::ReadVector;
using ::teecloud::testing::ReadVectorText;
using ::teecloud::testing::VectorPath;

using ::teecloud::testing::CliRun;

CliRun RunTeecloud(const std::vector<std::string>& args) {
  static const std::string dir = MakeTempDir();
  return ::teecloud::testing::RunBinary(
      ::teecloud::testing::TeecloudBinary(TEECLOUD_CLI_BINARY), args, dir);
}

Json Expected(const std::string& vector) {
  auto j = ParseJson(ReadVectorText(vector + "/expected.json"));
  EXPECT_TRUE(j.has_value());
  return j ? *j : Json();
}

// Every measurement listed in expected.json is present with the same value.
void ExpectMeasurements(const Json& got, const Json& expected) {
  ASSERT_TRUE(got.contains("measurements")) << got.dump();
  for (const auto& [k, v] : expected["measurements"].items()) {
    ASSERT_TRUE(got["measurements"].contains(k)) << k;
    EXPECT_EQ(got["measurements"][k], v) << k;
  }
}

CliRun VerifyWithCollateral(const std::string& vector, std::vector<std::string> extra = {}) {
  const Json exp = Expected(vector);
  std::vector<std::string> args = {"verify",
                                   "quote",
                                   VectorPath(vector + "/quote.bin"),
                                   "--collateral",
                                   VectorPath(vector + "/collateral.json"),
                                   "--at",
                                   std::to_string(exp["verify_at"].get<int64_t>()),
                                   "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunTeecloud(args);
}

TEST(CliVerifyQuote, TdxV4UpToDate) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("tdx/t1-dcapqvl-v4");
  CliRun r = VerifyWithCollateral("tdx/t1-dcapqvl-v4");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(r.json.is_object()) << r.out;
  EXPECT_EQ(r.json["valid"], true);
  EXPECT_EQ(r.json["platform"], "tdx");
  EXPECT_EQ(r.json["quote_version"], exp["quote_version"]);
  EXPECT_EQ(r.json["tcb_status"], exp["tcb_status"]);
  EXPECT_EQ(r.json["advisory_ids"], exp["advisory_ids"]);
  EXPECT_EQ(r.json["collateral_expired"], false);
  EXPECT_EQ(r.json["fmspc"], exp["fmspc"]);
  EXPECT_FALSE(r.json.contains("error"));
  EXPECT_FALSE(r.json.contains("policy"));  // no policy flag given
  ExpectMeasurements(r.json, exp);
}

TEST(CliVerifyQuote, TdxNoMatchingTcbLevelIsInvalid) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r = VerifyWithCollateral("tdx/t5-spr-v4-nolevel");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.json["valid"], false);
  EXPECT_EQ(r.json["tcb_status"], "TcbLevelNotFound");
  EXPECT_TRUE(r.json.contains("error"));
}

TEST(CliVerifyQuote, SgxV3ConfigurationAndSwHardeningNeeded) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("sgx/s1-dcapqvl-v3");
  CliRun r = VerifyWithCollateral("sgx/s1-dcapqvl-v3");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.json["valid"], true);
  EXPECT_EQ(r.json["platform"], "sgx");
  EXPECT_EQ(r.json["quote_version"], 3);
  EXPECT_EQ(r.json["tcb_status"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(r.json["advisory_ids"], exp["advisory_ids"]);
  EXPECT_EQ(r.json["fmspc"], exp["fmspc"]);
  ExpectMeasurements(r.json, exp);
}

TEST(CliVerifyQuote, FlippedByteIsInvalid) {
  TEECLOUD_REQUIRE_VECTORS();
  Bytes quote = ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  quote[600] ^= 0x01;  // inside REPORTDATA (568..632): the quote signature must fail
  const std::string path = MakeTempDir() + "/flipped.bin";
  ASSERT_TRUE(WriteFileAtomic(path, quote).has_value());
  CliRun r = RunTeecloud({"verify", "quote", path, "--collateral",
                          VectorPath("tdx/t1-dcapqvl-v4/collateral.json"), "--at", "1751328000",
                          "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.json["valid"], false);
  EXPECT_TRUE(r.json["error"].is_string() && !r.json["error"].get<std::string>().empty());
}

TEST(CliVerifyQuote, UnparsableQuoteIsInvalidNotUsage) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string path = MakeTempDir() + "/short.bin";
  Bytes quote = ReadVector("tdx/t1-dcapqvl-v4/quote.bin");
  quote.resize(1000);  // cut inside the auth data
  ASSERT_TRUE(WriteFileAtomic(path, quote).has_value());
  CliRun r = RunTeecloud({"verify", "quote", path, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.json["valid"], false);
  EXPECT_TRUE(r.json.contains("error"));
}

TEST(CliVerifyQuote, MissingFileIsUsageError) {
  CliRun r = RunTeecloud({"verify", "quote", "/nonexistent/quote.bin", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/quote.bin"), std::string::npos) << r.err;
}

TEST(CliVerifyQuote, BadFlagIsUsageError) {
  CliRun r = RunTeecloud({"verify", "quote", "q.bin", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(CliVerifyQuote, UnparsableCollateralIsUsageError) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string path = MakeTempDir() + "/bad.json";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("{\"pck_crl\": 1}")).has_value());
  CliRun r = RunTeecloud({"verify", "quote", VectorPath("tdx/t1-dcapqvl-v4/quote.bin"),
                          "--collateral", path, "--at", "1751328000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("collateral"), std::string::npos) << r.err;
}

TEST(CliVerifyQuote, BadTimeIsUsageError) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r = RunTeecloud(
      {"verify", "quote", VectorPath("tdx/t1-dcapqvl-v4/quote.bin"), "--at", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliVerifyQuote, Rfc3339Time) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r = RunTeecloud({"verify", "quote", VectorPath("tdx/t1-dcapqvl-v4/quote.bin"),
                          "--collateral", VectorPath("tdx/t1-dcapqvl-v4/collateral.json"), "--at",
                          "2025-07-01T00:00:00Z", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.json["tcb_status"], "UpToDate");
}

TEST(CliVerifyQuote, WithoutCollateralChecksSignaturesOnly) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("tdx/t7-gcp-ccel");
  CliRun r = RunTeecloud({"verify", "quote", VectorPath("tdx/t7-gcp-ccel/quote.bin"), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.json["valid"], true);
  EXPECT_TRUE(r.json["tcb_status"].is_null());
  EXPECT_EQ(r.json["fmspc"], exp["fmspc"]);
  ExpectMeasurements(r.json, exp);
}

TEST(CliVerifyQuote, HexQuoteFile) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string path = MakeTempDir() + "/quote.hex";
  const std::string hex = "0x" + ToHex(ReadVector("tdx/t1-dcapqvl-v4/quote.bin")) + "\n";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes(hex)).has_value());
  CliRun r = RunTeecloud({"verify", "quote", path, "--collateral",
                          VectorPath("tdx/t1-dcapqvl-v4/collateral.json"), "--at", "1751328000",
                          "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.json["tcb_status"], "UpToDate");
}

TEST(CliVerifyQuote, EventLogReplayCcel) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("eventlog/t7-gcp-ccel");
  CliRun r =
      RunTeecloud({"verify", "quote", VectorPath("eventlog/t7-gcp-ccel/quote.bin"), "--event-log",
                   VectorPath("eventlog/t7-gcp-ccel/ccel_data.bin"), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(r.json.contains("event_log_replay")) << r.out;
  EXPECT_EQ(r.json["event_log_replay"], exp["eventlog"]["replay_matches_quote"]);
  EXPECT_EQ(r.json["event_log_replay"]["rtmr0"], true);
  EXPECT_EQ(r.json["event_log_replay"]["rtmr1"], true);
  EXPECT_EQ(r.json["event_log_replay"]["rtmr2"], true);
  EXPECT_EQ(r.json["event_log_format"], "ccel");
}

TEST(CliVerifyQuote, EventLogMismatchIsReportedAndCanBeRequired) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("eventlog/t8-dstack-ccel");
  const std::vector<std::string> base = {"verify",
                                         "quote",
                                         VectorPath("eventlog/t8-dstack-ccel/quote.bin"),
                                         "--event-log",
                                         VectorPath("eventlog/t8-dstack-ccel/ccel.bin"),
                                         "--json"};
  CliRun r = RunTeecloud(base);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // replay is reported, not judged
  EXPECT_EQ(r.json["event_log_replay"], exp["eventlog"]["replay_matches_quote"]);
  EXPECT_EQ(r.json["event_log_replay"]["rtmr1"], false);

  std::vector<std::string> strict = base;
  strict.push_back("--require-event-log-match");
  CliRun s = RunTeecloud(strict);
  EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
  ASSERT_TRUE(s.json.contains("policy")) << s.out;
  EXPECT_EQ(s.json["policy"]["accepted"], false);
  EXPECT_NE(s.json["policy"]["reasons"].dump().find("rtmr1"), std::string::npos);
}

TEST(CliVerifyQuote, EventLogReplayRuntimeJson) {
  TEECLOUD_REQUIRE_VECTORS();
  // An empty runtime log replays every register to zeros: only t7's all-zero RTMR3 matches.
  const std::string path = MakeTempDir() + "/runtime.json";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes(" []\n")).has_value());
  CliRun r = RunTeecloud({"verify", "quote", VectorPath("eventlog/t7-gcp-ccel/quote.bin"),
                          "--event-log", path, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.json["event_log_format"], "runtime");
  EXPECT_EQ(r.json["event_log_replay"]["rtmr0"], false);
  EXPECT_EQ(r.json["event_log_replay"]["rtmr3"], true);
}

TEST(CliVerifyQuote, UnparsableEventLogIsUsageError) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string path = MakeTempDir() + "/log.bin";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("definitely not an event log")).has_value());
  CliRun r = RunTeecloud(
      {"verify", "quote", VectorPath("eventlog/t7-gcp-ccel/quote.bin"), "--event-log", path});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST(CliVerifyQuote, PolicyAcceptsAndRejects) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("tdx/t1-dcapqvl-v4");
  const std::string mrtd = exp["measurements"]["mrtd"].get<std::string>();
  CliRun ok = VerifyWithCollateral("tdx/t1-dcapqvl-v4",
                                   {"--allow-status", "UpToDate", "--expect", "mrtd=" + mrtd,
                                    "--require-sept-ve-disable", "--reject-expired"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.json["policy"]["accepted"], true);

  CliRun bad = VerifyWithCollateral("tdx/t1-dcapqvl-v4", {"--expect", "mrtd=00"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_EQ(bad.json["valid"], true);
  EXPECT_EQ(bad.json["policy"]["accepted"], false);

  // SGX s1 is valid but ConfigurationAndSWHardeningNeeded: the default policy rejects it.
  CliRun sgx = VerifyWithCollateral("sgx/s1-dcapqvl-v3", {"--reject-expired"});
  EXPECT_EQ(sgx.exit_code, 1) << sgx.out << sgx.err;
  CliRun sgx_ok = VerifyWithCollateral(
      "sgx/s1-dcapqvl-v3",
      {"--allow-status", "UpToDate", "--allow-status", "ConfigurationAndSWHardeningNeeded"});
  EXPECT_EQ(sgx_ok.exit_code, 0) << sgx_ok.out << sgx_ok.err;
}

TEST(CliVerifyQuote, BadPolicyValueIsUsageError) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r = VerifyWithCollateral("tdx/t1-dcapqvl-v4", {"--allow-status", "Fine"});
  EXPECT_EQ(r.exit_code, 2);
  CliRun e = VerifyWithCollateral("tdx/t1-dcapqvl-v4", {"--expect", "mrtd"});
  EXPECT_EQ(e.exit_code, 2);
}

TEST(CliVerifyQuote, ExpiredCollateral) {
  TEECLOUD_REQUIRE_VECTORS();
  const Json exp = Expected("tdx/t1-dcapqvl-v4");
  const int64_t after = exp["details"]["collateral_window"]["not_after"].get<int64_t>() + 1;
  const std::vector<std::string> args = {"verify",
                                         "quote",
                                         VectorPath("tdx/t1-dcapqvl-v4/quote.bin"),
                                         "--collateral",
                                         VectorPath("tdx/t1-dcapqvl-v4/collateral.json"),
                                         "--at",
                                         std::to_string(after),
                                         "--json"};
  CliRun r = RunTeecloud(args);
  EXPECT_EQ(r.json["collateral_expired"], true) << r.out;
  std::vector<std::string> strict = args;
  strict.push_back("--reject-expired");
  CliRun s = RunTeecloud(strict);
  EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
  std::vector<std::string> lenient = args;
  lenient.push_back("--allow-expired");
  CliRun l = RunTeecloud(lenient);
  EXPECT_EQ(l.exit_code, r.exit_code) << l.out << l.err;
}

TEST(CliVerifyQuote, HumanOutput) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r =
      RunTeecloud({"verify", "quote", VectorPath("sgx/s1-dcapqvl-v3/quote.bin"), "--collateral",
                   VectorPath("sgx/s1-dcapqvl-v3/collateral.json"), "--at", "1751328000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("VALID", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("ConfigurationAndSWHardeningNeeded"), std::string::npos);
  EXPECT_NE(r.out.find("INTEL-SA-00615"), std::string::npos);
  EXPECT_NE(r.out.find("00a067110000"), std::string::npos);
}

TEST(CliVerifyQuote, TrustRoot) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun intel = VerifyWithCollateral(
      "tdx/t1-dcapqvl-v4",
      {"--trust-root",
       VectorPath("trust-anchors/intel/Intel_SGX_Provisioning_Certification_RootCA.pem")});
  EXPECT_EQ(intel.exit_code, 0) << intel.out << intel.err;
  EXPECT_EQ(intel.json["tee"], "hardware");
  EXPECT_EQ(intel.err.find("NOTE"), std::string::npos);

  // Another root: loudly labelled, and the Intel-signed quote no longer chains to it.
  CliRun other = VerifyWithCollateral("tdx/t1-dcapqvl-v4",
                                      {"--trust-root", VectorPath("snp/a1-milan-gosev/ark.pem")});
  EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
  EXPECT_EQ(other.json["tee"], "simulated");
  EXPECT_NE(other.err.find("NOT the Intel SGX Root CA"), std::string::npos) << other.err;
}

TEST(CliQuoteShow, PrintsDecodedFields) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r = RunTeecloud({"quote", "show", VectorPath("tdx/t1-dcapqvl-v4/quote.bin")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(r.json.is_object()) << r.out;
  EXPECT_NE(r.out.find("91eb2b44d141d4ec"), std::string::npos);  // MRTD

  CliRun j = RunTeecloud({"quote", "show", VectorPath("sgx/s1-dcapqvl-v3/quote.bin"), "--json"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  EXPECT_TRUE(j.json.is_object());
}

TEST(CliQuoteShow, GarbageIsInvalid) {
  const std::string path = MakeTempDir() + "/junk.bin";
  ASSERT_TRUE(WriteFileAtomic(path, AsBytes("junk")).has_value());
  EXPECT_EQ(RunTeecloud({"quote", "show", path}).exit_code, 1);
  EXPECT_EQ(RunTeecloud({"quote", "show", "/nonexistent"}).exit_code, 2);
}

TEST(CliGeneral, VersionHelpAndUnknownCommands) {
  CliRun v = RunTeecloud({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("teecloud ", 0), 0u) << v.out;

  CliRun h = RunTeecloud({"help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("verify"), std::string::npos) << h.out;

  CliRun hv = RunTeecloud({"help", "verify", "quote"});
  EXPECT_EQ(hv.exit_code, 0);
  EXPECT_NE(hv.out.find("--collateral"), std::string::npos) << hv.out;

  EXPECT_EQ(RunTeecloud({}).exit_code, 2);
  EXPECT_EQ(RunTeecloud({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunTeecloud({"help", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunTeecloud({"verify"}).exit_code, 2);
  EXPECT_EQ(RunTeecloud({"verify", "quote"}).exit_code, 2);  // FILE is required
}

TEST(CliBench, SmokeJson) {
  TEECLOUD_REQUIRE_VECTORS();
  // Only checks that the command runs and reports every figure; it asserts no timing.
  CliRun r = RunTeecloud({"bench", "verify", "--quote", VectorPath("tdx/t1-dcapqvl-v4/quote.bin"),
                          "--collateral", VectorPath("tdx/t1-dcapqvl-v4/collateral.json"), "--at",
                          "1751328000", "--seconds", "0.05", "--peer", "none", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(r.json.is_object()) << r.out;
  EXPECT_GT(r.json["cold_per_s"].get<double>(), 0);
  EXPECT_GT(r.json["warm_per_s"].get<double>(), 0);
  EXPECT_GT(r.json["ecdsa_p256_per_s"].get<double>(), 0);
  EXPECT_EQ(r.json["ecdsa_message_bytes"], 632);
  EXPECT_TRUE(r.json["peer_per_s"].is_null());
}

TEST(CliBench, RefusesAnInvalidQuote) {
  TEECLOUD_REQUIRE_VECTORS();
  CliRun r =
      RunTeecloud({"bench", "verify", "--quote", VectorPath("tdx/t5-spr-v4-nolevel/quote.bin"),
                   "--collateral", VectorPath("tdx/t5-spr-v4-nolevel/collateral.json"), "--at",
                   "1688173200", "--seconds", "0.05", "--peer", "none"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace teecloud::cli
