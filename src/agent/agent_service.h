// The agent's app-facing logic (AGENT_API.md), without sockets: http_api.h maps JSON requests
// onto these methods. Compatible with dstack's guest agent, so the published dstack SDKs work.
//
// Lifecycle: construct with an Attester, then Boot() once (measures the app, obtains its keys,
// issues the app CA). Before Boot succeeds, key/identity methods fail with kFailedPrecondition
// and EmitEvent is refused ("system-ready" has not been measured); GetQuote/Attest/Version work
// at any time.
//
// Thread-safety: all methods may be called concurrently. A reader lock covers every "event log
// + quote" pair so a quote's RTMR3 always matches the log returned with it; EmitEvent and Boot
// take the writer lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "agent/app_keys.h"
#include "agent/boot.h"
#include "agent/key_provider.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "crypto/random.h"
#include "crypto/x509.h"
#include "tee/attester.h"

namespace teecloud::agent {

// Limits on what apps may add to RTMR3 (each event is kept in memory and returned with every
// quote).
inline constexpr size_t kMaxEventNameLength = 128;
inline constexpr size_t kMaxEventPayloadBytes = 64 * 1024;
inline constexpr size_t kMaxAppEvents = 4096;
inline constexpr size_t kMaxAppEventBytes = 4 * 1024 * 1024;

struct ServiceOptions {
  std::string version;            // /Version "version"
  std::string rev;                // /Version "rev"
  std::string os_image_hash_hex;  // "" when unknown (sim without an image)
  std::string vm_config;          // JSON text (/GetQuote, /Info "vm_config")
};

struct QuoteReply {
  Bytes quote;
  std::string event_log;  // JSON array text (AGENT_API.md)
  Bytes report_data;      // the 64 bytes used
  std::string vm_config;
};

struct KeyRequestArgs {
  std::string path;
  std::string purpose;
  std::string algorithm;  // "secp256k1" | "k256" | "ed25519" | ""
};

struct KeyReply {
  crypto::SecretBytes key;             // 32 bytes
  std::vector<Bytes> signature_chain;  // [app sig over "<purpose>:<pubkey hex>", provider sig]
  Bytes public_key;                    // 33-byte compressed secp256k1 or 32-byte Ed25519
};

struct TlsKeyArgs {
  std::string subject;
  std::vector<std::string> alt_names;
  bool usage_ra_tls = false;
  bool usage_server_auth = true;
  bool usage_client_auth = false;
  std::optional<int64_t> not_before;  // Unix seconds
  std::optional<int64_t> not_after;
  bool with_app_info = false;
  std::string path;  // non-empty: derive the key from the app key (same path → same key)
};

struct TlsKeyReply {
  std::string key_pem;                         // PKCS#8; never log
  std::vector<std::string> certificate_chain;  // [leaf, app CA]
};

struct SignArgs {
  std::string algorithm;  // "ed25519" | "secp256k1" | "k256" | "secp256k1_prehashed"
  Bytes data;
};

struct SignReply {
  Bytes signature;
  std::vector<Bytes> signature_chain;  // [signature, GetKey chain[0], GetKey chain[1]]
  Bytes public_key;
};

struct VerifyArgs {
  std::string algorithm;
  Bytes data;
  Bytes signature;
  Bytes public_key;
};

struct InfoReply {
  std::string app_id;  // hex
  std::string instance_id;
  std::string app_cert;  // app CA PEM
  std::string tcb_info;  // JSON text
  std::string app_name;
  std::string device_id;
  std::string mr_aggregated;
  std::string os_image_hash;
  std::string key_provider_info;
  std::string compose_hash;
  std::string vm_config;
};

// What the agent's app runner is doing (teecloud extension /AppStatus; the node polls it).
struct AppStatusReply {
  // "booting" | "starting" (volumes, secrets, services) | "running" | "failed" | "stopping"
  std::string stage = "booting";
  std::string detail;          // human text: the step in progress, or the failure
  Json services = Json::array();  // one object per compose service (app_runner.h)
};

struct VersionReply {
  std::string version;
  std::string rev;
};

class AgentService {
 public:
  // `attester`, `clock` and `random` must outlive the service.
  AgentService(tee::Attester& attester, const Clock& clock, crypto::Random& random,
               ServiceOptions options);
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Runs RunBootSequence, derives the app keys and issues the app CA certificate. Once: a
  // second call fails with kFailedPrecondition.
  Status Boot(KeyProvider& key_provider, const BootInputs& inputs);
  bool ready() const;
  // The booted identity (empty app_id before Boot).
  AppIdentity Identity() const;

  // report_data: at most 64 bytes, zero-padded on the right.
  Result<QuoteReply> GetQuote(ByteView report_data);
  // Hex-encodable blob: UTF-8 JSON {"format": "teecloud-attestation-v1", ...} (README.md).
  Result<Bytes> Attest(ByteView report_data);
  Result<KeyReply> GetKey(const KeyRequestArgs& args);
  Result<TlsKeyReply> GetTlsKey(const TlsKeyArgs& args);
  Result<InfoReply> Info();
  // App events after system-ready: extends RTMR3 and appends to the log.
  Status EmitEvent(const std::string& name, ByteView payload);
  Result<SignReply> Sign(const SignArgs& args);
  // Malformed keys/signatures are errors (kInvalidArgument); a well-formed signature that does
  // not verify is `false`.
  Result<bool> Verify(const VerifyArgs& args);
  VersionReply Version() const;

  // The booted app's keys, for the app runner in this process (volume key, env key). Never
  // serialized or logged. kFailedPrecondition before Boot.
  Result<AppKeys> Keys() const;
  // The app runner reports its stage; /AppStatus returns it with the services probe's answer.
  void SetAppStage(std::string stage, std::string detail);
  // Called by AppStatus() for the services list (on failure the list is empty and the error is
  // appended to the detail). Set once, before serving.
  void SetServicesProbe(std::function<Result<Json>()> probe);
  AppStatusReply AppStatus() const;

 private:
  struct Booted;
  // Requires the caller to hold mu_ (shared or exclusive).
  Result<const Booted*> RequireBooted() const;
  Result<QuoteReply> QuoteLocked(ByteView report_data64);
  Result<Bytes> DeviceIdLocked();

  tee::Attester& attester_;
  const Clock& clock_;
  crypto::Random& random_;
  const ServiceOptions options_;

  mutable std::shared_mutex mu_;
  std::unique_ptr<Booted> booted_;  // set once by Boot
  bool boot_attempted_ = false;
  bool measurement_failed_ = false;  // an extension failed: log and RTMR3 may disagree
  size_t app_events_ = 0;
  size_t app_event_bytes_ = 0;
  std::mutex random_mu_;  // random_ is not thread-safe

  mutable std::mutex app_mu_;
  std::string app_stage_ = "booting";
  std::string app_detail_;
  std::function<Result<Json>()> services_probe_;
};

}  // namespace teecloud::agent
