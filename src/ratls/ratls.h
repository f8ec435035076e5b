// RA-TLS: X.509 certificates whose key is bound to a TEE quote.
//
// ARCHITECTURE.md: report_data = SHA-512("ratls-cert:" || SubjectPublicKeyInfo DER); the quote
// and the event log travel in certificate extensions under dstack's OIDs, so dstack-aware peers
// can read them. A verifier checks the quote (attest/dcap), the key binding, replays the event
// log against the quote's RTMRs and returns the peer's identity.
#pragma once

#include <array>
#include <functional>
#include <memory>
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
#include "crypto/tls.h"
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

inline constexpr size_t kMaxQuoteSize = 64 * 1024;
inline constexpr size_t kMaxEventLogSize = 1024 * 1024;
inline constexpr size_t kMaxAppIdSize = 64;
inline constexpr size_t kMaxUsageSize = 256;

// Reads the RA-TLS extensions of a certificate. Each extnValue is a DER OCTET STRING holding the
// bytes (dstack's encoding; README.md). Fails (kNotFound) when the quote extension is absent,
// and (kInvalidArgument) when any present extension is malformed: not exactly one OCTET STRING,
// empty quote, over its size bound (quote ≤ 64 KiB, event log ≤ 1 MiB, app id ≤ 64 bytes,
// usage ≤ 256 bytes), event log or usage not UTF-8, an RA-TLS OID present twice; a
// gzip-compressed event log (dstack's "ELGZv1" prefix) is kUnimplemented.
Result<RaTlsEvidence> ParseRaTlsExtensions(const crypto::Certificate& cert);

// The certificate extensions carrying `evidence` (encoded as dstack does): the quote always,
// the others only when non-empty; all non-critical.
std::vector<crypto::CertificateExtension> RaTlsExtensions(const RaTlsEvidence& evidence);

// Issues an RA-TLS certificate for `key`: `spec` plus RaTlsExtensions(evidence). Self-signed
// when `issuer` is null (then `issuer_key` is the private half of `key`), otherwise signed by
// an app CA. Refuses evidence whose quote does not parse or whose report_data is not
// ReportDataForKey(key's SPKI), so a mis-bound certificate is never produced by mistake.
Result<crypto::Certificate> IssueRaTlsCertificate(crypto::CertificateSpec spec,
                                                  const crypto::EcPublicKey& key,
                                                  const RaTlsEvidence& evidence,
                                                  const crypto::Certificate* issuer,
                                                  const crypto::EcPrivateKey& issuer_key);

// The identity a verified RA-TLS peer proves.
struct PeerIdentity {
  attest::dcap::VerifyResult quote;  // valid, tcb_status, simulated, measurements, ...
  Bytes app_id;                      // payload of the "app-id" boot event
  Bytes manifest_hash;               // payload of "compose-hash"
  Bytes instance_id;                 // payload of "instance-id"
  std::string key_provider;          // payload of "key-provider" (text)
  // Whether the log reached "system-ready". Before it (e.g. an agent asking the KMS for keys)
  // the identity comes from the boot events measured so far.
  bool system_ready = false;
  std::vector<attest::eventlog::RuntimeEvent> events;  // the whole log, app events included
};
OrderedJson PeerIdentityToJson(const PeerIdentity& id);

// Fills id.app_id, manifest_hash, instance_id, key_provider and system_ready from the RTMR3
// boot events (agent/boot.h) up to, not including, "system-ready". Fails (kPermissionDenied)
// when "app-id" or "compose-hash" is missing and (kUnauthenticated) when an identity event
// appears twice before "system-ready". Only meaningful for a log the caller has replayed
// against a verified quote. RaTlsVerifier uses it; so do other verifiers of a CVM's identity.
Status ReadBootIdentity(const std::vector<attest::eventlog::RuntimeEvent>& events,
                        PeerIdentity& id);

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
  //
  // Only the leaf matters: the quote vouches for its key and the TLS handshake proves
  // possession; other certificates (an app CA) are not checked here. Also checked: the leaf's
  // validity window at clock.Now(); a TDX quote (RTMRs); an app-id extension, when present,
  // equal to the "app-id" event; "app-id" and "compose-hash" present before "system-ready", and
  // no identity event twice before it. Thread-safe; `clock` must outlive the verifier.
  Result<PeerIdentity> Verify(const std::vector<crypto::Certificate>& chain) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Extra acceptance on a verified identity (e.g. "app id is allowed by governance").
using IdentityCheck = std::function<Status(const PeerIdentity&)>;

// A crypto::TlsOptions::verify_peer callback running `verifier` (then `accept`, if set) during
// the handshake. On success the identity is stored in *identity_out (overwritten per
// handshake), so use one `identity_out` per connection. `verifier` must outlive the callback.
crypto::PeerVerifier MakeRaTlsPeerVerifier(
    const RaTlsVerifier& verifier, std::shared_ptr<std::optional<PeerIdentity>> identity_out,
    IdentityCheck accept = nullptr);

}  // namespace teecloud::ratls
