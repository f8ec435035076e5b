#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cli/bench_verify.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/quote_command.h"
#include "cli/verify_command.h"

#ifndef TEECLOUD_VERSION
#define TEECLOUD_VERSION "0.0.0"
#endif
#ifndef TEECLOUD_DEFAULT_PEER_SCRIPT
#define TEECLOUD_DEFAULT_PEER_SCRIPT ""
#endif

namespace teecloud::cli {

namespace {

constexpr char kDescription[] =
    "teecloud: an open confidential-computing cloud.\n"
    "Exit codes: 0 valid/accepted, 1 invalid or rejected, 2 usage or I/O error.";

void AddVerifyQuote(CLI::App& verify, VerifyQuoteOptions& o) {
  CLI::App* c = verify.add_subcommand(
      "quote",
      "Verify an Intel DCAP quote (TDX v4/v5 or SGX v3). Without --collateral only the quote "
      "structure, the PCK chain in the quote, the QE report and the quote signature are checked.");
  c->add_option("FILE", o.quote_path, "Quote file (raw binary or hex text)")->required();
  c->add_option("--collateral", o.collateral_path, "Collateral JSON (dcap-qvl QuoteCollateralV3)");
  c->add_option("--at", o.at, "Verification time: Unix seconds or RFC 3339 (default: now)");
  c->add_option("--trust-root", o.trust_root_path,
                "Trusted root certificate (PEM or DER) instead of the pinned Intel SGX Root CA; "
                "any other root labels the result \"simulated\"");
  c->add_option("--event-log", o.event_log_path,
                "CCEL event log or teecloud runtime event log to replay against the quote RTMRs");
  c->add_flag("--json", o.json, "Print one JSON object");
  const char* group = "Policy (evaluated only when one of these is given)";
  PolicyFlags& p = o.policy;
  c->add_option("--allow-status", p.allow_status,
                "Accepted TCB status (repeatable; default UpToDate)")
      ->group(group)
      ->allow_extra_args(false);
  c->add_flag("--reject-expired", p.reject_expired, "Reject expired collateral (the default)")
      ->group(group);
  c->add_flag("--allow-expired", p.allow_expired, "Accept expired collateral")->group(group);
  c->add_option("--max-collateral-age", p.max_collateral_age_seconds,
                "Reject collateral issued more than SECONDS before the verification time")
      ->group(group);
  c->add_flag("--allow-debug", p.allow_debug, "Accept debug TDs / enclaves")->group(group);
  c->add_flag("--require-sept-ve-disable", p.require_sept_ve_disable,
              "TDX: require TD_ATTRIBUTES.SEPT_VE_DISABLE")
      ->group(group);
  c->add_flag("--require-mrservicetd-zero", p.require_mrservicetd_zero,
              "TDX 1.5: require MRSERVICETD to be zero")
      ->group(group);
  c->add_option("--expect", p.expect,
                "Expected measurement KEY=HEX (repeatable; keys as in the JSON measurements)")
      ->group(group)
      ->allow_extra_args(false);
  c->add_flag("--require-event-log-match", p.require_event_log_match,
              "Reject unless replaying --event-log reproduces every RTMR")
      ->group(group);
}

void AddBenchVerify(CLI::App& bench, BenchVerifyOptions& o, std::string& at, bool& json) {
  CLI::App* c = bench.add_subcommand(
      "verify",
      "Quote verification throughput on one core: cold, warm, ECDSA P-256, and the dcap-qvl "
      "peer (node) on the same inputs");
  c->add_option("--quote", o.quote_path, "Quote file (raw binary or hex text)")->required();
  c->add_option("--collateral", o.collateral_path, "Collateral JSON")->required();
  c->add_option("--at", at, "Verification time: Unix seconds or RFC 3339")->required();
  c->add_option("--seconds", o.seconds, "Seconds per measurement (default 2)");
  c->add_option("--peer", o.peer, "auto: run dcap-qvl via node when available; none: skip")
      ->check(CLI::IsMember({"auto", "none"}));
  c->add_option("--peer-script", o.peer_script, "Path of bench/dcap_qvl_peer.mjs");
  c->add_option("--node", o.node, "node executable (default: node from PATH)");
  c->add_flag("--json", json, "Print one JSON object");
}

int RunCliImpl(int argc, const char* const* argv, const Clock& clock, std::ostream& out,
               std::ostream& err) {
  CLI::App app(kDescription, "teecloud");
  app.set_version_flag("--version", std::string("teecloud ") + TEECLOUD_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  std::vector<std::string> help_topic;
  CLI::App* help = app.add_subcommand("help", "Show help for teecloud or one of its commands");
  help->add_option("COMMAND", help_topic, "e.g. verify quote");

  VerifyQuoteOptions verify_opts;
  CLI::App* verify = app.add_subcommand("verify", "Verify attestation evidence");
  verify->require_subcommand(1);
  AddVerifyQuote(*verify, verify_opts);

  QuoteShowOptions show_opts;
  CLI::App* quote = app.add_subcommand("quote", "Inspect DCAP quotes");
  quote->require_subcommand(1);
  CLI::App* show = quote->add_subcommand("show", "Print every decoded field of a quote");
  show->add_option("FILE", show_opts.quote_path, "Quote file (raw binary or hex text)")->required();
  show->add_flag("--json", show_opts.json, "JSON output (the default output is JSON too)");

  BenchVerifyOptions bench_opts;
  bench_opts.peer_script = TEECLOUD_DEFAULT_PEER_SCRIPT;
  bool bench_json = false;
  std::string bench_at;
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  AddBenchVerify(*bench, bench_opts, bench_at, bench_json);

  CommandTable table(app, CliIo{clock, out, err});
  AddSimCommands(table);
  AddManifestCommands(table);
  AddChainCommands(table);
  AddNodeCommands(table);
  AddVerifyAppCommand(table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, out, err);  // --help, --version
      return kExitOk;
    }
    err << "teecloud: ";
    app.exit(e, out, err);
    return kExitUsage;
  }

  if (*help) {
    const CLI::App* topic = &app;
    for (const auto& name : help_topic) {
      const CLI::App* next = nullptr;
      for (const CLI::App* sub : topic->get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == name) next = sub;
      }
      if (next == nullptr) {
        err << "teecloud help: unknown command '" << name << "'\n" << app.help();
        return kExitUsage;
      }
      topic = next;
    }
    out << topic->help();
    return kExitOk;
  }
  if (auto code = table.Dispatch()) return *code;
  if (verify->got_subcommand("quote")) return RunVerifyQuote(verify_opts, clock, out, err);
  if (quote->got_subcommand("show")) return RunQuoteShow(show_opts, out, err);
  if (bench->got_subcommand("verify")) {
    auto at = ParseTimeArg(bench_at);
    if (!at) {
      err << "teecloud bench verify: --at: " << at.error().message << "\n";
      return kExitUsage;
    }
    bench_opts.at = *at;
    auto figures = RunVerifyBench(bench_opts);
    if (!figures) {
      err << "teecloud bench verify: " << figures.error().message << "\n";
      return kExitUsage;
    }
    if (bench_json) {
      out << DumpJson(BenchFiguresToJson(*figures), 2) << "\n";
    } else {
      out << BenchFiguresToText(*figures);
    }
    return kExitOk;
  }
  err << app.help();
  return kExitUsage;
}

}  // namespace

int RunCli(int argc, const char* const* argv, const Clock& clock, std::ostream& out,
           std::ostream& err) {
  try {
    return RunCliImpl(argc, argv, clock, out, err);
  } catch (const std::exception& e) {
    // Only CLI11 throws in this process; anything else reaching here is a bug, reported
    // rather than crashing with an uncaught exception.
    err << "teecloud: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace teecloud::cli
