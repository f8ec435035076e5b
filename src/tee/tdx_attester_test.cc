#include "tee/tdx_attester.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/ccel.h"
#include "attest/eventlog/replay.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "tee/sim_attester.h"
#include "testing/testing.h"

namespace teecloud::tee {
namespace {

namespace dcap = attest::dcap;
namespace eventlog = attest::eventlog;
namespace fs = std::filesystem;

constexpr UnixTime kNow = 1751328000;

// Replaces a file by rename, so readers never see a partial file (sysfs/configfs attributes are
// never partial either). No fsync: the fake tree lives only as long as the test.
Status WriteBytes(const std::string& path, ByteView data) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".fake-tmp." + std::to_string(++counter);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create " + tmp);
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  if (::close(fd) != 0 || !ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unavailable("cannot write " + path);
  }
  return OkStatus();
}

std::array<uint8_t, 64> ReportData(uint8_t seed) {
  std::array<uint8_t, 64> rd{};
  for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(seed + 3 * i);
  return rd;
}

// A stand-in for the guest kernel over an ordinary directory tree, driven by inotify:
//  * configfs-tsm: a directory created under report/ gets `provider`, `generation` ("0") and an
//    empty `inblob`; when `inblob` is closed after writing, `generation` is bumped and
//    `outblob` is written (a quote signed by a sim PKI over the fake registers).
//  * tdx_guest measurements: closing a write to rtmrN:sha384 extends the fake RTMRN with the
//    48 bytes written, RTMR_new = SHA-384(RTMR_old || data), and the file is replaced by the
//    new value, as a read of the real attribute returns the live register.
// Sync() returns once everything done to the tree before the call has been handled.
class FakeTdxKernel {
 public:
  struct Options {
    std::string provider = "tdx_guest";
    uint64_t generation_step = 1;  // 2 simulates another writer racing with the request
    size_t outblob_limit = SIZE_MAX;
    bool corrupt_report_data = false;
    bool measurements = true;  // Linux 6.16+ sysfs present
  };

  FakeTdxKernel(const std::string& root, std::shared_ptr<const SimQuoteSigner> signer,
                Measurements initial, Options options)
      : root_(root), signer_(std::move(signer)), regs_(initial), options_(std::move(options)) {
    fs::create_directories(ReportDir());
    fs::create_directories(ControlDir());
    if (options_.measurements) {
      fs::create_directories(MeasurementsDir());
      TEECLOUD_CHECK(WriteBytes(MeasurementsDir() + "/mrtd:sha384", regs_.mrtd).has_value());
      for (size_t i = 0; i < 4; ++i) PublishRegister(i);
    }
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    stop_ = ::eventfd(0, EFD_CLOEXEC);
    TEECLOUD_CHECK(inotify_ >= 0 && stop_ >= 0);
    Watch(ReportDir(), IN_CREATE, Kind::kReportRoot);
    Watch(ControlDir(), IN_CREATE, Kind::kControl);
    if (options_.measurements) Watch(MeasurementsDir(), IN_CLOSE_WRITE, Kind::kMeasurements);
    thread_ = std::thread([this] { Run(); });
  }

  ~FakeTdxKernel() {
    const uint64_t one = 1;
    TEECLOUD_CHECK(::write(stop_, &one, sizeof(one)) == sizeof(one));
    thread_.join();
    ::close(inotify_);
    ::close(stop_);
  }

  TdxPaths Paths() const {
    TdxPaths p;
    p.tsm_report_dir = ReportDir();
    p.measurements_dir = MeasurementsDir();
    p.ccel = "";
    p.state_file = root_ + "/run/runtime-events.json";
    return p;
  }

  void Sync() {
    std::unique_lock lock(mu_);
    const int n = ++sync_requested_;
    const std::string marker = ControlDir() + "/sync-" + std::to_string(n);
    const int fd = ::open(marker.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    TEECLOUD_CHECK(fd >= 0);
    ::close(fd);
    cv_.wait(lock, [&] { return sync_done_ >= n; });
  }

  Measurements registers() {
    std::lock_guard lock(mu_);
    return regs_;
  }
  int quotes() {
    std::lock_guard lock(mu_);
    return quotes_;
  }
  std::string ReportDir() const { return root_ + "/config/tsm/report"; }
  std::string MeasurementsDir() const { return root_ + "/sys/tdx_guest/measurements"; }

 private:
  enum class Kind { kReportRoot, kReportItem, kMeasurements, kControl };
  std::string ControlDir() const { return root_ + "/control"; }

  void Watch(const std::string& dir, uint32_t mask, Kind kind) {
    const int wd = ::inotify_add_watch(inotify_, dir.c_str(), mask);
    TEECLOUD_CHECK(wd >= 0);
    watches_[wd] = {dir, kind};
  }

  void PublishRegister(size_t i) {
    const std::string path = MeasurementsDir() + "/rtmr" + std::to_string(i) + ":sha384";
    TEECLOUD_CHECK(WriteBytes(path, regs_.rtmr[i]).has_value());
  }

  void Run() {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      pollfd fds[2] = {{inotify_, POLLIN, 0}, {stop_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents & POLLIN) return;
      const ssize_t n = ::read(inotify_, buf, sizeof(buf));
      if (n <= 0) continue;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        const auto w = watches_.find(ev->wd);
        if (w == watches_.end() || ev->len == 0) continue;
        Handle(w->second.first, w->second.second, ev->name, ev->mask);
      }
    }
  }

  void Handle(const std::string& dir, Kind kind, const std::string& name, uint32_t mask) {
    std::unique_lock lock(mu_);
    switch (kind) {
      case Kind::kReportRoot: {
        if (!(mask & IN_ISDIR)) return;
        const std::string item = dir + "/" + name;
        Watch(item, IN_CLOSE_WRITE, Kind::kReportItem);  // before inblob exists
        generation_[item] = 0;
        TEECLOUD_CHECK(WriteBytes(item + "/provider", AsBytes(options_.provider + "\n")));
        TEECLOUD_CHECK(WriteBytes(item + "/generation", AsBytes("0\n")));
        TEECLOUD_CHECK(WriteBytes(item + "/inblob", {}));
        return;
      }
      case Kind::kReportItem: {
        if (name != "inblob") return;
        auto inblob = ReadFile(dir + "/inblob");
        TEECLOUD_CHECK(inblob.has_value());
        uint64_t& gen = generation_[dir];
        gen += options_.generation_step;
        Bytes rd = *inblob;
        rd.resize(64, 0);
        if (options_.corrupt_report_data) rd[0] ^= 1;
        auto quote = signer_->Quote(regs_, rd);
        TEECLOUD_CHECK(quote.has_value());
        if (quote->size() > options_.outblob_limit) quote->resize(options_.outblob_limit);
        TEECLOUD_CHECK(WriteBytes(dir + "/generation", AsBytes(std::to_string(gen) + "\n")));
        TEECLOUD_CHECK(WriteBytes(dir + "/outblob", *quote));
        ++quotes_;
        return;
      }
      case Kind::kMeasurements: {
        if (name.rfind("rtmr", 0) != 0 || name.size() != std::string("rtmr0:sha384").size()) {
          return;
        }
        const size_t i = static_cast<size_t>(name[4] - '0');
        auto data = ReadFile(dir + "/" + name);
        TEECLOUD_CHECK(data.has_value());
        if (i > 3 || data->size() != 48) return;  // the real attribute rejects such writes
        crypto::Sha384Hasher h;
        h.Update(regs_.rtmr[i]);
        h.Update(*data);
        regs_.rtmr[i] = h.Final();
        PublishRegister(i);
        return;
      }
      case Kind::kControl: {
        sync_done_ = std::max(sync_done_, std::stoi(name.substr(5)));
        cv_.notify_all();
        return;
      }
    }
  }

  const std::string root_;
  const std::shared_ptr<const SimQuoteSigner> signer_;
  std::mutex mu_;
  std::condition_variable cv_;
  Measurements regs_;
  Options options_;
  int inotify_ = -1;
  int stop_ = -1;
  std::map<int, std::pair<std::string, Kind>> watches_;
  std::map<std::string, uint64_t> generation_;
  int sync_requested_ = 0;
  int sync_done_ = 0;
  int quotes_ = 0;
  std::thread thread_;
};

class TdxAttesterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim_dir_ = new std::string(testing::MakeTempDir());
    SimInitOptions o;
    o.now = kNow;
    ASSERT_TRUE(InitSimDir(*sim_dir_, o).has_value());
    auto signer = SimQuoteSigner::Load(*sim_dir_);
    ASSERT_TRUE(signer.has_value());
    signer_ = new std::shared_ptr<const SimQuoteSigner>(*signer);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*sim_dir_, ec);
    delete sim_dir_;
    delete signer_;
  }
  void SetUp() override { root_ = testing::MakeTempDir(); }
  void TearDown() override {
    kernel_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static Measurements Initial() {
    Measurements m;
    m.mrtd = crypto::Sha384(AsBytes("fake TD"));
    for (size_t i = 0; i < 3; ++i) {
      m.rtmr[i] = crypto::Sha384(AsBytes("boot rtmr" + std::to_string(i)));
    }
    return m;
  }

  FakeTdxKernel& StartKernel(FakeTdxKernel::Options o = {}, Measurements initial = Initial()) {
    kernel_ = std::make_unique<FakeTdxKernel>(root_, *signer_, initial, std::move(o));
    return *kernel_;
  }

  std::unique_ptr<TdxConfigfsAttester> OpenAttester(TdxPaths paths) {
    TdxAttesterOptions o;
    o.paths = std::move(paths);
    auto a = TdxConfigfsAttester::Open(std::move(o));
    EXPECT_TRUE(a.has_value()) << a.error().ToString();
    return a ? std::move(*a) : nullptr;
  }

  dcap::VerifyResult VerifySim(ByteView quote) {
    auto t = LoadSimTrust(*sim_dir_);
    TEECLOUD_CHECK(t.has_value());
    return dcap::QuoteVerifier(t->trust).Verify(quote, t->collateral, kNow);
  }

  static std::string* sim_dir_;
  static std::shared_ptr<const SimQuoteSigner>* signer_;
  std::string root_;
  std::unique_ptr<FakeTdxKernel> kernel_;
};
std::string* TdxAttesterTest::sim_dir_ = nullptr;
std::shared_ptr<const SimQuoteSigner>* TdxAttesterTest::signer_ = nullptr;

TEST_F(TdxAttesterTest, MissingTreeIsNotATdxGuest) {
  TdxAttesterOptions o;
  o.paths.tsm_report_dir = root_ + "/no/config/tsm/report";
  o.paths.ccel = "";
  auto a = TdxConfigfsAttester::Open(o);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, Code::kFailedPrecondition);
  EXPECT_NE(a.error().message.find("not a TDX guest"), std::string::npos);
  EXPECT_NE(a.error().message.find(o.paths.tsm_report_dir), std::string::npos);
  EXPECT_NE(a.error().message.find("missing"), std::string::npos);

  // Configfs present, CCEL configured but absent.
  fs::create_directories(root_ + "/tsm");
  o.paths.tsm_report_dir = root_ + "/tsm";
  o.paths.ccel = root_ + "/acpi/CCEL";
  a = TdxConfigfsAttester::Open(o);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, Code::kFailedPrecondition);
  EXPECT_NE(a.error().message.find("CCEL"), std::string::npos);

  // A CCEL that is not a log.
  ASSERT_TRUE(WriteBytes(root_ + "/CCEL", Bytes(100, 0x42)).has_value());
  o.paths.ccel = root_ + "/CCEL";
  EXPECT_FALSE(TdxConfigfsAttester::Open(o).has_value());
}

TEST_F(TdxAttesterTest, QuoteThroughConfigfs) {
  FakeTdxKernel& kernel = StartKernel();
  auto a = OpenAttester(kernel.Paths());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->Platform().tee, "tdx");
  EXPECT_FALSE(a->Platform().simulated);
  const auto rd = ReportData(1);
  auto quote = a->GetQuote(rd);
  ASSERT_TRUE(quote.has_value()) << quote.error().ToString();
  EXPECT_EQ(kernel.quotes(), 1);
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->tdx_body->report_data, rd);
  EXPECT_EQ(q->tdx_body->mr_td, kernel.registers().mrtd);
  EXPECT_EQ(q->tdx_body->rtmr, kernel.registers().rtmr);
  EXPECT_TRUE(VerifySim(*quote).valid);

  // One uniquely named item per request, with our REPORTDATA in its inblob.
  ASSERT_TRUE(a->GetQuote(ReportData(2)).has_value());
  std::vector<std::string> items;
  for (const auto& e : fs::directory_iterator(kernel.ReportDir())) {
    items.push_back(e.path().filename().string());
    EXPECT_EQ(items.back().rfind("teecloud-", 0), 0u) << items.back();
  }
  EXPECT_EQ(items.size(), 2u);
  EXPECT_NE(items[0], items[1]);
}

TEST_F(TdxAttesterTest, ProviderMustBeTdxGuest) {
  FakeTdxKernel::Options o;
  o.provider = "sev_guest";
  auto a = OpenAttester(StartKernel(o).Paths());
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(1));
  ASSERT_FALSE(quote.has_value());
  EXPECT_EQ(quote.error().code, Code::kFailedPrecondition);
  EXPECT_NE(quote.error().message.find("sev_guest"), std::string::npos);
  EXPECT_EQ(kernel_->quotes(), 0);  // refused before writing inblob
}

TEST_F(TdxAttesterTest, GenerationRaceIsDetected) {
  FakeTdxKernel::Options o;
  o.generation_step = 2;  // as if another writer wrote inblob between ours and our read
  auto a = OpenAttester(StartKernel(o).Paths());
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(1));
  ASSERT_FALSE(quote.has_value());
  EXPECT_EQ(quote.error().code, Code::kAborted);
  EXPECT_NE(quote.error().message.find("generation"), std::string::npos);
}

TEST_F(TdxAttesterTest, ShortOrWrongOutblobIsRefused) {
  FakeTdxKernel::Options o;
  o.outblob_limit = 100;
  {
    auto a = OpenAttester(StartKernel(o).Paths());
    ASSERT_NE(a, nullptr);
    auto quote = a->GetQuote(ReportData(1));
    ASSERT_FALSE(quote.has_value());
    EXPECT_EQ(quote.error().code, Code::kDataLoss);
    EXPECT_NE(quote.error().message.find("100 bytes"), std::string::npos);
  }
  kernel_.reset();
  fs::remove_all(root_);
  fs::create_directories(root_);
  o.outblob_limit = 1000;  // long enough to look like a quote, cut inside the signature data
  {
    auto a = OpenAttester(StartKernel(o).Paths());
    ASSERT_NE(a, nullptr);
    auto quote = a->GetQuote(ReportData(1));
    ASSERT_FALSE(quote.has_value());
    EXPECT_EQ(quote.error().code, Code::kDataLoss);
  }
  kernel_.reset();
  fs::remove_all(root_);
  fs::create_directories(root_);
  o = {};
  o.corrupt_report_data = true;
  auto a = OpenAttester(StartKernel(o).Paths());
  ASSERT_NE(a, nullptr);
  auto quote = a->GetQuote(ReportData(1));
  ASSERT_FALSE(quote.has_value());
  EXPECT_NE(quote.error().message.find("report data"), std::string::npos);
}

TEST_F(TdxAttesterTest, NoKernelTimesOut) {
  fs::create_directories(root_ + "/tsm");
  TdxAttesterOptions o;
  o.paths.tsm_report_dir = root_ + "/tsm";
  o.paths.ccel = "";
  o.paths.state_file = "";
  o.attribute_timeout = std::chrono::milliseconds(30);
  auto a = TdxConfigfsAttester::Open(o);
  ASSERT_TRUE(a.has_value());
  auto quote = (*a)->GetQuote(ReportData(1));
  ASSERT_FALSE(quote.has_value());
  EXPECT_NE(quote.error().message.find("provider"), std::string::npos);
}

TEST_F(TdxAttesterTest, RejectsBadRequests) {
  auto a = OpenAttester(StartKernel().Paths());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->GetQuote(Bytes(32, 0)).error().code, Code::kInvalidArgument);
  for (uint32_t imr : {0u, 1u, 4u}) EXPECT_FALSE(a->ExtendRuntimeEvent(imr, "x", {}).has_value());
  EXPECT_FALSE(a->ExtendRuntimeEvent(3, "", {}).has_value());
  EXPECT_FALSE(a->ExtendRuntimeEvent(3, "a:b", {}).has_value());
  EXPECT_TRUE(a->ReadEventLog()->empty());
  kernel_->Sync();
  EXPECT_EQ(kernel_->registers().rtmr, Initial().rtmr);
}

TEST_F(TdxAttesterTest, ExtendsRtmrsThroughSysfsAndPersistsTheLog) {
  FakeTdxKernel& kernel = StartKernel();
  const TdxPaths paths = kernel.Paths();
  auto a = OpenAttester(paths);
  ASSERT_NE(a, nullptr);
  std::vector<eventlog::RuntimeEvent> written;
  for (const char* name : {"system-preparing", "app-id", "compose-hash"}) {
    auto ev = a->ExtendRuntimeEvent(3, name, AsBytes(std::string(name) + "-payload"));
    ASSERT_TRUE(ev.has_value()) << ev.error().ToString();
    written.push_back(*ev);
    kernel.Sync();
    // The attribute received exactly the event digest, and the register moved by it.
  }
  auto ev2 = a->ExtendRuntimeEvent(2, "rtmr2-event", {});
  ASSERT_TRUE(ev2.has_value());
  written.push_back(*ev2);
  kernel.Sync();

  Measurements expect = Initial();
  for (const auto& ev : written) {
    crypto::Sha384Hasher h;
    h.Update(expect.rtmr[ev.imr]);
    h.Update(ev.digest);
    expect.rtmr[ev.imr] = h.Final();
  }
  EXPECT_EQ(kernel.registers().rtmr, expect.rtmr);
  auto m = a->ReadMeasurements();
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->rtmr, expect.rtmr);
  EXPECT_EQ(m->mrtd, Initial().mrtd);
  auto log = a->ReadEventLog();
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(*log, written);
  // RTMR3 (the one only runtime events touch) replays from the log alone.
  EXPECT_EQ(eventlog::ReplayRuntimeLog(*log)[3], m->rtmr[3]);

  // The state file holds the log in the AGENT_API JSON form, mode 0600.
  auto state = ReadTextFile(paths.state_file);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(*eventlog::ParseRuntimeEventLog(*state), written);
  struct stat st {};
  ASSERT_EQ(::stat(paths.state_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A restarted agent sees the same log and continues it.
  a.reset();
  auto b = OpenAttester(paths);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->ReadEventLog(), written);
  ASSERT_TRUE(b->ExtendRuntimeEvent(3, "system-ready", {}).has_value());
  kernel.Sync();
  EXPECT_EQ(eventlog::ReplayRuntimeLog(*b->ReadEventLog())[3], kernel.registers().rtmr[3]);
  auto quote = b->GetQuote(ReportData(5));
  ASSERT_TRUE(quote.has_value());
  EXPECT_EQ(dcap::ParseQuote(*quote)->tdx_body->rtmr[3], kernel.registers().rtmr[3]);
}

TEST_F(TdxAttesterTest, BootLogFromCcelExplainsEveryRegister) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string ccel_rel = "eventlog/t7-gcp-ccel/ccel_data.bin";
  const Bytes ccel = testing::ReadVector(ccel_rel);
  auto parsed = eventlog::ParseCcel(ccel);
  ASSERT_TRUE(parsed.has_value());
  Measurements initial;
  initial.mrtd = crypto::Sha384(AsBytes("gcp td"));
  const auto replayed = eventlog::ReplayRtmrs(*parsed);
  for (size_t i = 0; i < 4; ++i) initial.rtmr[i] = replayed[i];

  FakeTdxKernel& kernel = StartKernel({}, initial);
  TdxPaths paths = kernel.Paths();
  paths.ccel = testing::VectorPath(ccel_rel);
  auto a = OpenAttester(paths);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->ExtendRuntimeEvent(3, "system-preparing", {}).has_value());
  kernel.Sync();

  auto log = a->ReadEventLog();
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->size(), 43u + 1u);  // expected.json: 16 + 7 + 20 extended CCEL records
  auto quote = a->GetQuote(ReportData(9));
  ASSERT_TRUE(quote.has_value()) << quote.error().ToString();
  EXPECT_TRUE(VerifySim(*quote).valid);
  auto q = dcap::ParseQuote(*quote);
  ASSERT_TRUE(q.has_value());
  // The verifier's replay of our JSON log reproduces all four RTMRs of the quote.
  const std::string json = DumpJson(eventlog::RuntimeEventLogToJson(*log));
  auto replay = eventlog::ReplayAgainstQuote(AsBytes(json), q->tdx_body->rtmr);
  ASSERT_TRUE(replay.has_value()) << replay.error().ToString();
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replay->rtmr_match[i], true) << i;
  EXPECT_EQ(eventlog::ReplayRuntimeLog(*log), a->ReadMeasurements()->rtmr);
}

TEST_F(TdxAttesterTest, BootEventsFromCcelVector) {
  TEECLOUD_REQUIRE_VECTORS();
  const Bytes ccel = testing::ReadVector("eventlog/t7-gcp-ccel/ccel_data.bin");
  auto events = BootEventsFromCcel(ccel);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  std::array<size_t, 4> per_imr{};
  for (const auto& ev : *events) {
    ASSERT_LT(ev.imr, 4u);
    ++per_imr[ev.imr];
    EXPECT_EQ(ev.digest.size(), 48u);
    EXPECT_NE(ev.event_type, eventlog::kEvNoAction);
  }
  EXPECT_EQ(per_imr, (std::array<size_t, 4>{16, 7, 20, 0}));
  const auto replay = eventlog::ReplayRuntimeLog(*events);
  EXPECT_EQ(ToHex(replay[0]),
            "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece"
            "752afd17f6");
  EXPECT_EQ(ToHex(replay[2]),
            "4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8de219048c9fc09f11f3"
            "81a6fbe7c1");
  // The JSON form is accepted by the verifier's parser.
  auto back = eventlog::ParseRuntimeEventLog(DumpJson(eventlog::RuntimeEventLogToJson(*events)));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, *events);
  EXPECT_FALSE(BootEventsFromCcel(Bytes(64, 0x00)).has_value());
}

TEST_F(TdxAttesterTest, StateFileIsReconciledWithRtmr3) {
  FakeTdxKernel& kernel = StartKernel();
  const TdxPaths paths = kernel.Paths();
  {
    auto a = OpenAttester(paths);
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(a->ExtendRuntimeEvent(3, "one", {}).has_value());
    kernel.Sync();
  }
  auto saved = eventlog::ParseRuntimeEventLog(*ReadTextFile(paths.state_file));
  ASSERT_TRUE(saved.has_value());
  ASSERT_EQ(saved->size(), 1u);

  // An extension interrupted after the state write: the log is one event ahead.
  std::vector<eventlog::RuntimeEvent> ahead = *saved;
  ahead.push_back(eventlog::MakeRuntimeEvent("two", {}));
  ASSERT_TRUE(
      WriteBytes(paths.state_file, AsBytes(DumpJson(eventlog::RuntimeEventLogToJson(ahead))))
          .has_value());
  {
    auto a = OpenAttester(paths);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(*a->ReadEventLog(), *saved);
    EXPECT_EQ(*eventlog::ParseRuntimeEventLog(*ReadTextFile(paths.state_file)), *saved);
  }

  // A log that RTMR3 cannot explain.
  std::vector<eventlog::RuntimeEvent> other = {eventlog::MakeRuntimeEvent("other", {})};
  ASSERT_TRUE(
      WriteBytes(paths.state_file, AsBytes(DumpJson(eventlog::RuntimeEventLogToJson(other))))
          .has_value());
  TdxAttesterOptions o;
  o.paths = paths;
  auto bad = TdxConfigfsAttester::Open(o);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kFailedPrecondition);
  EXPECT_NE(bad.error().message.find("RTMR3"), std::string::npos);

  // Not a runtime log at all.
  ASSERT_TRUE(WriteBytes(paths.state_file, AsBytes("{\"x\": 1}")).has_value());
  EXPECT_EQ(TdxConfigfsAttester::Open(o).error().code, Code::kInvalidArgument);
  ASSERT_TRUE(WriteBytes(paths.state_file, AsBytes(DumpJson(eventlog::RuntimeEventLogToJson(
                                               {SimOsImage::Default().boot_events[0]}))))
                  .has_value());
  EXPECT_EQ(TdxConfigfsAttester::Open(o).error().code, Code::kInvalidArgument);
}

TEST_F(TdxAttesterTest, StaleStateFromAnEarlierBootIsDropped) {
  const std::string state = root_ + "/run/runtime-events.json";
  fs::create_directories(root_ + "/run");
  const std::vector<eventlog::RuntimeEvent> old = {eventlog::MakeRuntimeEvent("old-boot", {})};
  ASSERT_TRUE(WriteBytes(state, AsBytes(DumpJson(eventlog::RuntimeEventLogToJson(old)))));
  FakeTdxKernel& kernel = StartKernel();  // RTMR3 is zero: a fresh boot
  auto a = OpenAttester(kernel.Paths());
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->ReadEventLog()->empty());
  EXPECT_TRUE(eventlog::ParseRuntimeEventLog(*ReadTextFile(state))->empty());
}

TEST_F(TdxAttesterTest, WithoutMeasurementSysfs) {
  FakeTdxKernel::Options o;
  o.measurements = false;  // a kernel before 6.16
  FakeTdxKernel& kernel = StartKernel(o);
  auto a = OpenAttester(kernel.Paths());
  ASSERT_NE(a, nullptr);
  // Registers come from a quote.
  auto m = a->ReadMeasurements();
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->mrtd, kernel.registers().mrtd);
  EXPECT_EQ(m->rtmr, kernel.registers().rtmr);
  // Extension needs the sysfs attribute.
  auto ev = a->ExtendRuntimeEvent(3, "x", {});
  ASSERT_FALSE(ev.has_value());
  EXPECT_EQ(ev.error().code, Code::kFailedPrecondition);
  EXPECT_NE(ev.error().message.find("6.16"), std::string::npos);
  EXPECT_TRUE(a->ReadEventLog()->empty());
}

TEST_F(TdxAttesterTest, FailedExtensionRollsBackTheLog) {
  FakeTdxKernel& kernel = StartKernel();
  const TdxPaths paths = kernel.Paths();
  auto a = OpenAttester(paths);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->ExtendRuntimeEvent(3, "ok", {}).has_value());
  kernel.Sync();
  const auto before = *a->ReadEventLog();
  // Every write to the attribute now fails (ENOSPC).
  const std::string rtmr3 = kernel.MeasurementsDir() + "/rtmr3:sha384";
  fs::remove(rtmr3);
  fs::create_symlink("/dev/full", rtmr3);
  auto ev = a->ExtendRuntimeEvent(3, "fails", {});
  ASSERT_FALSE(ev.has_value());
  EXPECT_NE(ev.error().message.find("RTMR3"), std::string::npos);
  EXPECT_EQ(*a->ReadEventLog(), before);
  EXPECT_EQ(*eventlog::ParseRuntimeEventLog(*ReadTextFile(paths.state_file)), before);
}

TEST_F(TdxAttesterTest, ConcurrentQuotes) {
  auto a = OpenAttester(StartKernel().Paths());
  ASSERT_NE(a, nullptr);
  constexpr int kThreads = 4, kEach = 3;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  std::vector<Bytes> quotes[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto rd = ReportData(static_cast<uint8_t>(t * 16 + i));
        auto q = a->GetQuote(rd);
        if (q && dcap::ParseQuote(*q)->tdx_body->report_data == rd) {
          ++ok;
          quotes[t].push_back(std::move(*q));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(kernel_->quotes(), kThreads * kEach);
  for (const auto& qs : quotes) {
    for (const auto& q : qs) EXPECT_TRUE(VerifySim(q).valid);
  }
}

}  // namespace
}  // namespace teecloud::tee
