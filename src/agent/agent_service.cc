#include "agent/agent_service.h"

#include <arpa/inet.h>

#include <algorithm>
#include <mutex>

#include "attest/dcap/pck_extensions.h"
#include "attest/dcap/quote.h"
#include "attest/eventlog/runtime_log.h"
#include "base/json.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/secp256k1.h"
#include "crypto/x509_builder.h"
#include "ratls/ratls.h"

namespace teecloud::agent {
namespace {

using attest::eventlog::RuntimeEvent;

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kAppCaLifetime = 10 * 365 * kDay;
constexpr int64_t kLeafDefaultLifetime = 365 * kDay;
constexpr size_t kMaxSubjectLength = 64;  // RFC 5280 ub-common-name
constexpr size_t kMaxAltNames = 64;
constexpr size_t kMaxDnsNameLength = 253;
constexpr size_t kMaxPathLength = 4096;
constexpr char kSignPath[] = "vms";  // dstack's /Sign key: GetKey("vms", "signing", alg)
constexpr char kSignPurpose[] = "signing";

struct SignAlgorithm {
  KeyAlgorithm key;
  bool prehashed = false;
};

Result<SignAlgorithm> ParseSignAlgorithm(std::string_view name) {
  if (name == "ed25519") return SignAlgorithm{KeyAlgorithm::kEd25519, false};
  if (name == "secp256k1" || name == "k256") return SignAlgorithm{KeyAlgorithm::kSecp256k1, false};
  if (name == "secp256k1_prehashed") return SignAlgorithm{KeyAlgorithm::kSecp256k1, true};
  return InvalidArgument("unsupported algorithm \"" + std::string(name.substr(0, 32)) +
                         "\" (expected ed25519, secp256k1 or secp256k1_prehashed)");
}

std::string HexOf(const crypto::Digest384& d) { return ToHex(crypto::View(d)); }

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// RFC 1034 host names (plus "*" wildcards and "_" as some service names use): letters, digits,
// '-', '_', '.', '*'.
bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > kMaxDnsNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '*';
  });
}

bool IsPrintableName(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

struct AgentService::Booted {
  AppIdentity identity;
  AppKeyGrant grant;
  AppKeys keys;
  crypto::EcPrivateKey ca_key;
  crypto::Certificate ca_cert;
  std::string ca_pem;
  Bytes device_id;  // SHA-256 of the platform's PPID; empty when unknown
};

AgentService::AgentService(tee::Attester& attester, const Clock& clock, crypto::Random& random,
                           ServiceOptions options)
    : attester_(attester), clock_(clock), random_(random), options_(std::move(options)) {}

AgentService::~AgentService() = default;

Result<const AgentService::Booted*> AgentService::RequireBooted() const {
  if (!booted_) {
    return FailedPrecondition("the agent has not finished booting (system-ready not measured)");
  }
  return booted_.get();
}

bool AgentService::ready() const {
  std::shared_lock lock(mu_);
  return booted_ != nullptr;
}

Result<AppKeys> AgentService::Keys() const {
  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(const Booted* b, RequireBooted());
  return b->keys;
}

void AgentService::SetAppStage(std::string stage, std::string detail) {
  std::lock_guard lock(app_mu_);
  app_stage_ = std::move(stage);
  app_detail_ = std::move(detail);
}

void AgentService::SetServicesProbe(std::function<Result<Json>()> probe) {
  std::lock_guard lock(app_mu_);
  services_probe_ = std::move(probe);
}

AppStatusReply AgentService::AppStatus() const {
  AppStatusReply reply;
  std::function<Result<Json>()> probe;
  {
    std::lock_guard lock(app_mu_);
    reply.stage = app_stage_;
    reply.detail = app_detail_;
    probe = services_probe_;
  }
  if (probe) {
    auto services = probe();
    if (services) {
      reply.services = std::move(*services);
    } else {
      reply.detail += (reply.detail.empty() ? "" : "; ") +
                      std::string("services unknown: ") + services.error().message;
    }
  }
  return reply;
}

AppIdentity AgentService::Identity() const {
  std::shared_lock lock(mu_);
  return booted_ ? booted_->identity : AppIdentity{};
}

Result<QuoteReply> AgentService::QuoteLocked(ByteView report_data64) {
  QuoteReply reply;
  ASSIGN_OR_RETURN(std::vector<RuntimeEvent> events, attester_.ReadEventLog());
  ASSIGN_OR_RETURN(reply.quote, attester_.GetQuote(report_data64));
  reply.event_log = DumpJson(attest::eventlog::RuntimeEventLogToJson(events));
  reply.report_data = ToBytes(report_data64);
  reply.vm_config = options_.vm_config;
  return reply;
}

Result<Bytes> AgentService::DeviceIdLocked() {
  // dstack's device_id: SHA-256 of the platform's PPID, read from the PCK certificate in a
  // quote's certification data.
  Bytes zero(tee::kReportDataSize, 0);
  ASSIGN_OR_RETURN(Bytes quote_bytes, attester_.GetQuote(zero));
  ASSIGN_OR_RETURN(attest::dcap::Quote quote, attest::dcap::ParseQuote(quote_bytes));
  std::string_view pem = AsStringView(quote.cert_data);
  while (!pem.empty() && pem.back() == '\0') pem.remove_suffix(1);
  ASSIGN_OR_RETURN(std::vector<crypto::Certificate> chain, crypto::ParsePemChain(pem));
  if (chain.empty()) return NotFound("no PCK certificate in the quote");
  ASSIGN_OR_RETURN(attest::dcap::PckExtensions ext,
                   attest::dcap::PckExtensionsFromCertificate(chain[0]));
  const crypto::Digest256 h = crypto::Sha256(ext.ppid);
  return Bytes(h.begin(), h.end());
}

Status AgentService::Boot(KeyProvider& key_provider, const BootInputs& inputs) {
  std::unique_lock lock(mu_);
  if (boot_attempted_) return FailedPrecondition("the agent has already booted");
  boot_attempted_ = true;
  auto outcome = RunBootSequence(attester_, key_provider, inputs);
  if (!outcome) return tl::unexpected(outcome.error());

  AppIdentity identity = std::move(outcome->identity);
  AppKeyGrant grant = std::move(outcome->grant);
  ASSIGN_OR_RETURN(AppKeys keys, AppKeys::FromRootKey(grant.root_key));
  ASSIGN_OR_RETURN(crypto::EcPrivateKey ca_key, keys.AppCaKey());

  // The app CA is itself an RA-TLS certificate: its key is bound to a quote taken after
  // system-ready, so /Info's app_cert proves which app holds it.
  const crypto::EcPublicKey ca_public = ca_key.PublicKey();
  const auto rd = ratls::ReportDataForKey(ca_public.SpkiDer());
  ASSIGN_OR_RETURN(QuoteReply ca_quote, QuoteLocked(rd));
  ratls::RaTlsEvidence evidence;
  evidence.quote = std::move(ca_quote.quote);
  evidence.event_log_json = std::move(ca_quote.event_log);
  evidence.app_id = identity.app_id;
  evidence.usage = "app-ca";

  crypto::CertificateSpec spec;
  spec.subject = {{"CN", "teecloud app " + ToHex(identity.app_id)}, {"O", "teecloud"}};
  {
    std::lock_guard rlock(random_mu_);
    spec.serial = random_.RandomBytes(16);
  }
  spec.serial[0] = static_cast<uint8_t>(0x40 | (spec.serial[0] & 0x3f));
  const UnixTime now = clock_.Now();
  spec.not_before = now - kHour;
  spec.not_after = now + kAppCaLifetime;
  spec.is_ca = true;
  spec.path_len = 0;
  spec.digital_signature = true;
  spec.key_cert_sign = true;
  spec.crl_sign = true;
  spec.extensions = ratls::RaTlsExtensions(evidence);
  auto ca = crypto::IssueCertificate(spec, ca_public, nullptr, ca_key);
  if (!ca) return tl::unexpected(ca.error().WithContext("issuing the app CA certificate"));
  std::string ca_pem = crypto::CertificateToPem(*ca);

  // Best effort: simulated or test platforms may not carry a PCK certificate.
  Bytes device_id;
  if (auto device = DeviceIdLocked()) device_id = std::move(*device);

  auto b = std::unique_ptr<Booted>(new Booted{std::move(identity), std::move(grant),
                                              std::move(keys), std::move(ca_key), std::move(*ca),
                                              std::move(ca_pem), std::move(device_id)});
  booted_ = std::move(b);
  return OkStatus();
}

Result<QuoteReply> AgentService::GetQuote(ByteView report_data) {
  if (report_data.size() > tee::kReportDataSize) {
    return InvalidArgument("report_data is " + std::to_string(report_data.size()) +
                           " bytes; at most 64 are allowed");
  }
  Bytes padded(tee::kReportDataSize, 0);
  std::copy(report_data.begin(), report_data.end(), padded.begin());
  std::shared_lock lock(mu_);
  return QuoteLocked(padded);
}

Result<Bytes> AgentService::Attest(ByteView report_data) {
  ASSIGN_OR_RETURN(QuoteReply q, GetQuote(report_data));
  const tee::PlatformInfo platform = attester_.Platform();
  auto log = ParseJson(q.event_log);
  if (!log) return Internal("event log is not JSON");
  OrderedJson j;
  j["format"] = "teecloud-attestation-v1";
  j["tee"] = platform.tee;
  j["simulated"] = platform.simulated;
  j["quote"] = ToHex(q.quote);
  j["report_data"] = ToHex(q.report_data);
  j["event_log"] = OrderedJson::parse(DumpJson(*log), nullptr, false);
  j["vm_config"] = q.vm_config;
  return ToBytes(DumpJson(j));
}

Result<KeyReply> AgentService::GetKey(const KeyRequestArgs& args) {
  ASSIGN_OR_RETURN(KeyAlgorithm alg, ParseKeyAlgorithm(args.algorithm));
  if (args.path.size() > kMaxPathLength) return InvalidArgument("path is too long");
  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(const Booted* b, RequireBooted());
  KeyReply reply;
  ASSIGN_OR_RETURN(reply.key, b->keys.DeriveKey(args.path, alg));
  ASSIGN_OR_RETURN(reply.public_key, PublicKeyFor(alg, reply.key));
  ASSIGN_OR_RETURN(Bytes app_sig, SignKeccakRecoverable(
                                      b->keys.k256_key(),
                                      AsBytes(KeyPurposeMessage(args.purpose, reply.public_key))));
  reply.signature_chain = {std::move(app_sig), b->grant.kms_signature};
  return reply;
}

Result<TlsKeyReply> AgentService::GetTlsKey(const TlsKeyArgs& args) {
  if (args.subject.size() > kMaxSubjectLength || !IsPrintableName(args.subject)) {
    return InvalidArgument("subject must be at most 64 printable ASCII characters");
  }
  if (args.alt_names.size() > kMaxAltNames) return InvalidArgument("too many alt_names (max 64)");
  if (args.path.size() > kMaxPathLength) return InvalidArgument("path is too long");
  crypto::CertificateSpec spec;
  for (const std::string& name : args.alt_names) {
    if (IsIpAddress(name)) {
      spec.ip_addresses.push_back(name);
    } else if (IsDnsName(name)) {
      spec.dns_names.push_back(name);
    } else {
      return InvalidArgument("alt_names: \"" + name.substr(0, 64) +
                             "\" is neither an IP address nor a DNS name");
    }
  }
  const UnixTime now = clock_.Now();
  spec.not_before = args.not_before.value_or(now - kHour);
  spec.not_after = args.not_after.value_or(now + kLeafDefaultLifetime);
  if (spec.not_before < 0 || spec.not_after <= spec.not_before) {
    return InvalidArgument("not_after must be later than not_before");
  }

  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(const Booted* b, RequireBooted());
  spec.subject = {{"CN", args.subject.empty() ? b->identity.manifest.name : args.subject}};
  {
    std::lock_guard rlock(random_mu_);
    spec.serial = random_.RandomBytes(16);
  }
  spec.serial[0] = static_cast<uint8_t>(0x40 | (spec.serial[0] & 0x3f));
  spec.digital_signature = true;
  if (args.usage_server_auth) spec.extended_key_usage.push_back("serverAuth");
  if (args.usage_client_auth) spec.extended_key_usage.push_back("clientAuth");

  Result<crypto::EcPrivateKey> key = args.path.empty()
                                         ? crypto::EcPrivateKey::Generate(crypto::Curve::kP256)
                                         : b->keys.DeriveTlsKey(args.path);
  if (!key) return tl::unexpected(key.error());
  const crypto::EcPublicKey public_key = key->PublicKey();

  if (args.usage_ra_tls) {
    ASSIGN_OR_RETURN(QuoteReply q, QuoteLocked(ratls::ReportDataForKey(public_key.SpkiDer())));
    ratls::RaTlsEvidence evidence;
    evidence.quote = std::move(q.quote);
    evidence.event_log_json = std::move(q.event_log);
    if (args.with_app_info) evidence.app_id = b->identity.app_id;
    evidence.usage = "ra-tls";
    spec.extensions = ratls::RaTlsExtensions(evidence);
  } else if (args.with_app_info) {
    ratls::RaTlsEvidence evidence;
    evidence.app_id = b->identity.app_id;
    for (auto& ext : ratls::RaTlsExtensions(evidence)) {
      if (ext.oid == ratls::kOidAppId) spec.extensions.push_back(std::move(ext));
    }
  }
  auto leaf = crypto::IssueCertificate(spec, public_key, &b->ca_cert, b->ca_key);
  if (!leaf) return tl::unexpected(leaf.error().WithContext("issuing the TLS certificate"));
  TlsKeyReply reply;
  reply.key_pem = key->Pkcs8Pem();
  reply.certificate_chain = {crypto::CertificateToPem(*leaf), b->ca_pem};
  return reply;
}

Result<InfoReply> AgentService::Info() {
  std::shared_lock lock(mu_);
  ASSIGN_OR_RETURN(const Booted* b, RequireBooted());
  ASSIGN_OR_RETURN(std::vector<RuntimeEvent> events, attester_.ReadEventLog());
  ASSIGN_OR_RETURN(tee::Measurements m, attester_.ReadMeasurements());
  const AppIdentity& id = b->identity;

  // mr_aggregated = SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3), current values.
  Bytes all(m.mrtd.begin(), m.mrtd.end());
  for (const auto& r : m.rtmr) all.insert(all.end(), r.begin(), r.end());
  const crypto::Digest256 aggregated = crypto::Sha256(all);

  InfoReply r;
  r.app_id = ToHex(id.app_id);
  r.instance_id = ToHex(id.instance_id);
  r.app_cert = b->ca_pem;
  r.app_name = id.manifest.name;
  r.device_id = ToHex(b->device_id);
  r.mr_aggregated = ToHex(crypto::View(aggregated));
  r.os_image_hash = options_.os_image_hash_hex;
  r.key_provider_info = id.key_provider_info;
  r.compose_hash = ToHex(id.manifest_hash);
  r.vm_config = options_.vm_config;

  OrderedJson tcb;
  tcb["mrtd"] = HexOf(m.mrtd);
  for (size_t i = 0; i < m.rtmr.size(); ++i) tcb["rtmr" + std::to_string(i)] = HexOf(m.rtmr[i]);
  tcb["mr_aggregated"] = r.mr_aggregated;
  tcb["os_image_hash"] = r.os_image_hash;
  tcb["compose_hash"] = r.compose_hash;
  tcb["device_id"] = r.device_id;
  tcb["app_compose"] = id.canonical_manifest;
  tcb["event_log"] =
      OrderedJson::parse(DumpJson(attest::eventlog::RuntimeEventLogToJson(events)), nullptr, false);
  r.tcb_info = DumpJson(tcb);
  return r;
}

Status AgentService::EmitEvent(const std::string& name, ByteView payload) {
  if (name.empty() || name.size() > kMaxEventNameLength) {
    return InvalidArgument("event name must be 1.." + std::to_string(kMaxEventNameLength) +
                           " characters");
  }
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == ':') {
      return InvalidArgument(
          "event name may only hold printable ASCII without spaces and without ':'");
    }
  }
  if (payload.size() > kMaxEventPayloadBytes) {
    return InvalidArgument("event payload is larger than 64 KiB");
  }
  std::unique_lock lock(mu_);
  if (!booted_) {
    return FailedPrecondition(
        "events are accepted only after system-ready (the agent has not finished booting)");
  }
  if (measurement_failed_) {
    return FailedPrecondition("an earlier measurement failed; RTMR3 no longer accepts events");
  }
  if (app_events_ >= kMaxAppEvents || app_event_bytes_ + payload.size() > kMaxAppEventBytes) {
    return MakeError(Code::kResourceExhausted, "the app event log is full");
  }
  auto ev = attester_.ExtendRuntimeEvent(attest::eventlog::kRuntimeImr, name, payload);
  if (!ev) {
    // The register and the log may now disagree (runtime_log.h): stop measuring.
    measurement_failed_ = true;
    return Internal("extending RTMR3 failed: " + ev.error().message);
  }
  ++app_events_;
  app_event_bytes_ += payload.size();
  return OkStatus();
}

Result<SignReply> AgentService::Sign(const SignArgs& args) {
  ASSIGN_OR_RETURN(SignAlgorithm alg, ParseSignAlgorithm(args.algorithm));
  if (alg.prehashed && args.data.size() != 32) {
    return InvalidArgument("secp256k1_prehashed requires a 32-byte digest, got " +
                           std::to_string(args.data.size()) + " bytes");
  }
  ASSIGN_OR_RETURN(KeyReply key,
                   GetKey({kSignPath, kSignPurpose, std::string(KeyAlgorithmName(alg.key))}));
  SignReply reply;
  if (alg.key == KeyAlgorithm::kEd25519) {
    ASSIGN_OR_RETURN(reply.signature, crypto::Ed25519Sign(key.key, args.data));
  } else {
    crypto::Digest256 digest{};
    if (alg.prehashed) {
      std::copy(args.data.begin(), args.data.end(), digest.begin());
    } else {
      digest = crypto::Sha256(args.data);  // as k256's Signer<Signature> (SHA-256) does
    }
    ASSIGN_OR_RETURN(crypto::RecoverableSignature sig,
                     crypto::Secp256k1Sign(key.key, crypto::View(digest)));
    reply.signature.assign(sig.r.begin(), sig.r.end());
    reply.signature.insert(reply.signature.end(), sig.s.begin(), sig.s.end());
  }
  reply.public_key = std::move(key.public_key);
  reply.signature_chain = {reply.signature, std::move(key.signature_chain[0]),
                           std::move(key.signature_chain[1])};
  return reply;
}

Result<bool> AgentService::Verify(const VerifyArgs& args) {
  ASSIGN_OR_RETURN(SignAlgorithm alg, ParseSignAlgorithm(args.algorithm));
  Status status;
  if (alg.key == KeyAlgorithm::kEd25519) {
    status = crypto::Ed25519Verify(args.public_key, args.data, args.signature);
  } else {
    if (alg.prehashed && args.data.size() != 32) {
      return InvalidArgument("secp256k1_prehashed requires a 32-byte digest");
    }
    crypto::Digest256 digest{};
    if (alg.prehashed) {
      std::copy(args.data.begin(), args.data.end(), digest.begin());
    } else {
      digest = crypto::Sha256(args.data);
    }
    status = crypto::Secp256k1Verify(args.public_key, crypto::View(digest), args.signature);
  }
  if (status) return true;
  if (status.error().code == Code::kUnauthenticated) return false;
  return tl::unexpected(status.error());
}

VersionReply AgentService::Version() const { return {options_.version, options_.rev}; }

}  // namespace teecloud::agent
