// RA-TLS: X.509 certificates whose key is bound to a TEE quote.
//
// ARCHITECTURE.md: report_data = SHA-512("ratls-cert:" || SubjectPublicKeyInfo DER); the quote
// and the event log travel in certificate extensions under dstack's OIDs, so dstack-aware peers
// can read them. A verifier checks the quote (attest/dcap), the key binding, replays the event
// log against the quote's RTMRs and returns the peer's identity.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "attest/dcap/collateral.h"
#include "attest/dcap/policy.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/runtime_log.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "crypto/ec.h"
#include "crypto/x509.h"
#include "crypto/x509_builder.h"

namespace teecloud::ratls {

inline constexpr char kOidQuote[] = "1.3.6.1.4.1.62397.1.1";
inline constexpr char kOidEventLog[] = "1.3.6.1.4.1.62397.1.2";
inline constexpr char kOidAppId[] = "1.3.6.1.4.1.62397.1.3";
inline constexpr char kOidCertUsage[] = "1.3.6.1.4.1.62397.1.4";

// SHA-512("ratls-cert:" || spki_der).
std::array<uint8_t, 64> ReportDataForKey(ByteView spki_der);

struct RaTlsEvidence {
  Bytes quote;
  std::string event_log_json;  // AGENT_API.md JSON array; "" when absent
  Bytes app_id;                // empty when absent
  std::string usage;           // e.g. "ra-tls", "app-ca"; "" when absent
};

// Reads the RA-TLS extensions of a certificate. Fails when the quote extension is absent or any
// present extension is malformed (bounded sizes: quote ≤ 64 KiB, event log ≤ 1 MiB).
Result<RaTlsEvidence> ParseRaTlsExtensions(const crypto::Certificate& cert);

// The certificate extensions carrying `evidence` (encoded as dstack does).
std::vector<crypto::CertificateExtension> RaTlsExtensions(const RaTlsEvidence& evidence);

// The identity a verified RA-TLS peer proves.
struct PeerIdentity {
  attest::dcap::VerifyResult quote;  // valid, tcb_status, simulated, measurements, ...
  Bytes app_id;                      // payload of the "app-id" boot event
  Bytes manifest_hash;               // payload of "compose-hash"
  Bytes instance_id;                 // payload of "instance-id"
  std::string key_provider;          // payload of "key-provider" (text)
  std::vector<attest::eventlog::RuntimeEvent> events;
};
OrderedJson PeerIdentityToJson(const PeerIdentity& id);

struct VerifierSettings {
  attest::dcap::TrustSettings trust;
  attest::dcap::Collateral collateral;
  // Acceptance policy on the quote outcome; default: UpToDate only, unexpired collateral.
  // Simulated quotes from `teecloud sim init` are UpToDate.
  attest::dcap::Policy policy;
};

class RaTlsVerifier {
 public:
  RaTlsVerifier(VerifierSettings settings, const Clock& clock);
  ~RaTlsVerifier();
  // Verifies `chain[0]` (the leaf): quote valid and accepted by the policy at clock.Now(),
  // report_data binds the leaf's key, the event log replays to all four RTMRs, and the boot
  // events up to "system-ready" name the identity. Errors (kUnauthenticated / kPermissionDenied)
  // say which check failed.
  Result<PeerIdentity> Verify(const std::vector<crypto::Certificate>& chain) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace teecloud::ratls
