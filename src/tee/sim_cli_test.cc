// End-to-end: the real build/bin/teecloud binary makes a sim TEE, a sim quote, and verifies it
// with the same `verify quote` path as real quotes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attest/dcap/quote.h"
#include "attest/eventlog/runtime_log.h"
#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::tee {
namespace {

using ::teecloud::testing::CliRun;

CliRun RunCli(const std::vector<std::string>& args) {
  static const std::string dir = testing::MakeTempDir();
  return testing::RunBinary(testing::TeecloudBinary(TEECLOUD_CLI_BINARY), args, dir);
}

class SimCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = testing::MakeTempDir();
    sim_ = tmp_ + "/sim";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }
  CliRun Verify(const std::string& quote, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "quote", quote, "--collateral",
                                     sim_ + "/collateral.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }
  std::string tmp_, sim_;
};

TEST_F(SimCliTest, InitQuoteVerify) {
  CliRun init = RunCli({"sim", "init", sim_, "--validity-days", "10"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("root.pem"), std::string::npos);
  EXPECT_EQ(init.out.find("PRIVATE KEY"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((sim_ + "/private").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  CliRun again = RunCli({"sim", "init", sim_});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos);

  const std::string quote = tmp_ + "/quote.bin";
  const std::string log = tmp_ + "/events.json";
  CliRun q =
      RunCli({"sim", "quote", "--sim-dir", sim_, "--report-data", "c0ffee", "--event",
              "compose-hash=abcd", "--event", "system-ready", "-o", quote, "--event-log-out", log});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto raw = ReadFile(quote);
  ASSERT_TRUE(raw.has_value());
  auto parsed = attest::dcap::ParseQuote(*raw);
  ASSERT_TRUE(parsed.has_value());
  std::array<uint8_t, 64> rd{0xc0, 0xff, 0xee};
  EXPECT_EQ(parsed->tdx_body->report_data, rd);
  auto events = attest::eventlog::ParseRuntimeEventLog(*ReadTextFile(log));
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_EQ(events->size(), 6u);  // 4 boot events + 2 runtime events
  EXPECT_EQ(events->at(4).event, "compose-hash");
  EXPECT_EQ(ToHex(events->at(4).payload), "abcd");

  // The real verifier, given the sim root explicitly.
  CliRun ok = Verify(quote, {"--trust-root", sim_ + "/root.pem", "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.json["valid"], true);
  EXPECT_EQ(ok.json["tee"], "simulated");
  EXPECT_EQ(ok.json["tcb_status"], "UpToDate");
  EXPECT_EQ(ok.json["measurements"]["report_data"], ToHex(rd));
  EXPECT_NE(ok.err.find("NOT the Intel SGX Root CA"), std::string::npos);

  // Human output says so loudly.
  CliRun human = Verify(quote, {"--trust-root", sim_ + "/root.pem"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("SIMULATED"), std::string::npos);
  EXPECT_NE(human.out.find("UpToDate"), std::string::npos);

  // The event log replays against the quote, and a policy requiring that accepts it.
  CliRun replay =
      Verify(quote, {"--trust-root", sim_ + "/root.pem", "--event-log", log,
                     "--require-event-log-match", "--require-sept-ve-disable", "--json"});
  EXPECT_EQ(replay.exit_code, 0) << replay.out;
  EXPECT_EQ(replay.json["policy"]["accepted"], true);

  // One flipped byte (inside REPORTDATA) → invalid, exit 1.
  Bytes bad = *raw;
  bad[600] ^= 0x01;
  const std::string bad_path = tmp_ + "/bad.bin";
  ASSERT_TRUE(WriteFileAtomic(bad_path, bad).has_value());
  CliRun flipped = Verify(bad_path, {"--trust-root", sim_ + "/root.pem", "--json"});
  EXPECT_EQ(flipped.exit_code, 1) << flipped.out;
  EXPECT_EQ(flipped.json["valid"], false);

  // Against the real Intel root (no --trust-root) → invalid, exit 1.
  CliRun intel = Verify(quote, {"--json"});
  EXPECT_EQ(intel.exit_code, 1) << intel.out;
  EXPECT_EQ(intel.json["valid"], false);
  EXPECT_EQ(intel.json["tee"], "hardware");

  // --hex output is accepted by the verifier too.
  const std::string hex_quote = tmp_ + "/quote.hex";
  ASSERT_EQ(RunCli({"sim", "quote", "--sim-dir", sim_, "--hex", "-o", hex_quote}).exit_code, 0);
  EXPECT_EQ(Verify(hex_quote, {"--trust-root", sim_ + "/root.pem"}).exit_code, 0);

  // A new PKI (--force) no longer vouches for the old quote.
  ASSERT_EQ(RunCli({"sim", "init", sim_, "--force"}).exit_code, 0);
  EXPECT_EQ(Verify(quote, {"--trust-root", sim_ + "/root.pem"}).exit_code, 1);
}

TEST_F(SimCliTest, UsageErrors) {
  CliRun missing = RunCli({"sim", "quote", "--sim-dir", tmp_ + "/nope", "-o", tmp_ + "/q"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("sim init"), std::string::npos);
  ASSERT_EQ(RunCli({"sim", "init", sim_}).exit_code, 0);
  CliRun long_rd = RunCli({"sim", "quote", "--sim-dir", sim_, "--report-data",
                           std::string(130, 'a'), "-o", tmp_ + "/q"});
  EXPECT_EQ(long_rd.exit_code, 2);
  EXPECT_NE(long_rd.err.find("64"), std::string::npos);
  EXPECT_EQ(RunCli({"sim", "quote", "--sim-dir", sim_, "--report-data", "xyz", "-o", tmp_ + "/q"})
                .exit_code,
            2);
  EXPECT_EQ(
      RunCli({"sim", "quote", "--sim-dir", sim_, "--event", "a:b", "-o", tmp_ + "/q"}).exit_code,
      2);
  EXPECT_EQ(RunCli({"sim", "quote", "--sim-dir", sim_}).exit_code, 2);  // -o is required
  EXPECT_EQ(RunCli({"sim", "init", tmp_ + "/x", "--validity-days", "0"}).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/q"));
  EXPECT_EQ(RunCli({"sim"}).exit_code, 2);
  CliRun help = RunCli({"help", "sim", "quote"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--report-data"), std::string::npos);
}

}  // namespace
}  // namespace teecloud::tee
