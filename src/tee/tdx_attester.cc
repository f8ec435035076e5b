#include "tee/tdx_attester.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "attest/dcap/quote.h"
#include "attest/eventlog/ccel.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace teecloud::tee {

namespace dcap = attest::dcap;
namespace eventlog = attest::eventlog;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxQuoteSize = 1 << 20;
constexpr size_t kMrSize = 48;
// Header + TDX 1.0 body + signature data length: nothing shorter can be a TDX quote.
constexpr size_t kMinTdxQuoteSize = dcap::kHeaderSize + dcap::kTdx10ReportBodySize + 4;

std::string ErrnoText() { return std::strerror(errno); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

std::string RegisterPath(const TdxPaths& p, const std::string& name) {
  return Join(p.measurements_dir, name + ":sha384");
}

// Reads an attribute, waiting (bounded) for it to appear. Real configfs/sysfs attributes exist
// from the start, so the first attempt is the only one there.
Result<Bytes> ReadAttribute(const std::string& path, Clock::time_point deadline,
                            size_t max_bytes = 4096) {
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    auto r = ReadFile(path, max_bytes);
    if (r || r.error().code != Code::kNotFound || Clock::now() >= deadline) return r;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
}

Result<std::string> ReadTextAttribute(const std::string& path, Clock::time_point deadline) {
  ASSIGN_OR_RETURN(Bytes b, ReadAttribute(path, deadline));
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

Result<uint64_t> ReadCounter(const std::string& path, Clock::time_point deadline) {
  ASSIGN_OR_RETURN(std::string s, ReadTextAttribute(path, deadline));
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
    return DataLoss(path + ": expected a decimal counter, got \"" + s + "\"");
  }
  return std::stoull(s);
}

// Writes `data` with one write(2) at offset 0 of an existing attribute (no O_CREAT, no
// O_TRUNC: configfs and sysfs attributes are not regular files).
Status WriteAttribute(const std::string& path, ByteView data, Clock::time_point deadline) {
  auto pause = std::chrono::microseconds(200);
  int fd = -1;
  for (;;) {
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
  if (fd < 0) {
    const bool missing = errno == ENOENT;
    const std::string msg = "cannot open " + path + " for writing: " + ErrnoText();
    return missing ? NotFound(msg) : Unavailable(msg);
  }
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  const std::string write_error = n < 0 ? ErrnoText() : "";
  const int close_rc = ::close(fd);
  if (n < 0) return Unavailable("cannot write " + path + ": " + write_error);
  if (static_cast<size_t>(n) != data.size()) {
    return Unavailable("short write to " + path + ": " + std::to_string(n) + " of " +
                       std::to_string(data.size()) + " bytes");
  }
  if (close_rc != 0) return Unavailable("cannot write " + path + ": " + ErrnoText());
  return OkStatus();
}

Result<crypto::Digest384> ReadRegister(const std::string& path) {
  ASSIGN_OR_RETURN(Bytes b, ReadFile(path, 4096));
  if (b.size() != kMrSize) {
    return DataLoss(path + ": expected 48 bytes, got " + std::to_string(b.size()));
  }
  crypto::Digest384 d{};
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

Status CheckRuntimeName(const std::string& name) {
  if (name.empty()) return InvalidArgument("event name is empty");
  if (name.find(':') != std::string::npos) {
    return InvalidArgument("event name \"" + name + "\" contains ':'");
  }
  return OkStatus();
}

Status WriteState(const std::string& path, const std::vector<eventlog::RuntimeEvent>& events) {
  if (path.empty()) return OkStatus();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Unavailable("cannot create " + parent.string() + ": " + ec.message());
  }
  const std::string text = DumpJson(eventlog::RuntimeEventLogToJson(events)) + "\n";
  return WriteFileAtomic(path, AsBytes(text), 0600);
}

Result<std::vector<eventlog::RuntimeEvent>> LoadState(const std::string& path) {
  std::vector<eventlog::RuntimeEvent> events;
  if (path.empty() || !Exists(path)) return events;
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto parsed = eventlog::ParseRuntimeEventLog(text);
  if (!parsed) return tl::unexpected(parsed.error().WithContext("state file " + path));
  for (size_t i = 0; i < parsed->size(); ++i) {
    const auto& ev = (*parsed)[i];
    if ((ev.imr != 2 && ev.imr != 3) || ev.event_type != eventlog::kRuntimeEventType ||
        !CheckRuntimeName(ev.event)) {
      return InvalidArgument("state file " + path + ": entry " + std::to_string(i) +
                             " is not a runtime event for RTMR2/3");
    }
  }
  return std::move(*parsed);
}

std::string NotATdxGuest(const std::string& path, const char* what) {
  return "not a TDX guest: " + path + " missing (" + what + ")";
}

}  // namespace

Result<std::vector<attest::eventlog::RuntimeEvent>> BootEventsFromCcel(ByteView ccel) {
  ASSIGN_OR_RETURN(eventlog::CcelLog log, eventlog::ParseCcel(ccel));
  std::vector<eventlog::RuntimeEvent> out;
  for (const auto& rec : log.events) {
    if (rec.event_type == eventlog::kEvNoAction || rec.mr_index == 0) continue;
    eventlog::RuntimeEvent ev;
    ev.imr = rec.mr_index - 1;
    ev.event_type = rec.event_type;
    // ParseCcel guarantees a SHA-384 digest on every extended record.
    ev.digest = ToBytes(rec.DigestFor(eventlog::kAlgSha384));
    ev.payload = rec.event_data;
    out.push_back(std::move(ev));
  }
  return out;
}

struct TdxConfigfsAttester::State {
  TdxAttesterOptions options;
  std::vector<eventlog::RuntimeEvent> boot_events;
  std::atomic<uint64_t> counter{0};
  std::string name_prefix;  // "teecloud-<pid>-<random>-"

  mutable std::shared_mutex mu;
  std::vector<eventlog::RuntimeEvent> runtime_events;

  Clock::time_point Deadline() const { return Clock::now() + options.attribute_timeout; }
  Result<Bytes> Quote(ByteView report_data);
};

Result<Bytes> TdxConfigfsAttester::State::Quote(ByteView report_data) {
  const TdxPaths& p = options.paths;
  if (!IsDir(p.tsm_report_dir)) {
    return FailedPrecondition(NotATdxGuest(p.tsm_report_dir, "configfs-tsm reports"));
  }
  const std::string entry = Join(p.tsm_report_dir, name_prefix + std::to_string(++counter));
  if (::mkdir(entry.c_str(), 0700) != 0) {
    return Unavailable("cannot create configfs-tsm report " + entry + ": " + ErrnoText());
  }
  // The item is removed whatever happens. On configfs rmdir takes its attributes with it; a
  // failure (e.g. a non-configfs tree) only leaves an item behind.
  struct Remove {
    const std::string& dir;
    ~Remove() { ::rmdir(dir.c_str()); }
  } remove{entry};

  const Clock::time_point deadline = Deadline();
  auto provider = ReadTextAttribute(Join(entry, "provider"), deadline);
  if (!provider) return tl::unexpected(provider.error().WithContext("configfs-tsm"));
  if (*provider != "tdx_guest") {
    return FailedPrecondition("configfs-tsm provider is \"" + *provider +
                              "\", not tdx_guest: this is not a TDX guest");
  }
  ASSIGN_OR_RETURN(uint64_t generation_before, ReadCounter(Join(entry, "generation"), deadline));
  RETURN_IF_ERROR(WriteAttribute(Join(entry, "inblob"), report_data, deadline));
  auto quote = ReadAttribute(Join(entry, "outblob"), deadline, kMaxQuoteSize);
  if (!quote) return tl::unexpected(quote.error().WithContext("configfs-tsm outblob"));
  ASSIGN_OR_RETURN(uint64_t generation_after, ReadCounter(Join(entry, "generation"), deadline));
  if (generation_after != generation_before + 1) {
    return MakeError(Code::kAborted, "configfs-tsm report " + entry + ": generation went from " +
                                         std::to_string(generation_before) + " to " +
                                         std::to_string(generation_after) +
                                         " (another writer raced with this request); retry");
  }
  if (quote->size() < kMinTdxQuoteSize) {
    return DataLoss("configfs-tsm outblob is " + std::to_string(quote->size()) +
                    " bytes, shorter than any TDX quote");
  }
  auto parsed = dcap::ParseQuote(*quote);
  if (!parsed) return DataLoss("configfs-tsm outblob is not a quote: " + parsed.error().message);
  if (!parsed->is_tdx()) return DataLoss("configfs-tsm outblob is not a TDX quote");
  if (!BytesEqual(parsed->report_data(), report_data)) {
    return DataLoss("configfs-tsm outblob carries different report data than was requested");
  }
  return std::move(*quote);
}

TdxConfigfsAttester::TdxConfigfsAttester(std::unique_ptr<State> state) : state_(std::move(state)) {}
TdxConfigfsAttester::~TdxConfigfsAttester() = default;

Result<std::unique_ptr<TdxConfigfsAttester>> TdxConfigfsAttester::Open(TdxAttesterOptions options) {
  const TdxPaths& p = options.paths;
  if (!IsDir(p.tsm_report_dir)) {
    return FailedPrecondition(NotATdxGuest(
        p.tsm_report_dir, "configfs-tsm reports: Linux 6.7+ with TSM reports and configfs"));
  }
  auto state = std::make_unique<State>();
  if (!p.ccel.empty()) {
    auto ccel = ReadFile(p.ccel);
    if (!ccel && ccel.error().code == Code::kNotFound) {
      return FailedPrecondition(NotATdxGuest(p.ccel, "CCEL ACPI table"));
    }
    if (!ccel) return tl::unexpected(ccel.error());
    auto boot = BootEventsFromCcel(*ccel);
    if (!boot) return tl::unexpected(boot.error().WithContext(p.ccel));
    state->boot_events = std::move(*boot);
  }
  ASSIGN_OR_RETURN(state->runtime_events, LoadState(p.state_file));

  // Reconcile the saved runtime log with RTMR3 (see the header).
  const std::string rtmr3_path = RegisterPath(p, "rtmr3");
  if (Exists(rtmr3_path)) {
    ASSIGN_OR_RETURN(crypto::Digest384 rtmr3, ReadRegister(rtmr3_path));
    auto replay3 = [&](size_t n_runtime) {
      std::vector<eventlog::RuntimeEvent> log = state->boot_events;
      log.insert(log.end(), state->runtime_events.begin(),
                 state->runtime_events.begin() + static_cast<std::ptrdiff_t>(n_runtime));
      return eventlog::ReplayRuntimeLog(log)[3];
    };
    auto& events = state->runtime_events;
    if (replay3(events.size()) != rtmr3) {
      if (!events.empty() && events.back().imr == 3 && replay3(events.size() - 1) == rtmr3) {
        events.pop_back();  // the register write of the last extension never happened
      } else if (replay3(0) == rtmr3) {
        events.clear();  // a log from an earlier boot
      } else {
        return FailedPrecondition("runtime event log " + p.state_file +
                                  " does not explain RTMR3 (" + ToHex(rtmr3) +
                                  "): something else extended it");
      }
      RETURN_IF_ERROR(WriteState(p.state_file, events));
    }
  }
  crypto::SystemRandom random;
  state->name_prefix =
      "teecloud-" + std::to_string(::getpid()) + "-" + ToHex(random.RandomBytes(4)) + "-";
  state->options = std::move(options);
  return std::unique_ptr<TdxConfigfsAttester>(new TdxConfigfsAttester(std::move(state)));
}

PlatformInfo TdxConfigfsAttester::Platform() const {
  PlatformInfo info;
  info.tee = "tdx";
  info.simulated = false;
  info.description = "Intel TDX (configfs-tsm quotes)";
  return info;
}

Result<Bytes> TdxConfigfsAttester::GetQuote(ByteView report_data) {
  if (report_data.size() != kReportDataSize) {
    return InvalidArgument("report data must be 64 bytes, got " +
                           std::to_string(report_data.size()));
  }
  std::shared_lock lock(state_->mu);
  return state_->Quote(report_data);
}

Result<Measurements> TdxConfigfsAttester::ReadMeasurements() {
  std::shared_lock lock(state_->mu);
  const TdxPaths& p = state_->options.paths;
  Measurements m;
  if (IsDir(p.measurements_dir)) {
    ASSIGN_OR_RETURN(m.mrtd, ReadRegister(RegisterPath(p, "mrtd")));
    for (size_t i = 0; i < m.rtmr.size(); ++i) {
      ASSIGN_OR_RETURN(m.rtmr[i], ReadRegister(RegisterPath(p, "rtmr" + std::to_string(i))));
    }
    return m;
  }
  // Kernels before 6.16: the registers as a fresh quote reports them.
  const std::array<uint8_t, kReportDataSize> zeros{};
  ASSIGN_OR_RETURN(Bytes quote, state_->Quote(zeros));
  ASSIGN_OR_RETURN(dcap::Quote q, dcap::ParseQuote(quote));
  m.mrtd = q.tdx_body->mr_td;
  m.rtmr = q.tdx_body->rtmr;
  return m;
}

Result<eventlog::RuntimeEvent> TdxConfigfsAttester::ExtendRuntimeEvent(uint32_t imr,
                                                                       std::string name,
                                                                       ByteView payload) {
  if (imr != 2 && imr != 3) {
    return InvalidArgument("only RTMR2 and RTMR3 can be extended at run time, not RTMR" +
                           std::to_string(imr));
  }
  RETURN_IF_ERROR(CheckRuntimeName(name));
  eventlog::RuntimeEvent ev = eventlog::MakeRuntimeEvent(std::move(name), payload);
  ev.imr = imr;

  std::unique_lock lock(state_->mu);
  const TdxPaths& p = state_->options.paths;
  const std::string reg = RegisterPath(p, "rtmr" + std::to_string(imr));
  if (!Exists(reg)) {
    return FailedPrecondition(
        "RTMR extension needs the tdx_guest measurement sysfs (Linux "
        "6.16+): " +
        reg + " missing");
  }
  // Write-ahead: the log on disk may run one event ahead of the register (Open repairs that),
  // never behind it.
  std::vector<eventlog::RuntimeEvent> next = state_->runtime_events;
  next.push_back(ev);
  RETURN_IF_ERROR(WriteState(p.state_file, next));
  if (auto s = WriteAttribute(reg, ev.digest, Clock::now()); !s) {
    auto rollback = WriteState(p.state_file, state_->runtime_events);
    std::string msg = "extending RTMR" + std::to_string(imr) + ": " + s.error().message;
    if (!rollback) msg += "; restoring the state file also failed: " + rollback.error().message;
    return MakeError(s.error().code, msg);
  }
  state_->runtime_events = std::move(next);
  return ev;
}

Result<std::vector<eventlog::RuntimeEvent>> TdxConfigfsAttester::ReadEventLog() {
  std::shared_lock lock(state_->mu);
  std::vector<eventlog::RuntimeEvent> log = state_->boot_events;
  log.insert(log.end(), state_->runtime_events.begin(), state_->runtime_events.end());
  return log;
}

}  // namespace teecloud::tee
