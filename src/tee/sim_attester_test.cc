#include "tee/sim_attester.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "attest/dcap/pck_extensions.h"
#include "attest/dcap/policy.h"
#include "attest/eventlog/replay.h"
#include "base/file.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "testing/testing.h"

namespace teecloud::tee {
namespace {

namespace dcap = attest::dcap;
namespace eventlog = attest::eventlog;
namespace fs = std::filesystem;

constexpr UnixTime kNow = 1751328000;  // 2025-07-01T00:00:00Z
constexpr UnixTime kDay = 86400;
constexpr int kValidityDays = 30;

std::array<uint8_t, 64> ReportData(uint8_t seed) {
  std::array<uint8_t, 64> rd{};
  for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(seed * 7 + i);
  return rd;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

SimInitOptions Options() {
  SimInitOptions o;
  o.now = kNow;
  o.validity_days = kValidityDays;
  return o;
}

// One sim directory shared by the tests that only read it (key generation and issuing are
// cheap, but there is no reason to repeat them).
class SimAttesterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir() + "/sim");
    auto s = InitSimDir(*dir_, Options());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(fs::path(*dir_).parent_path(), ec);
    delete dir_;
    dir_ = nullptr;
  }

  std::unique_ptr<SimAttester> Open() {
    auto a = SimAttester::Open(*dir_);
    EXPECT_TRUE(a.has_value()) << a.error().ToString();
    return a ? std::move(*a) : nullptr;
  }
  SimTrust Trust() {
    auto t = LoadSimTrust(*dir_);
    EXPECT_TRUE(t.has_value()) << t.error().ToString();
    return std::move(*t);
  }
  dcap::VerifyResult VerifyAt(ByteView quote, UnixTime at) {
    SimTrust t = Trust();
    dcap::QuoteVerifier v(t.trust);
    return v.Verify(quote, t.collateral, at);
  }

  static std::string* dir_;
};
std::string* SimAttesterTest::dir_ = nullptr;

TEST_F(SimAttesterTest, QuoteVerifiesWithTheRealVerifier) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  const auto rd = ReportData(1);
  auto quote = a->GetQuote(rd);
  ASSERT_TRUE(quote.has_value()) << quote.error().ToString();

  const dcap::VerifyResult r = VerifyAt(*quote, kNow);
  EXPECT_TRUE(r.valid) << r.error;
  ASSERT_TRUE(r.tcb_status.has_value());
  EXPECT_EQ(*r.tcb_status, dcap::TcbStatus::kUpToDate);
  EXPECT_TRUE(r.advisory_ids.empty());
  EXPECT_FALSE(r.collateral_expired);
  EXPECT_TRUE(r.simulated);
  EXPECT_EQ(r.platform, "tdx");
  EXPECT_EQ(r.quote_version, 4);
  EXPECT_EQ(r.fmspc, "90c06f000000");
  EXPECT_EQ(r.pck_ca, "platform");
  EXPECT_EQ(r.qe_tcb_status, "UpToDate");
  EXPECT_EQ(r.module_tcb_status, "UpToDate");
  EXPECT_EQ(dcap::VerifyResultToJson(r)["tee"], "simulated");
  // Every check of the real path ran.
  for (const char* check :
       {"quote_structure", "collateral_signatures", "pck_chain", "qe_report_signature",
        "qe_report_data_binding", "quote_signature", "crl", "tcb_info_matches_pck", "qe_identity",
        "tdx_module", "tcb_level"}) {
    EXPECT_NE(std::find(r.checks_passed.begin(), r.checks_passed.end(), check),
              r.checks_passed.end())
        << check;
  }
  // The warm (cached) verifier agrees.
  SimTrust t = Trust();
  dcap::QuoteVerifier cached(t.trust, /*cache=*/true);
  EXPECT_TRUE(cached.Verify(*quote, t.collateral, kNow).valid);
  EXPECT_TRUE(cached.Verify(*quote, t.collateral, kNow).valid);
  // Without collateral: chain, QE report and signature only.
  EXPECT_TRUE(dcap::QuoteVerifier(t.trust).VerifyWithoutCollateral(*quote, kNow).valid);

  // A strict production policy accepts it (apart from being simulated, it is a normal TD).
  dcap::Policy policy;
  policy.require_sept_ve_disable = true;
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value());
  const dcap::PolicyDecision d = dcap::EvaluatePolicy(policy, r, *q, kNow);
  EXPECT_TRUE(d.accepted) << (d.reasons.empty() ? "" : d.reasons[0]);
}

TEST_F(SimAttesterTest, QuoteCarriesTheImageMeasurements) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  const SimOsImage image = SimOsImage::Default();
  const auto rd = ReportData(2);
  auto quote = a->GetQuote(rd);
  ASSERT_TRUE(quote.has_value());
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  ASSERT_TRUE(q->tdx_body.has_value());
  const auto& b = *q->tdx_body;
  EXPECT_EQ(b.mr_td, image.mrtd);
  const auto boot = eventlog::ReplayRuntimeLog(image.boot_events);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b.rtmr[i], boot[i]) << i;
    EXPECT_FALSE(IsAllZero(b.rtmr[i])) << i;
  }
  EXPECT_TRUE(IsAllZero(b.rtmr[3]));
  EXPECT_EQ(b.report_data, rd);
  EXPECT_EQ(b.td_attributes[0] & 0x01, 0);
  EXPECT_NE(b.td_attributes[3] & 0x10, 0);

  auto m = a->ReadMeasurements();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->mrtd, b.mr_td);
  EXPECT_EQ(m->rtmr, b.rtmr);

  const PlatformInfo info = a->Platform();
  EXPECT_EQ(info.tee, "sim");
  EXPECT_TRUE(info.simulated);
  EXPECT_NE(info.description.find("simulated"), std::string::npos);
}

TEST_F(SimAttesterTest, DefaultImageIsFixed) {
  const SimOsImage a = SimOsImage::Default(), b = SimOsImage::Default();
  EXPECT_EQ(a.mrtd, b.mrtd);
  EXPECT_EQ(a.boot_events, b.boot_events);
  ASSERT_EQ(a.boot_events.size(), 4u);
  std::set<uint32_t> imrs;
  for (const auto& ev : a.boot_events) {
    imrs.insert(ev.imr);
    EXPECT_TRUE(BytesEqual(ev.digest, crypto::Sha384(ev.payload))) << ev.event;
    EXPECT_NE(ev.event_type, eventlog::kRuntimeEventType);
  }
  EXPECT_EQ(imrs, (std::set<uint32_t>{0, 1, 2}));
  // The JSON form round-trips through the verifier's parser.
  auto parsed =
      eventlog::ParseRuntimeEventLog(DumpJson(eventlog::RuntimeEventLogToJson(a.boot_events)));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, a.boot_events);
}

TEST_F(SimAttesterTest, CustomImage) {
  SimOsImage image = SimOsImage::Default();
  image.mrtd = crypto::Sha384(AsBytes("another image"));
  image.boot_events.pop_back();
  auto a = SimAttester::Open(*dir_, image);
  ASSERT_TRUE(a.has_value());
  auto q = dcap::ParseQuote(*(*a)->GetQuote(ReportData(3)));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->tdx_body->mr_td, image.mrtd);
  EXPECT_EQ(q->tdx_body->rtmr[2], eventlog::ReplayRuntimeLog(image.boot_events)[2]);

  SimOsImage bad = SimOsImage::Default();
  bad.boot_events[0].imr = 3;
  EXPECT_FALSE(SimAttester::Open(*dir_, bad).has_value());
  bad = SimOsImage::Default();
  bad.boot_events[0].digest.pop_back();
  EXPECT_FALSE(SimAttester::Open(*dir_, bad).has_value());
}

TEST_F(SimAttesterTest, FlippedBytesFail) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(4));
  ASSERT_TRUE(quote.has_value());
  ASSERT_TRUE(VerifyAt(*quote, kNow).valid);
  // Offsets from ../shared/vectors/README.md (v4 TDX layout).
  const struct {
    size_t offset;
    const char* what;
  } cases[] = {
      {0, "header version"},
      {14, "QE vendor id"},
      {49, "tee_tcb_svn[1]"},
      {100, "MRSEAM"},
      {200, "MRTD"},
      {450, "RTMR2"},
      {570, "REPORTDATA"},
      {631, "REPORTDATA end"},
      {640, "quote signature r"},
      {699, "quote signature s"},
      {730, "attestation key"},
      {800, "QE report"},
      {1100, "QE report data"},
      {1160, "QE report signature"},
      {1225, "QE auth data"},
      {1300, "PCK chain PEM"},
  };
  for (const auto& c : cases) {
    Bytes bad = *quote;
    ASSERT_LT(c.offset, bad.size());
    bad[c.offset] ^= 0x01;
    const dcap::VerifyResult r = VerifyAt(bad, kNow);
    EXPECT_FALSE(r.valid) << c.what << " @" << c.offset;
    EXPECT_FALSE(r.error.empty()) << c.what;
  }
  // Truncation is a clean failure.
  for (size_t n :
       {size_t{0}, size_t{47}, size_t{631}, size_t{700}, size_t{1000}, quote->size() - 1}) {
    EXPECT_FALSE(VerifyAt(ByteView(*quote).first(n), kNow).valid) << n;
  }
}

TEST_F(SimAttesterTest, TamperedCollateralFails) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(5));
  ASSERT_TRUE(quote.has_value());
  SimTrust t = Trust();
  dcap::QuoteVerifier v(t.trust);
  dcap::Collateral c = t.collateral;
  const size_t pos = c.tcb_info.find("UpToDate");
  ASSERT_NE(pos, std::string::npos);
  c.tcb_info.replace(pos, 8, "OutOfDate");
  EXPECT_FALSE(v.Verify(*quote, c, kNow).valid);
  c = t.collateral;
  c.qe_identity += " ";
  EXPECT_FALSE(v.Verify(*quote, c, kNow).valid);
  c = t.collateral;
  c.tcb_info_signature[10] ^= 1;
  EXPECT_FALSE(v.Verify(*quote, c, kNow).valid);
}

TEST_F(SimAttesterTest, IntelRootRefusesSimQuotes) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(6));
  ASSERT_TRUE(quote.has_value());
  SimTrust t = Trust();
  dcap::QuoteVerifier intel(dcap::IntelTrust());
  const dcap::VerifyResult r = intel.Verify(*quote, t.collateral, kNow);
  EXPECT_FALSE(r.valid);
  EXPECT_FALSE(r.simulated);
  EXPECT_FALSE(intel.VerifyWithoutCollateral(*quote, kNow).valid);
  // The sim PKI only borrows Intel's names; nothing in it chains to Intel.
  EXPECT_NE(t.trust.roots[0].der(), dcap::IntelSgxRootCa().der());
  EXPECT_NE(t.trust.roots[0].SubjectName().find("teecloud simulation"), std::string::npos);
}

TEST_F(SimAttesterTest, RuntimeEventsExtendRtmr3AndReplay) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto e1 = a->ExtendRuntimeEvent(3, "system-preparing", {});
  ASSERT_TRUE(e1.has_value()) << e1.error().ToString();
  EXPECT_EQ(e1->imr, 3u);
  EXPECT_EQ(e1->event_type, eventlog::kRuntimeEventType);
  EXPECT_EQ(*e1, eventlog::MakeRuntimeEvent("system-preparing", {}));
  const Bytes hash(32, 0xab);
  ASSERT_TRUE(a->ExtendRuntimeEvent(3, "compose-hash", hash).has_value());
  auto e3 = a->ExtendRuntimeEvent(2, "extra-rtmr2", AsBytes("x"));
  ASSERT_TRUE(e3.has_value());
  EXPECT_EQ(e3->imr, 2u);

  auto log = a->ReadEventLog();
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), SimOsImage::Default().boot_events.size() + 3);
  EXPECT_EQ(log->back(), *e3);
  auto m = a->ReadMeasurements();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(eventlog::ReplayRuntimeLog(*log), m->rtmr);

  // RTMR3 matches the architecture's rule directly.
  eventlog::RuntimeMeasurement rm;
  ASSERT_TRUE(rm.Extend("system-preparing", {}).has_value());
  ASSERT_TRUE(rm.Extend("compose-hash", hash).has_value());
  EXPECT_EQ(m->rtmr[3], rm.rtmr3());

  // A verifier replaying the JSON log against the quote sees every register match.
  auto quote = a->GetQuote(ReportData(7));
  ASSERT_TRUE(quote.has_value());
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value());
  const std::string json = DumpJson(eventlog::RuntimeEventLogToJson(*log));
  auto replay = eventlog::ReplayAgainstQuote(AsBytes(json), q->tdx_body->rtmr);
  ASSERT_TRUE(replay.has_value()) << replay.error().ToString();
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replay->rtmr_match[i], true) << i;
  EXPECT_TRUE(VerifyAt(*quote, kNow).valid);
}

TEST_F(SimAttesterTest, RejectsBadRequests) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  for (uint32_t imr : {0u, 1u, 4u}) EXPECT_FALSE(a->ExtendRuntimeEvent(imr, "x", {}).has_value());
  EXPECT_FALSE(a->ExtendRuntimeEvent(3, "", {}).has_value());
  EXPECT_FALSE(a->ExtendRuntimeEvent(3, "a:b", {}).has_value());
  EXPECT_EQ(a->GetQuote(Bytes(63, 0)).error().code, Code::kInvalidArgument);
  EXPECT_EQ(a->GetQuote(Bytes(65, 0)).error().code, Code::kInvalidArgument);
  // Nothing was measured by the refused calls.
  EXPECT_EQ(a->ReadEventLog()->size(), SimOsImage::Default().boot_events.size());
  EXPECT_TRUE(IsAllZero(a->ReadMeasurements()->rtmr[3]));
}

TEST_F(SimAttesterTest, ConcurrentQuotesAndExtensions) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  constexpr int kExtenders = 2, kEventsEach = 20, kQuoters = 4, kQuotesEach = 5;
  std::vector<Bytes> quotes[kQuoters];
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kExtenders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsEach; ++i) {
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!a->ExtendRuntimeEvent(3, name, AsBytes(name))) ++failures;
      }
    });
  }
  for (int t = 0; t < kQuoters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kQuotesEach; ++i) {
        auto q = a->GetQuote(ReportData(static_cast<uint8_t>(t * 10 + i)));
        if (!q) {
          ++failures;
        } else {
          quotes[t].push_back(std::move(*q));
        }
        if (!a->ReadEventLog() || !a->ReadMeasurements()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  auto log = a->ReadEventLog();
  ASSERT_TRUE(log.has_value());
  const size_t boot = SimOsImage::Default().boot_events.size();
  ASSERT_EQ(log->size(), boot + kExtenders * kEventsEach);
  EXPECT_EQ(eventlog::ReplayRuntimeLog(*log), a->ReadMeasurements()->rtmr);
  // Each extender's events stay in its own order.
  for (int t = 0; t < kExtenders; ++t) {
    int next = 0;
    for (const auto& ev : *log) {
      if (ev.event.rfind("t" + std::to_string(t) + "-", 0) == 0) {
        EXPECT_EQ(ev.event, "t" + std::to_string(t) + "-" + std::to_string(next));
        ++next;
      }
    }
    EXPECT_EQ(next, kEventsEach);
  }
  // Every quote is valid and its RTMR3 is the replay of some prefix of the final log.
  std::set<std::array<uint8_t, 48>> prefixes;
  std::vector<eventlog::RuntimeEvent> prefix(log->begin(), log->begin() + boot);
  prefixes.insert(eventlog::ReplayRuntimeLog(prefix)[3]);
  for (size_t i = boot; i < log->size(); ++i) {
    prefix.push_back((*log)[i]);
    prefixes.insert(eventlog::ReplayRuntimeLog(prefix)[3]);
  }
  SimTrust t = Trust();
  dcap::QuoteVerifier v(t.trust, /*cache=*/true);
  for (int i = 0; i < kQuoters; ++i) {
    ASSERT_EQ(quotes[i].size(), static_cast<size_t>(kQuotesEach));
    for (const Bytes& quote : quotes[i]) {
      EXPECT_TRUE(v.Verify(quote, t.collateral, kNow).valid);
      auto q = dcap::ParseQuote(quote);
      ASSERT_TRUE(q.has_value());
      EXPECT_EQ(prefixes.count(q->tdx_body->rtmr[3]), 1u);
    }
  }
}

TEST_F(SimAttesterTest, CollateralWindow) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(8));
  ASSERT_TRUE(quote.has_value());
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value());
  dcap::Policy policy;  // rejects expired collateral by default
  const UnixTime not_before = kNow - kDay;
  const UnixTime not_after = kNow + kValidityDays * kDay;
  struct Case {
    UnixTime at;
    bool expired;
  } cases[] = {
      {not_before - kDay, true},  // one day before every validity period starts
      {not_before - 1, true},    {not_before, false},   {kNow, false},
      {not_after, false},        {not_after + 1, true},
  };
  for (const auto& c : cases) {
    const dcap::VerifyResult r = VerifyAt(*quote, c.at);
    EXPECT_EQ(r.collateral_expired, c.expired) << FormatRfc3339(c.at);
    EXPECT_EQ(dcap::EvaluatePolicy(policy, r, *q, c.at).accepted, !c.expired)
        << FormatRfc3339(c.at);
  }
}

TEST_F(SimAttesterTest, LoadSimTrust) {
  SimTrust t = Trust();
  EXPECT_TRUE(t.trust.simulated);
  ASSERT_EQ(t.trust.roots.size(), 1u);
  EXPECT_TRUE(t.trust.roots[0].IsCa());
  auto c = dcap::ParseCollateral(t.collateral_json);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->tcb_info, t.collateral.tcb_info);
  // The documents carry the real Intel CNs with a simulation organization.
  auto chain = crypto::ParsePemChain(t.collateral.tcb_info_issuer_chain);
  ASSERT_TRUE(chain.has_value());
  EXPECT_NE((*chain)[0].SubjectName().find("CN=Intel SGX TCB Signing"), std::string::npos);
  EXPECT_NE((*chain)[0].SubjectName().find("teecloud simulation"), std::string::npos);
  EXPECT_EQ(LoadSimTrust(testing::MakeTempDir()).error().code, Code::kNotFound);
}

TEST_F(SimAttesterTest, PckCertificateLooksLikeIntels) {
  auto chain_pem = ReadTextFile(*dir_ + "/private/pck_chain.pem");
  ASSERT_TRUE(chain_pem.has_value());
  auto chain = crypto::ParsePemChain(*chain_pem);
  ASSERT_TRUE(chain.has_value());
  ASSERT_EQ(chain->size(), 3u);
  EXPECT_EQ(*dcap::PckCaKindFromIssuer((*chain)[0]), dcap::PckCaKind::kPlatform);
  auto ext = dcap::PckExtensionsFromCertificate((*chain)[0]);
  ASSERT_TRUE(ext.has_value()) << ext.error().ToString();
  EXPECT_EQ(ToHex(ext->fmspc), "90c06f000000");
  EXPECT_FALSE((*chain)[0].IsCa());
  EXPECT_TRUE((*chain)[1].IsCa());
  EXPECT_EQ((*chain)[0].NotBefore(), kNow - kDay);
  EXPECT_EQ((*chain)[0].NotAfter(), kNow + kValidityDays * kDay);
  EXPECT_TRUE(crypto::VerifyChain(*chain, {(*chain)[2]}, {kNow}).has_value());
}

TEST_F(SimAttesterTest, OpenRejectsOtherDirectories) {
  const std::string empty = testing::MakeTempDir();
  auto a = SimAttester::Open(empty);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, Code::kNotFound);
  EXPECT_NE(a.error().message.find("sim init"), std::string::npos);
}

// --- InitSimDir --------------------------------------------------------------------------

TEST(SimInitTest, FileModesAndLayout) {
  const std::string dir = testing::MakeTempDir() + "/a/b/sim";
  ASSERT_TRUE(InitSimDir(dir, Options()).has_value());
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"collateral.json", "private", "root.pem"}));
  std::set<std::string> priv;
  for (const auto& e : fs::directory_iterator(dir + "/private")) {
    priv.insert(e.path().filename().string());
    EXPECT_EQ(Mode(e.path().string()), 0600u) << e.path();
  }
  EXPECT_EQ(priv, (std::set<std::string>{"attestation_key.pem", "pck_chain.pem", "pck_key.pem"}));
  EXPECT_EQ(Mode(dir + "/private"), 0700u);
  EXPECT_EQ(Mode(dir + "/root.pem"), 0644u);
  EXPECT_EQ(Mode(dir + "/collateral.json"), 0644u);
  // Public files hold no key material.
  for (const char* f : {"/root.pem", "/collateral.json"}) {
    EXPECT_EQ(ReadTextFile(dir + f)->find("PRIVATE KEY"), std::string::npos) << f;
  }
  EXPECT_NE(ReadTextFile(dir + "/private/pck_key.pem")->find("BEGIN PRIVATE KEY"),
            std::string::npos);
  fs::remove_all(fs::path(dir).parent_path().parent_path());
}

TEST(SimInitTest, RefusesToOverwriteUnlessForced) {
  const std::string dir = testing::MakeTempDir();
  ASSERT_TRUE(InitSimDir(dir, Options()).has_value());
  const std::string root = *ReadTextFile(dir + "/root.pem");
  const std::string key = *ReadTextFile(dir + "/private/attestation_key.pem");
  auto old = SimAttester::Open(dir);
  ASSERT_TRUE(old.has_value());
  auto old_quote = (*old)->GetQuote(ReportData(9));
  ASSERT_TRUE(old_quote.has_value());

  auto again = InitSimDir(dir, Options());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Code::kAlreadyExists);
  EXPECT_NE(again.error().message.find("--force"), std::string::npos);
  EXPECT_EQ(*ReadTextFile(dir + "/root.pem"), root);
  EXPECT_EQ(*ReadTextFile(dir + "/private/attestation_key.pem"), key);

  // Any one of the three marks a sim directory.
  const std::string partial = testing::MakeTempDir();
  ASSERT_TRUE(WriteFileAtomic(partial + "/collateral.json", AsBytes("{}")).has_value());
  EXPECT_EQ(InitSimDir(partial, Options()).error().code, Code::kAlreadyExists);

  SimInitOptions force = Options();
  force.force = true;
  ASSERT_TRUE(InitSimDir(dir, force).has_value());
  EXPECT_NE(*ReadTextFile(dir + "/root.pem"), root);
  EXPECT_NE(*ReadTextFile(dir + "/private/attestation_key.pem"), key);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"collateral.json", "private", "root.pem"}));
  // The old quote no longer verifies against the new PKI; a new one does.
  auto t = LoadSimTrust(dir);
  ASSERT_TRUE(t.has_value());
  dcap::QuoteVerifier v(t->trust);
  EXPECT_FALSE(v.Verify(*old_quote, t->collateral, kNow).valid);
  auto fresh = SimAttester::Open(dir);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_TRUE(v.Verify(*(*fresh)->GetQuote(ReportData(9)), t->collateral, kNow).valid);
  fs::remove_all(dir);
  fs::remove_all(partial);
}

TEST(SimInitTest, InvalidOptionsLeaveNothingBehind) {
  const std::string parent = testing::MakeTempDir();
  const std::string dir = parent + "/sim";
  SimInitOptions o = Options();
  o.validity_days = 0;
  EXPECT_EQ(InitSimDir(dir, o).error().code, Code::kInvalidArgument);
  o = Options();
  o.fmspc_hex = "90c06f";
  EXPECT_EQ(InitSimDir(dir, o).error().code, Code::kInvalidArgument);
  o = Options();
  o.now = 0;
  EXPECT_FALSE(InitSimDir(dir, o).has_value());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(InitSimDir("", Options()).has_value());
  fs::remove_all(parent);
}

TEST(SimInitTest, UnwritableDirectoryFailsCleanly) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const std::string parent = testing::MakeTempDir();
  ASSERT_EQ(::chmod(parent.c_str(), 0500), 0);
  EXPECT_FALSE(InitSimDir(parent + "/sim", Options()).has_value());
  EXPECT_FALSE(InitSimDir(parent, Options()).has_value());
  ASSERT_EQ(::chmod(parent.c_str(), 0700), 0);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(parent)) names.insert(e.path().filename().string());
  EXPECT_TRUE(names.empty());
  fs::remove_all(parent);
}

TEST(SimInitTest, CustomFmspc) {
  const std::string dir = testing::MakeTempDir();
  SimInitOptions o = Options();
  o.fmspc_hex = "00806F050000";
  ASSERT_TRUE(InitSimDir(dir, o).has_value());
  auto a = SimAttester::Open(dir);
  ASSERT_TRUE(a.has_value());
  auto t = LoadSimTrust(dir);
  ASSERT_TRUE(t.has_value());
  const auto r =
      dcap::QuoteVerifier(t->trust).Verify(*(*a)->GetQuote(ReportData(1)), t->collateral, kNow);
  EXPECT_TRUE(r.valid) << r.error;
  EXPECT_EQ(r.fmspc, "00806f050000");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace teecloud::tee
