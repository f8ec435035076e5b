// Acceptance policy: a separate, explicit decision over a verification outcome.
//
// QuoteVerifier reports what is true of a quote (valid, TCB status, expiry). Whether that is
// acceptable for a given relying party is this policy's call.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "base/clock.h"

namespace teecloud::attest::dcap {

struct Policy {
  // TCB statuses accepted. Default: UpToDate only.
  std::vector<TcbStatus> allowed_statuses = {TcbStatus::kUpToDate};
  // Reject when any collateral item is outside its validity at verification time.
  bool reject_expired_collateral = true;
  // Reject collateral whose oldest issueDate is more than this many seconds before `now`.
  std::optional<int64_t> max_collateral_age_seconds;
  // TDX: TD_ATTRIBUTES.DEBUG (bit 0); SGX: ATTRIBUTES.DEBUG (bit 1).
  bool reject_debug = true;
  // TDX: TD_ATTRIBUTES bit 28 (SEPT_VE_DISABLE) must be set.
  bool require_sept_ve_disable = false;
  // TDX 1.5: MRSERVICETD must be all zero.
  bool require_mrservicetd_zero = false;
  // Measurement key (as in QuoteMeasurements) → expected lower-case hex.
  std::map<std::string, std::string> expected_measurements;
};

struct PolicyDecision {
  bool accepted = false;
  std::vector<std::string> reasons;  // why not accepted (empty when accepted)
};

// `result` must come from verifying `quote`.
PolicyDecision EvaluatePolicy(const Policy& policy, const VerifyResult& result, const Quote& quote,
                              UnixTime now);

}  // namespace teecloud::attest::dcap
