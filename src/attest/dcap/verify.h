// DCAP quote verification with Intel QVL semantics.
//
// Verify() is pure: collateral and time are parameters. The outcome is data; only a quote or
// collateral that cannot be parsed at all is an Error. Acceptance is a separate policy
// (policy.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "crypto/x509.h"

namespace teecloud::attest::dcap {

struct TrustSettings {
  // Trusted roots: the pinned Intel SGX Root CA by default.
  std::vector<crypto::Certificate> roots;
  // True when `roots` is a simulation PKI given explicitly (labels results "simulated").
  bool simulated = false;
};
// The pinned Intel SGX Root CA (compiled in; fingerprint in ../shared/vectors/README.md).
const crypto::Certificate& IntelSgxRootCa();
TrustSettings IntelTrust();

struct VerifyResult {
  bool valid = false;
  // Set when collateral was given and every check up to TCB matching ran.
  std::optional<TcbStatus> tcb_status;
  std::vector<std::string> advisory_ids;
  bool collateral_expired = false;
  std::string error;  // why valid is false ("" when valid)
  // Names of the checks that ran and passed, in order (for --json detail and tests).
  std::vector<std::string> checks_passed;
  std::string fmspc;  // lower-case hex, from the PCK certificate
  std::string platform;  // "tdx" | "sgx"
  int quote_version = 0;
  bool simulated = false;
  Json measurements;
  // Extra detail: matched TCB level date, QE/module statuses, PCK CA kind.
  std::optional<UnixTime> tcb_date;
  std::string qe_tcb_status;
  std::string module_tcb_status;
  std::string pck_ca;  // "platform" | "processor"
  // The oldest issueDate among TCB info and QE identity (for a maximum-age policy).
  std::optional<UnixTime> collateral_issue_date;
};

class QuoteVerifier {
 public:
  // `cache` enables the warm path: parsed collateral, verified PCK chains and verified QE
  // reports are remembered, keyed by their exact bytes (a changed byte is a cache miss).
  explicit QuoteVerifier(TrustSettings trust, bool cache = false);
  ~QuoteVerifier();

  // Full verification against collateral at time `now`.
  VerifyResult Verify(ByteView quote, const Collateral& collateral, UnixTime now);
  // Without collateral: structure, the PCK chain to the trusted root, QE report signature and
  // binding, and the quote signature. tcb_status stays unset.
  VerifyResult VerifyWithoutCollateral(ByteView quote, std::optional<UnixTime> now);

 private:
  struct Cache;
  TrustSettings trust_;
  std::unique_ptr<Cache> cache_;
};

// The object of `teecloud verify quote --json`.
OrderedJson VerifyResultToJson(const VerifyResult& r);

}  // namespace teecloud::attest::dcap
