#include "attest/dcap/policy.h"

#include <algorithm>

namespace teecloud::attest::dcap {

namespace {
// TDX TD_ATTRIBUTES (Intel TDX Module ABI spec, TDINFO_STRUCT): bit 0 DEBUG, bit 28
// SEPT_VE_DISABLE. SGX ATTRIBUTES.FLAGS (SDM Vol. 3D §38.7.1): bit 1 DEBUG. All little-endian.
bool Bit(const std::array<uint8_t, 8>& le, int bit) { return (le[bit / 8] >> (bit % 8)) & 1; }
}  // namespace

PolicyDecision EvaluatePolicy(const Policy& policy, const VerifyResult& result, const Quote& quote,
                              UnixTime now) {
  PolicyDecision d;
  auto reject = [&d](std::string why) { d.reasons.push_back(std::move(why)); };
  if (!result.valid) reject("quote is not valid: " + result.error);
  if (result.tcb_status) {
    if (std::find(policy.allowed_statuses.begin(), policy.allowed_statuses.end(),
                  *result.tcb_status) == policy.allowed_statuses.end()) {
      reject(std::string("TCB status ") + TcbStatusName(*result.tcb_status) + " is not allowed");
    }
  } else {
    reject("no TCB status (verify against collateral to apply a policy)");
  }
  if (policy.reject_expired_collateral && result.collateral_expired) {
    reject("collateral is outside its validity period");
  }
  if (policy.max_collateral_age_seconds && result.collateral_issue_date &&
      now - *result.collateral_issue_date > *policy.max_collateral_age_seconds) {
    reject("collateral was issued " + std::to_string(now - *result.collateral_issue_date) +
           " s ago, more than the allowed " + std::to_string(*policy.max_collateral_age_seconds));
  }
  if (quote.tdx_body) {
    const auto& td = *quote.tdx_body;
    if (policy.reject_debug && Bit(td.td_attributes, 0)) reject("TD is a debug TD");
    if (policy.require_sept_ve_disable && !Bit(td.td_attributes, 28)) {
      reject("TD_ATTRIBUTES.SEPT_VE_DISABLE is not set");
    }
    if (policy.require_mrservicetd_zero && td.mr_service_td &&
        !IsAllZero(ByteView(*td.mr_service_td))) {
      reject("MRSERVICETD is not zero");
    }
  } else if (quote.sgx_body) {
    if (policy.reject_debug && (quote.sgx_body->attributes[0] & 0x02)) {
      reject("enclave is a debug enclave");
    }
  }
  for (const auto& [key, want] : policy.expected_measurements) {
    const auto it = result.measurements.find(key);
    if (it == result.measurements.end() || !it->is_string()) {
      reject("measurement " + key + " is not present in this quote");
      continue;
    }
    std::string want_lower = want;
    std::transform(want_lower.begin(), want_lower.end(), want_lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (it->get<std::string>() != want_lower) reject("measurement " + key + " does not match");
  }
  d.accepted = d.reasons.empty();
  return d;
}

}  // namespace teecloud::attest::dcap
