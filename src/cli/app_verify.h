// The decision behind `teecloud verify APP`: does the evidence a node returned for a fresh nonce
// prove that the CVM it names runs the app identity it claims?
//
// Pure (no I/O; time is a parameter). The caller chose the nonce, asked the node for a quote
// over it (POST /v1/cvms/{ref}/attest) and passes everything the node said, untrusted, with the
// trust material. VerifyAppEvidence then checks, in order:
//   1. the quote verifies (attest/dcap QuoteVerifier, as `teecloud verify quote`) to the given
//      root, with the collateral when there is one (TCB status reported, not judged);
//   2. report_data == node::AttestReportData(nonce): the quote was made for this request, not
//      replayed or taken from another CVM;
//   3. the event log replays to RTMR0..3 (attest/eventlog ReplayAgainstQuote, as
//      `verify quote --require-event-log-match`);
//   4. the boot events (ratls::ReadBootIdentity) name the app id, manifest hash and instance id
//      the node reports, and the manifest the node shows hashes to the measured one.
// Any failure is an Error saying which check failed; kInvalidArgument means unusable trust
// material or nonce (an input problem), every other code a refusal of the evidence.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "attest/dcap/verify.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::cli {

// What the node returned from POST /v1/cvms/{ref}/attest, untrusted.
struct NodeAttestReply {
  Bytes quote;
  std::string event_log_json;  // the "event_log" JSON array, as text
  std::string tee;             // the node's label ("sim", "tdx"); reported only
  bool simulated = false;      // the node's label; the result's label comes from the root
};

// The CVM as the node describes it, untrusted: the point is to check it against the evidence.
struct NodeCvmClaim {
  std::string cvm_id;
  std::string name;
  std::string app_id;         // hex, 20 bytes
  std::string instance_id;    // hex, 20 bytes
  std::string manifest_hash;  // hex, 32 bytes
  // The manifest document the node shows (GET /v1/cvms/{ref} "manifest"); when present it
  // must hash to the measured compose-hash, and then the app name is the manifest's.
  std::optional<std::string> manifest_json;
};

struct AppTrust {
  // Trusted root: PEM (one or more certificates) or one DER certificate. Empty: the pinned
  // Intel SGX Root CA. Any other root labels the result simulated.
  std::string root;
  // dcap-qvl QuoteCollateralV3 JSON. Without it the TCB status is not determined.
  std::optional<std::string> collateral_json;
  // Where the root came from, for the report ("the node (GET /v1/node/sim-trust)", ...).
  std::string root_source;
};

struct AppVerifyInput {
  Bytes nonce;  // node::kMinAttestNonceBytes..kMaxAttestNonceBytes
  NodeAttestReply reply;
  NodeCvmClaim claim;
  AppTrust trust;
  UnixTime now = 0;
};

// The verified facts. Identity fields are the measured ones (equal to the node's claim).
struct AppVerification {
  std::string name;  // the measured manifest's name when the node showed it, else the node's
  bool manifest_checked = false;  // the node's manifest hashes to the measured compose-hash
  std::string cvm_id;             // node-local, as the node reports it
  std::string app_id;
  std::string instance_id;
  std::string manifest_hash;
  std::string key_provider;  // payload of "key-provider" ("" when not measured)
  bool system_ready = false;
  std::string platform;  // "tdx"
  bool simulated = false;
  std::string node_tee;  // the node's label
  std::string root_source;
  attest::dcap::VerifyResult quote;  // valid, tcb_status, advisories, measurements, ...
  std::string mrtd;
  std::array<std::string, 4> rtmr;
  std::string report_data;
  std::string nonce;  // hex
  size_t event_count = 0;
  UnixTime verified_at = 0;
};

Result<AppVerification> VerifyAppEvidence(const AppVerifyInput& input);

// Trust settings from a root certificate file's bytes (PEM chain or one DER certificate);
// simulated unless it is exactly the Intel SGX Root CA.
Result<attest::dcap::TrustSettings> ParseTrustRoot(ByteView pem_or_der);

// `teecloud verify APP --json`: {"verdict": "VERIFIED", "name", "app_id", ...}.
OrderedJson AppVerificationToJson(const AppVerification& v);
// The human report, ending with the verdict line.
std::string AppVerificationToText(const AppVerification& v);

}  // namespace teecloud::cli
