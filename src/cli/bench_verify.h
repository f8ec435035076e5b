// `teecloud bench verify`: quote-verification throughput, measured in one run on one core.
//
// Every rate is operations per CPU-second of the measuring process (the peer measures its own
// process CPU time), so a busy machine lengthens the run but does not skew the figures.
// Figures: cold verifications/s (a fresh QuoteVerifier and a fresh collateral parse per
// verification: every signature, chain and CRL checked each time), warm verifications/s (one
// caching QuoteVerifier: collateral and PCK chain / QE report results cached, keyed by their
// exact bytes), the OpenSSL ECDSA P-256 verify rate over a message as long as the quote's signed
// region (hash + verify), and optionally the peer dcap-qvl (Rust → wasm, run by node) on the same
// quote, collateral and time.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::cli {

struct BenchVerifyOptions {
  std::string quote_path;       // raw binary or hex text
  std::string collateral_path;  // dcap-qvl QuoteCollateralV3 JSON
  UnixTime at = 0;
  double seconds = 2.0;  // CPU seconds per measurement
  // "auto": run the peer when node and the script are available; "none": skip it.
  std::string peer = "auto";
  std::string peer_script;  // bench/dcap_qvl_peer.mjs
  std::string node = "node";
  // Pin this process (and the peer it starts) to the CPU it is running on.
  bool pin_cpu = true;
};

struct BenchFigures {
  std::string platform;  // "tdx" | "sgx"
  int cpu = -1;          // the CPU pinned to, -1 when not pinned
  double seconds = 0;
  double cold_per_s = 0;
  double cold_first_contact_per_s = 0;  // cold, with the X.509 decode memo dropped each time
  double warm_per_s = 0;
  double ecdsa_per_s = 0;
  size_t ecdsa_message_bytes = 0;
  std::optional<double> peer_per_s;
  std::string peer_note;  // why the peer did not run, or its identification
  double warm_over_ecdsa() const { return ecdsa_per_s > 0 ? warm_per_s / ecdsa_per_s : 0; }
  std::optional<double> cold_over_peer() const {
    if (!peer_per_s || *peer_per_s <= 0) return std::nullopt;
    return cold_per_s / *peer_per_s;
  }
};

// Targets from the issue: warm ≥ 0.5 × ECDSA, cold ≥ 5 × peer.
inline constexpr double kTargetWarmOverEcdsa = 0.5;
inline constexpr double kTargetColdOverPeer = 5.0;

// Errors: unreadable inputs, a quote that does not verify against the collateral at `at`
// (a benchmark of a failing path would measure the wrong thing), bad options.
Result<BenchFigures> RunVerifyBench(const BenchVerifyOptions& options);

OrderedJson BenchFiguresToJson(const BenchFigures& f);
std::string BenchFiguresToText(const BenchFigures& f);

}  // namespace teecloud::cli
