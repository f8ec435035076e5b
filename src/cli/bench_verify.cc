#include "cli/bench_verify.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <sstream>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "base/file.h"
#include "crypto/x509.h"
#include "cli/subprocess.h"
#include "crypto/ec.h"

namespace teecloud::cli {

namespace dcap = attest::dcap;

namespace {

// CPU time of this process. Rates are per CPU-second, so other load on the machine (a busy CI
// host) changes how long a measurement takes, not the figure it reports. The process is
// single-threaded while measuring, and the peer reports its own process CPU time the same way.
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `op` repeatedly for `seconds` of CPU time and returns operations per CPU-second. `op`
// returns false on an unexpected outcome, which aborts the measurement.
template <typename Op>
Result<double> Rate(double seconds, Op&& op, const char* what) {
  const double start = ProcessCpuSeconds();
  uint64_t n = 0;
  for (;;) {
    if (!op()) return Internal(std::string("bench: ") + what + ": unexpected result");
    ++n;
    const double elapsed = ProcessCpuSeconds() - start;
    if (elapsed >= seconds) return static_cast<double>(n) / elapsed;
  }
}

int PinToCurrentCpu() {
  const int cpu = sched_getcpu();
  if (cpu < 0) return -1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
  return cpu;
}

// Runs the dcap-qvl peer; fills peer_per_s or peer_note.
void RunPeer(const BenchVerifyOptions& o, BenchFigures& f) {
  if (o.peer == "none") {
    f.peer_note = "skipped (--peer none)";
    return;
  }
  if (o.peer_script.empty() || access(o.peer_script.c_str(), R_OK) != 0) {
    f.peer_note = "skipped: peer script not found: " + o.peer_script;
    return;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", o.seconds);
  auto run = RunProcess({o.node, o.peer_script, "--quote", o.quote_path, "--collateral",
                         o.collateral_path, "--at", std::to_string(o.at), "--seconds", secs},
                        o.seconds + 60);
  if (!run) {
    f.peer_note = "skipped: " + run.error().message;
    return;
  }
  if (run->timed_out || run->exit_code != 0) {
    std::string tail =
        run->output.size() > 400 ? run->output.substr(run->output.size() - 400) : run->output;
    f.peer_note = "failed (exit " + std::to_string(run->exit_code) + "): " + tail;
    return;
  }
  // The peer prints one JSON object on its last non-empty line.
  std::string last;
  std::istringstream lines(run->output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.front() == '{') last = line;
  }
  auto j = ParseJson(last);
  if (!j || !j->is_object() || !j->contains("verifications_per_s") ||
      !(*j)["verifications_per_s"].is_number()) {
    f.peer_note = "failed: unexpected peer output: " + run->output;
    return;
  }
  f.peer_per_s = (*j)["verifications_per_s"].get<double>();
  f.peer_note = j->value("peer", std::string("dcap-qvl"));
  if (j->contains("status") && (*j)["status"].is_string()) {
    f.peer_note += ", status " + (*j)["status"].get<std::string>();
  }
}

}  // namespace

Result<BenchFigures> RunVerifyBench(const BenchVerifyOptions& o) {
  if (!(o.seconds > 0) || o.seconds > 3600) {
    return InvalidArgument("--seconds must be in (0, 3600]");
  }
  if (o.peer != "auto" && o.peer != "none") return InvalidArgument("--peer must be auto|none");
  ASSIGN_OR_RETURN(Bytes quote_bytes, ReadBinaryOrHexFile(o.quote_path));
  ASSIGN_OR_RETURN(std::string collateral_json, ReadTextFile(o.collateral_path));
  ASSIGN_OR_RETURN(dcap::Collateral collateral, dcap::ParseCollateral(collateral_json));
  ASSIGN_OR_RETURN(dcap::Quote quote, dcap::ParseQuote(quote_bytes));

  BenchFigures f;
  f.platform = dcap::QuotePlatform(quote);
  f.seconds = o.seconds;
  if (o.pin_cpu) f.cpu = PinToCurrentCpu();

  // Sanity: the benchmark measures the success path.
  {
    dcap::QuoteVerifier v(dcap::IntelTrust());
    auto r = v.Verify(quote_bytes, collateral, o.at);
    if (!r.valid) return FailedPrecondition("bench: the quote does not verify: " + r.error);
  }

  // Cold: a fresh verifier and a fresh collateral parse each time, so every signature of the
  // full verification is checked again; only the process-wide X.509 decode memo (keyed by the
  // exact DER) survives. First contact also drops that memo, as a process seeing these
  // certificates for the first time would.
  auto cold = [&](bool first_contact) {
    return [&, first_contact] {
      if (first_contact) crypto::ClearCertificateDecodeCache();
      auto c = dcap::ParseCollateral(collateral_json);
      if (!c) return false;
      dcap::QuoteVerifier v(dcap::IntelTrust());
      return v.Verify(quote_bytes, *c, o.at).valid;
    };
  };
  ASSIGN_OR_RETURN(f.cold_per_s, Rate(o.seconds, cold(false), "cold verify"));
  ASSIGN_OR_RETURN(f.cold_first_contact_per_s,
                   Rate(o.seconds, cold(true), "cold first-contact verify"));

  // Warm: one caching verifier; the first call fills the cache and is not timed.
  {
    dcap::QuoteVerifier v(dcap::IntelTrust(), /*cache=*/true);
    if (!v.Verify(quote_bytes, collateral, o.at).valid) {
      return Internal("bench: warm verifier disagrees with the cold one");
    }
    ASSIGN_OR_RETURN(f.warm_per_s,
                     Rate(
                         o.seconds, [&] { return v.Verify(quote_bytes, collateral, o.at).valid; },
                         "warm verify"));
  }

  // One ECDSA P-256 check (SHA-256 + verify) over a message as long as the signed region.
  {
    ASSIGN_OR_RETURN(auto key, crypto::EcPrivateKey::Generate(crypto::Curve::kP256));
    const Bytes& msg = quote.signed_region;
    f.ecdsa_message_bytes = msg.size();
    ASSIGN_OR_RETURN(Bytes sig, key.SignRaw(msg, crypto::HashAlg::kSha256));
    const crypto::EcPublicKey pub = key.PublicKey();
    ASSIGN_OR_RETURN(
        f.ecdsa_per_s,
        Rate(
            o.seconds,
            [&] { return pub.VerifyRaw(msg, sig, crypto::HashAlg::kSha256).has_value(); },
            "ecdsa verify"));
  }

  RunPeer(o, f);
  return f;
}

OrderedJson BenchFiguresToJson(const BenchFigures& f) {
  OrderedJson j;
  j["platform"] = f.platform;
  j["cpu"] = f.cpu;
  j["seconds_per_measurement"] = f.seconds;
  j["rate_basis"] = "operations per CPU-second of the measuring process";
  j["cold_per_s"] = f.cold_per_s;
  j["cold_first_contact_per_s"] = f.cold_first_contact_per_s;
  j["warm_per_s"] = f.warm_per_s;
  j["ecdsa_p256_per_s"] = f.ecdsa_per_s;
  j["ecdsa_message_bytes"] = f.ecdsa_message_bytes;
  j["warm_over_ecdsa"] = f.warm_over_ecdsa();
  j["peer_per_s"] = f.peer_per_s ? OrderedJson(*f.peer_per_s) : OrderedJson(nullptr);
  j["peer"] = f.peer_note;
  const auto cop = f.cold_over_peer();
  j["cold_over_peer"] = cop ? OrderedJson(*cop) : OrderedJson(nullptr);
  OrderedJson targets;
  targets["warm_over_ecdsa_min"] = kTargetWarmOverEcdsa;
  targets["warm_over_ecdsa_met"] = f.warm_over_ecdsa() >= kTargetWarmOverEcdsa;
  targets["cold_over_peer_min"] = kTargetColdOverPeer;
  targets["cold_over_peer_met"] =
      cop ? OrderedJson(*cop >= kTargetColdOverPeer) : OrderedJson(nullptr);
  j["targets"] = targets;
  return j;
}

std::string BenchFiguresToText(const BenchFigures& f) {
  char buf[2048];
  std::string s;
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof buf, fmt, args...);
    s += buf;
  };
  add("teecloud bench verify (%s quote, %.1f CPU-s per measurement, pinned to cpu %d)\n",
      f.platform.c_str(), f.seconds, f.cpu);
  add("  rates are per CPU-second, so other load on the machine does not skew them\n");
  add("  cold verifications/s     %10.1f   (fresh verifier + collateral parse each time)\n",
      f.cold_per_s);
  add("  cold, first contact/s    %10.1f   (same, X.509 decode memo dropped each time)\n",
      f.cold_first_contact_per_s);
  add("  warm verifications/s     %10.1f   (cached collateral, PCK chain, QE report)\n",
      f.warm_per_s);
  add("  ECDSA P-256 verify/s     %10.1f   (SHA-256 + verify, %zu-byte message)\n", f.ecdsa_per_s,
      f.ecdsa_message_bytes);
  add("  warm / ECDSA             %10.3f   (target >= %.1f: %s)\n", f.warm_over_ecdsa(),
      kTargetWarmOverEcdsa, f.warm_over_ecdsa() >= kTargetWarmOverEcdsa ? "met" : "NOT met");
  if (f.peer_per_s) {
    add("  peer verifications/s     %10.1f   (%s)\n", *f.peer_per_s, f.peer_note.c_str());
    const double r = *f.cold_over_peer();
    add("  cold / peer              %10.2f   (target >= %.1f: %s)\n", r, kTargetColdOverPeer,
        r >= kTargetColdOverPeer ? "met" : "NOT met");
  } else {
    add("  peer                     %s\n", f.peer_note.c_str());
  }
  return s;
}

}  // namespace teecloud::cli
