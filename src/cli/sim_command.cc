// `teecloud sim init|quote`: the simulated TEE (src/tee/sim_attester.h) from the command line.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/eventlog/runtime_log.h"
#include "base/file.h"
#include "base/json.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "tee/sim_attester.h"

namespace teecloud::cli {

namespace {

struct SimInitArgs {
  std::string dir;
  int validity_days = 365;
  bool force = false;
  std::string fmspc = "90c06f000000";
};

struct SimQuoteArgs {
  std::string sim_dir;
  std::string report_data;
  std::vector<std::string> events;
  std::string out;
  std::optional<std::string> event_log_out;
  bool hex = false;
};

int RunSimInit(const SimInitArgs& a, const CliIo& io) {
  tee::SimInitOptions o;
  o.now = io.clock.Now();
  o.validity_days = a.validity_days;
  o.force = a.force;
  o.fmspc_hex = a.fmspc;
  if (auto s = tee::InitSimDir(a.dir, o); !s) {
    io.err << "teecloud sim init: " << s.error().message << "\n";
    return kExitUsage;
  }
  const UnixTime day = 86400;
  io.out << "simulated TEE created in " << a.dir << "\n"
         << "  root.pem         sim root CA: give it to verifiers with --trust-root\n"
         << "  collateral.json  sim collateral, valid " << FormatRfc3339(o.now - day) << " .. "
         << FormatRfc3339(o.now + day * a.validity_days) << "\n"
         << "  private/         signing keys (mode 0700; never share)\n"
         << "Make a quote:  teecloud sim quote --sim-dir " << a.dir << " -o quote.bin\n"
         << "Verify it:     teecloud verify quote quote.bin --collateral " << a.dir
         << "/collateral.json --trust-root " << a.dir << "/root.pem\n";
  return kExitOk;
}

int SimQuoteFail(const CliIo& io, const std::string& what) {
  io.err << "teecloud sim quote: " << what << "\n";
  return kExitUsage;
}

int RunSimQuote(const SimQuoteArgs& a, const CliIo& io) {
  std::array<uint8_t, tee::kReportDataSize> report_data{};
  if (!a.report_data.empty()) {
    auto rd = FromHex(a.report_data);
    if (!rd) return SimQuoteFail(io, "--report-data: not hex");
    if (rd->size() > report_data.size()) {
      return SimQuoteFail(io, "--report-data: " + std::to_string(rd->size()) +
                                  " bytes, at most 64 (shorter values are zero-padded)");
    }
    std::copy(rd->begin(), rd->end(), report_data.begin());
  }
  struct Event {
    std::string name;
    Bytes payload;
  };
  std::vector<Event> events;
  for (const std::string& spec : a.events) {
    const size_t eq = spec.find('=');
    Event ev{spec.substr(0, eq), {}};
    if (eq != std::string::npos) {
      auto payload = FromHex(spec.substr(eq + 1));
      if (!payload) return SimQuoteFail(io, "--event " + spec + ": payload is not hex");
      ev.payload = std::move(*payload);
    }
    events.push_back(std::move(ev));
  }

  auto attester = tee::SimAttester::Open(a.sim_dir);
  if (!attester) return SimQuoteFail(io, attester.error().message);
  for (const Event& ev : events) {
    auto r = (*attester)->ExtendRuntimeEvent(attest::eventlog::kRuntimeImr, ev.name, ev.payload);
    if (!r) return SimQuoteFail(io, "--event " + ev.name + ": " + r.error().message);
  }
  auto quote = (*attester)->GetQuote(report_data);
  if (!quote) return SimQuoteFail(io, quote.error().message);
  const std::string hex = ToHex(*quote) + "\n";
  const ByteView out_bytes = a.hex ? AsBytes(hex) : ByteView(*quote);
  if (auto s = WriteFileAtomic(a.out, out_bytes, 0644); !s) {
    return SimQuoteFail(io, s.error().message);
  }
  io.out << "quote (" << quote->size() << " bytes, simulated TDX v4) written to " << a.out << "\n";
  if (a.event_log_out) {
    auto log = (*attester)->ReadEventLog();
    if (!log) return SimQuoteFail(io, log.error().message);
    const std::string text = DumpJson(attest::eventlog::RuntimeEventLogToJson(*log), 2) + "\n";
    if (auto s = WriteFileAtomic(*a.event_log_out, AsBytes(text), 0644); !s) {
      return SimQuoteFail(io, s.error().message);
    }
    io.out << "event log (" << log->size() << " events) written to " << *a.event_log_out << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddSimCommands(CommandTable& table) {
  CLI::App* sim = table.Group(
      table.root(), "sim",
      "Simulated TEE for development and CI: TDX v4 quotes signed by a local simulation PKI "
      "(never evidence of real hardware)");

  auto init = std::make_shared<SimInitArgs>();
  CLI::App* c = sim->add_subcommand(
      "init",
      "Create a simulation PKI and its collateral in DIR (root.pem, collateral.json, "
      "private/)");
  c->add_option("DIR", init->dir, "Directory to create (parents are created too)")->required();
  c->add_option("--validity-days", init->validity_days,
                "Days from now that certificates, CRLs and collateral stay valid (default 365)")
      ->check(CLI::Range(1, 36500));
  c->add_option("--fmspc", init->fmspc, "FMSPC of the simulated platform (6 bytes hex)");
  c->add_flag("--force", init->force, "Replace an existing sim TEE in DIR");
  table.Handle(c, [init, io = table.io()] { return RunSimInit(*init, io); });

  auto quote = std::make_shared<SimQuoteArgs>();
  CLI::App* q = sim->add_subcommand(
      "quote",
      "Write a simulated TDX quote. RTMR3 starts from zero in every invocation and is extended "
      "with the --event values in order");
  q->add_option("--sim-dir", quote->sim_dir, "Directory made by `teecloud sim init`")->required();
  q->add_option("--report-data", quote->report_data,
                "REPORTDATA as hex, at most 64 bytes, zero-padded (default: zeros)");
  q->add_option("--event", quote->events,
                "Runtime event NAME or NAME=PAYLOAD_HEX extended into RTMR3 (repeatable)")
      ->allow_extra_args(false);
  q->add_option("-o,--out", quote->out, "Quote output file")->required();
  q->add_option("--event-log-out", quote->event_log_out,
                "Also write the event log (JSON, AGENT_API.md event_log format)");
  q->add_flag("--hex", quote->hex, "Write the quote as hex text instead of binary");
  table.Handle(q, [quote, io = table.io()] { return RunSimQuote(*quote, io); });
}

}  // namespace teecloud::cli
