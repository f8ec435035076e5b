// `teecloud verify quote`: verify an Intel DCAP quote (TDX or SGX), optionally against
// collateral, a policy and an event log, and report the outcome as text or JSON.
// `teecloud verify APP`: verify a running app through its node (app_verify.h).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "attest/dcap/policy.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/random.h"

namespace teecloud::cli {

// The policy flags as given on the command line. A policy is evaluated only when at least one
// of them is present (any()).
struct PolicyFlags {
  std::vector<std::string> allow_status;  // TCB status names; default UpToDate
  bool reject_expired = false;
  bool allow_expired = false;
  std::optional<int64_t> max_collateral_age_seconds;
  bool allow_debug = false;
  bool require_sept_ve_disable = false;
  bool require_mrservicetd_zero = false;
  std::vector<std::string> expect;  // "KEY=HEX"
  // CLI-level rule: every RTMR replayed from --event-log must match the quote.
  bool require_event_log_match = false;

  bool any() const;
};

// Maps the flags onto dcap::Policy. Errors (unknown status name, malformed KEY=HEX,
// contradictory flags) are usage errors.
Result<attest::dcap::Policy> BuildPolicy(const PolicyFlags& flags);

struct VerifyQuoteOptions {
  std::string quote_path;
  std::optional<std::string> collateral_path;
  std::optional<std::string> at;  // Unix seconds or RFC 3339; default: clock.Now()
  std::optional<std::string> trust_root_path;
  std::optional<std::string> event_log_path;
  bool json = false;
  PolicyFlags policy;
};

// Runs the command and returns its exit code: 0 valid (and accepted), 1 invalid or rejected,
// 2 usage or I/O error (message on `err`). An unparsable quote is "invalid" (1), reported on
// `out` like any other verification failure.
int RunVerifyQuote(const VerifyQuoteOptions& options, const Clock& clock, std::ostream& out,
                   std::ostream& err);

struct VerifyAppOptions {
  std::string app;   // CVM name, id or app id
  std::string node;  // --node; "" = node::DefaultNodeEndpoint()
  std::optional<std::string> trust_root_path;
  std::optional<std::string> collateral_path;
  bool json = false;
};

// Inspects the CVM, asks its node for a quote over a fresh 32-byte nonce from `random`, fetches
// the node's simulation trust when the quote is simulated and no --trust-root was given, and
// runs VerifyAppEvidence. Returns 0 verified, 1 refused (the evidence, or the node: unknown app,
// CVM not running), 2 usage / unreadable file / node unreachable.
int RunVerifyApp(const VerifyAppOptions& options, const Clock& clock, crypto::Random& random,
                 std::ostream& out, std::ostream& err);

}  // namespace teecloud::cli
