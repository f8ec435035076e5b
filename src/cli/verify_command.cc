#include "cli/verify_command.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/replay.h"
#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "cli/app_verify.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "crypto/x509.h"
#include "node/node_client.h"

namespace teecloud::cli {

namespace dcap = attest::dcap;

bool PolicyFlags::any() const {
  return !allow_status.empty() || reject_expired || allow_expired ||
         max_collateral_age_seconds.has_value() || allow_debug || require_sept_ve_disable ||
         require_mrservicetd_zero || !expect.empty() || require_event_log_match;
}

Result<dcap::Policy> BuildPolicy(const PolicyFlags& flags) {
  dcap::Policy p;
  if (!flags.allow_status.empty()) {
    p.allowed_statuses.clear();
    for (const auto& s : flags.allow_status) {
      auto status = dcap::ParseTcbStatus(s);
      if (!status) {
        return InvalidArgument("--allow-status: unknown TCB status '" + s +
                               "' (UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                               "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                               "OutOfDateConfigurationNeeded, Revoked, TcbLevelNotFound)");
      }
      p.allowed_statuses.push_back(*status);
    }
  }
  if (flags.reject_expired && flags.allow_expired) {
    return InvalidArgument("--reject-expired and --allow-expired contradict each other");
  }
  p.reject_expired_collateral = !flags.allow_expired;
  if (flags.max_collateral_age_seconds) {
    if (*flags.max_collateral_age_seconds < 0) {
      return InvalidArgument("--max-collateral-age must not be negative");
    }
    p.max_collateral_age_seconds = flags.max_collateral_age_seconds;
  }
  p.reject_debug = !flags.allow_debug;
  p.require_sept_ve_disable = flags.require_sept_ve_disable;
  p.require_mrservicetd_zero = flags.require_mrservicetd_zero;
  for (const auto& kv : flags.expect) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
      return InvalidArgument("--expect: expected KEY=HEX, got '" + kv + "'");
    }
    std::string key = kv.substr(0, eq);
    auto bytes = FromHex(kv.substr(eq + 1));
    if (!bytes) return InvalidArgument("--expect " + key + ": value is not hex");
    p.expected_measurements[key] = ToHex(*bytes);  // normalized: lower case, no prefix
  }
  return p;
}

namespace {

// Usage / I/O failure: message on stderr, exit 2.
int Fail(std::ostream& err, const std::string& what) {
  err << "teecloud verify quote: " << what << "\n";
  return kExitUsage;
}

// Roots from a PEM file (one or more certificates) or a single DER certificate.
Result<dcap::TrustSettings> LoadTrustRoot(const std::string& path) {
  ASSIGN_OR_RETURN(Bytes raw, ReadFile(path));
  auto trust = ParseTrustRoot(raw);
  if (!trust) return InvalidArgument(path + ": " + trust.error().message);
  return trust;
}

OrderedJson ReplayJson(const attest::eventlog::ReplayReport& r) {
  OrderedJson j;
  for (size_t i = 0; i < r.rtmr_match.size(); ++i) {
    j["rtmr" + std::to_string(i)] = r.rtmr_match[i] ? OrderedJson(*r.rtmr_match[i]) : OrderedJson(nullptr);
  }
  return j;
}

void PrintHuman(std::ostream& out, const dcap::VerifyResult& r, bool with_collateral,
                const std::optional<attest::eventlog::ReplayReport>& replay,
                const std::optional<dcap::PolicyDecision>& decision) {
  if (r.simulated) {
    out << "*** SIMULATED TEE: signed by a non-Intel root, not real hardware evidence ***\n";
  }
  out << (r.valid ? "VALID" : "INVALID");
  if (!r.valid && !r.error.empty()) out << ": " << r.error;
  out << "\n";
  auto line = [&out](const std::string& k, const std::string& v) {
    out << "  " << k << std::string(k.size() < 20 ? 20 - k.size() : 1, ' ') << v << "\n";
  };
  if (!r.platform.empty()) line("platform", r.platform);
  if (r.quote_version) line("quote version", std::to_string(r.quote_version));
  if (with_collateral && !r.tcb_status) {
    line("tcb status", "(not determined: verification stopped before TCB evaluation)");
  } else if (with_collateral) {
    line("tcb status", dcap::TcbStatusName(*r.tcb_status));
    std::string adv;
    for (const auto& a : r.advisory_ids) adv += (adv.empty() ? "" : ", ") + a;
    line("advisories", adv.empty() ? "none" : adv);
    line("collateral",
         r.collateral_expired ? "EXPIRED at the verification time" : "within its validity period");
  } else {
    line("tcb status", "not checked (no --collateral: quote structure and signatures only)");
  }
  if (!r.fmspc.empty()) line("fmspc", r.fmspc);
  if (r.measurements.is_object()) {
    for (const char* k : {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrenclave", "mrsigner",
                          "isv_prod_id", "isv_svn", "report_data"}) {
      auto it = r.measurements.find(k);
      if (it != r.measurements.end() && it->is_string()) line(k, it->get<std::string>());
    }
  }
  if (replay) {
    std::string s;
    for (size_t i = 0; i < replay->rtmr_match.size(); ++i) {
      const auto& m = replay->rtmr_match[i];
      s += (i ? ", " : "") + ("rtmr" + std::to_string(i)) +
           (!m ? " n/a" : (*m ? " match" : " MISMATCH"));
    }
    line("event log", replay->format + ", " + std::to_string(replay->event_count) + " events");
    line("replay", s);
  }
  if (decision) {
    if (decision->accepted) {
      line("policy", "accepted");
    } else {
      line("policy", "REJECTED");
      for (const auto& why : decision->reasons) out << "    - " << why << "\n";
    }
  }
}

}  // namespace

int RunVerifyQuote(const VerifyQuoteOptions& o, const Clock& clock, std::ostream& out,
                   std::ostream& err) {
  // Everything that can be a usage or I/O error is checked before any verification runs.
  std::optional<dcap::Policy> policy;
  if (o.policy.any()) {
    auto p = BuildPolicy(o.policy);
    if (!p) return Fail(err, p.error().message);
    policy = std::move(*p);
  }
  UnixTime now = 0;
  if (o.at) {
    auto t = ParseTimeArg(*o.at);
    if (!t) return Fail(err, "--at: " + t.error().message);
    now = *t;
  } else {
    now = clock.Now();
  }
  auto quote_bytes = ReadBinaryOrHexFile(o.quote_path);
  if (!quote_bytes) return Fail(err, o.quote_path + ": " + quote_bytes.error().message);

  std::optional<dcap::Collateral> collateral;
  if (o.collateral_path) {
    auto text = ReadTextFile(*o.collateral_path);
    if (!text) return Fail(err, *o.collateral_path + ": " + text.error().message);
    auto c = dcap::ParseCollateral(*text);
    if (!c) {
      return Fail(err, *o.collateral_path + ": not a collateral file: " + c.error().message);
    }
    collateral = std::move(*c);
  }
  dcap::TrustSettings trust = dcap::IntelTrust();
  if (o.trust_root_path) {
    auto t = LoadTrustRoot(*o.trust_root_path);
    if (!t) return Fail(err, "--trust-root " + t.error().message);
    trust = std::move(*t);
    if (trust.simulated) {
      err << "NOTE: --trust-root is NOT the Intel SGX Root CA: results are labelled "
             "\"simulated\" and prove nothing about real hardware.\n";
    }
  }
  std::optional<Bytes> event_log;
  if (o.event_log_path) {
    auto b = ReadFile(*o.event_log_path);
    if (!b) return Fail(err, *o.event_log_path + ": " + b.error().message);
    event_log = std::move(*b);
  }

  // The quote is parsed here as well for the policy and the replay; the verifier reports
  // parse failures itself (an unparsable quote is invalid evidence, not a usage error).
  auto quote = dcap::ParseQuote(*quote_bytes);
  dcap::QuoteVerifier verifier(std::move(trust));
  dcap::VerifyResult result = collateral ? verifier.Verify(*quote_bytes, *collateral, now)
                                         : verifier.VerifyWithoutCollateral(*quote_bytes, now);

  std::optional<attest::eventlog::ReplayReport> replay;
  std::string replay_error;
  if (event_log && quote) {
    if (!quote->tdx_body) {
      return Fail(err, "--event-log: the quote is an SGX quote; event logs apply to TDX quotes");
    }
    auto r = attest::eventlog::ReplayAgainstQuote(*event_log, quote->tdx_body->rtmr);
    if (!r) {
      return Fail(err, *o.event_log_path + ": not a usable event log: " + r.error().message);
    }
    replay = std::move(*r);
  } else if (event_log) {
    replay_error = "quote could not be parsed";
  }

  std::optional<dcap::PolicyDecision> decision;
  if (policy) {
    if (quote) {
      decision = dcap::EvaluatePolicy(*policy, result, *quote, now);
    } else {
      decision = dcap::PolicyDecision{false, {"quote is not valid: " + result.error}};
    }
    if (o.policy.require_event_log_match) {
      if (!event_log) {
        decision->reasons.push_back("--require-event-log-match needs --event-log");
      } else if (!replay) {
        decision->reasons.push_back("event log was not replayed: " + replay_error);
      } else {
        for (size_t i = 0; i < replay->rtmr_match.size(); ++i) {
          if (replay->rtmr_match[i] != true) {
            decision->reasons.push_back("event log replay does not reproduce rtmr" +
                                        std::to_string(i));
          }
        }
      }
      decision->accepted = decision->reasons.empty();
    }
  }

  if (o.json) {
    OrderedJson j = dcap::VerifyResultToJson(result);
    j["verified_at"] = now;
    if (event_log) j["event_log_replay"] = replay ? ReplayJson(*replay) : OrderedJson(nullptr);
    if (replay) {
      j["event_log_format"] = replay->format;
      j["event_log_events"] = replay->event_count;
    }
    if (decision) {
      j["policy"] = OrderedJson{{"accepted", decision->accepted}, {"reasons", decision->reasons}};
    }
    out << DumpJson(j, 2) << "\n";
  } else {
    PrintHuman(out, result, collateral.has_value(), replay, decision);
    out << "  verified at         " << FormatRfc3339(now) << "\n";
  }
  if (!result.valid) return kExitRejected;
  if (decision && !decision->accepted) return kExitRejected;
  return kExitOk;
}

// ------------------------------------------------------------------ verify APP

namespace {

constexpr std::string_view kVerifyApp = "teecloud verify";

int AppUsage(std::ostream& err, const std::string& what) {
  err << kVerifyApp << ": " << what << "\n";
  return kExitUsage;
}

// A node error: unreachable is 2 (as the other node commands), anything the node refused is 1.
int AppNodeError(std::ostream& err, const std::string& doing, const Error& e) {
  err << kVerifyApp << ": " << doing << ": " << e.message << "\n";
  return node::IsNodeUnreachable(e) ? kExitUsage : kExitRejected;
}

std::string Str(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

int RunVerifyApp(const VerifyAppOptions& o, const Clock& clock, crypto::Random& random,
                 std::ostream& out, std::ostream& err) {
  if (o.app.empty()) {
    return AppUsage(err,
                    "give the app to verify (`teecloud verify APP`: its name, CVM id or app id), "
                    "or a quote file (`teecloud verify quote FILE`)");
  }
  // Flags and files before anything goes over the wire.
  node::NodeEndpoint endpoint = node::DefaultNodeEndpoint();
  if (!o.node.empty()) {
    auto ep = node::ParseNodeEndpoint(o.node);
    if (!ep) return AppUsage(err, "--node: " + ep.error().message);
    endpoint = std::move(*ep);
  }
  AppTrust trust;
  if (o.trust_root_path) {
    auto raw = ReadFile(*o.trust_root_path, 1 << 20);
    if (!raw)
      return AppUsage(err, "--trust-root " + *o.trust_root_path + ": " + raw.error().message);
    if (auto t = ParseTrustRoot(*raw); !t) {
      return AppUsage(err, "--trust-root " + *o.trust_root_path + ": " + t.error().message);
    }
    trust.root.assign(raw->begin(), raw->end());
    trust.root_source = "--trust-root " + *o.trust_root_path;
  }
  if (o.collateral_path) {
    auto text = ReadTextFile(*o.collateral_path);
    if (!text) return AppUsage(err, *o.collateral_path + ": " + text.error().message);
    if (auto c = dcap::ParseCollateral(*text); !c) {
      return AppUsage(err, *o.collateral_path + ": not a collateral file: " + c.error().message);
    }
    trust.collateral_json = std::move(*text);
  }

  const node::NodeClient client(endpoint);
  const std::string path = "/v1/cvms/" + node::EncodePathSegment(o.app);
  auto cvm = client.Get(path);
  if (!cvm) {
    std::string hint;
    if (cvm.error().code == Code::kNotFound) hint = " (see `teecloud ls` for the apps on it)";
    return AppNodeError(err, "asking the node at " + endpoint.display + " for '" + o.app + "'",
                        Error{cvm.error().code, cvm.error().message + hint});
  }

  // A nonce of our own: a quote over it cannot have been made before we asked.
  const Bytes nonce = random.RandomBytes(32);
  auto reply = client.Post(path + "/attest", Json{{"nonce", ToHex(nonce)}});
  if (!reply) {
    return AppNodeError(err, "asking the node for a quote of '" + o.app + "'", reply.error());
  }

  AppVerifyInput in;
  in.nonce = nonce;
  auto quote = FromHex(Str(*reply, "quote"));
  in.reply.quote = quote ? std::move(*quote) : Bytes{};
  in.reply.event_log_json =
      reply->contains("event_log") ? DumpJson((*reply)["event_log"]) : std::string("null");
  in.reply.tee = Str(*reply, "tee");
  in.reply.simulated = reply->contains("simulated") && (*reply)["simulated"] == true;
  // The identity the node asserts for this quote (its attest reply), and its manifest when the
  // CVM was not upgraded between the two requests.
  in.claim.cvm_id = Str(*reply, "cvm_id");
  in.claim.name = Str(*reply, "name");
  in.claim.app_id = Str(*reply, "app_id");
  in.claim.instance_id = Str(*reply, "instance_id");
  in.claim.manifest_hash = Str(*reply, "manifest_hash");
  if (Str(*cvm, "manifest_hash") == in.claim.manifest_hash && cvm->contains("manifest")) {
    const Json& m = (*cvm)["manifest"];
    in.claim.manifest_json = m.is_string() ? m.get<std::string>() : DumpJson(m);
  }

  std::string note;
  if (trust.root.empty() && in.reply.simulated) {
    auto sim = client.Get("/v1/node/sim-trust");
    if (!sim) {
      return AppNodeError(err,
                          "the quote is simulated, but its root could not be fetched from the "
                          "node (pass --trust-root and --collateral)",
                          sim.error());
    }
    trust.root = Str(*sim, "root_pem");
    if (!trust.collateral_json && sim->contains("collateral")) {
      trust.collateral_json = DumpJson((*sim)["collateral"]);
    }
    trust.root_source = "simulation root served by the node (GET /v1/node/sim-trust)";
    note =
        "NOTE: the quote is from a SIMULATED TEE and its root came from the node itself: this "
        "checks the app's identity, nonce and event log, but simulated evidence proves nothing "
        "about hardware.\n";
  } else if (trust.root.empty()) {
    trust.root_source = "Intel SGX Root CA (pinned)";
    if (!trust.collateral_json) {
      note = "NOTE: no --collateral: the TCB status is not checked.\n";
    }
  }
  in.trust = std::move(trust);
  in.now = clock.Now();

  auto verified = VerifyAppEvidence(in);
  if (!verified) {
    if (verified.error().code == Code::kInvalidArgument) {
      return AppUsage(err, verified.error().message);
    }
    err << kVerifyApp << ": REFUSED " << o.app << ": " << verified.error().message << "\n";
    if (o.json) {
      OrderedJson j;
      j["verdict"] = "REFUSED";
      j["app"] = o.app;
      j["error"] = verified.error().message;
      out << DumpJson(j, 2) << "\n";
    }
    return kExitRejected;
  }
  err << note;
  if (o.json) {
    OrderedJson j = AppVerificationToJson(*verified);
    j["node"] = endpoint.display;
    out << DumpJson(j, 2) << "\n";
  } else {
    out << AppVerificationToText(*verified);
  }
  return kExitOk;
}

void AddVerifyAppCommand(CommandTable& table) {
  CLI::App* verify = table.Group(table.root(), "verify", "Verify attestation evidence");
  verify->description(
      "Verify a running app through its node (`verify APP`), or a quote file (`verify quote`)");
  verify->require_subcommand(0, 1);
  auto o = std::make_shared<VerifyAppOptions>();
  verify->add_option("APP", o->app,
                     "A running app: CVM name, id or app id. Fetches a fresh quote over a random "
                     "nonce through the node and verifies it, its event log and its identity. "
                     "(An app named like a subcommand, e.g. `quote`: give its id.)");
  verify->add_flag("--json", o->json, "Print one JSON object");
  verify->add_option("--node", o->node,
                     "Node API: http://HOST:PORT or a unix socket path (default: $TEECLOUD_NODE, "
                     "else the local node's socket, else http://127.0.0.1:7310)");
  verify->add_option("--trust-root", o->trust_root_path,
                     "Trusted root (PEM or DER). Default: Intel's root; for a simulated quote, "
                     "the simulation root the node serves");
  verify->add_option("--collateral", o->collateral_path,
                     "Collateral JSON (default: the node's, for a simulated quote)");
  // Options given before `quote` would be silently ignored by it: refuse them.
  verify->parse_complete_callback([verify, o] {
    if (!verify->get_subcommands().empty() && (o->json || !o->node.empty() || o->trust_root_path ||
                                               o->collateral_path || !o->app.empty())) {
      throw CLI::ValidationError("verify",
                                 "options of `verify APP` do not apply to `verify quote`; give "
                                 "`verify quote` its own after `quote FILE`");
    }
  });
  const CliIo& io = table.io();
  table.Handle(verify, [o, io] {
    crypto::SystemRandom random;
    return RunVerifyApp(*o, io.clock, random, io.out, io.err);
  });
}

}  // namespace teecloud::cli
