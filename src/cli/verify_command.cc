#include "cli/verify_command.h"

#include <algorithm>
#include <utility>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/replay.h"
#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "cli/exit_codes.h"
#include "crypto/x509.h"

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
  std::vector<crypto::Certificate> roots;
  if (auto pem = crypto::ParsePemChain(AsStringView(raw))) {
    roots = std::move(*pem);
  } else if (auto der = crypto::Certificate::FromDer(raw)) {
    roots.push_back(std::move(*der));
  } else {
    return InvalidArgument(path + ": no PEM or DER certificate found");
  }
  dcap::TrustSettings trust;
  const Bytes& intel = dcap::IntelSgxRootCa().der();
  trust.simulated = !(roots.size() == 1 && BytesEqual(roots[0].der(), intel));
  trust.roots = std::move(roots);
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

}  // namespace teecloud::cli
