// RA-TLS certificates: dstack-compatible extensions, issuing, and verification of a peer.
#include "ratls/ratls.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>

#include "attest/dcap/quote.h"
#include "crypto/der.h"
#include "crypto/hash.h"

namespace teecloud::ratls {
namespace {

using attest::eventlog::RuntimeEvent;

constexpr std::string_view kEventLogGzipMagic = "ELGZv1";

// RFC 3629 §4 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsUtf8(ByteView b) {
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t c = b[i];
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (b.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// How often each RA-TLS OID occurs among the certificate's extensions (RFC 5280 §4.2 allows
// one). OpenSSL's lookup returns the first match only, and another verifier might read a
// different one, so duplicates are refused. The DER was already parsed by OpenSSL; this walks
// TBSCertificate (§4.1) to its [3] extensions.
Result<std::array<int, 4>> CountRaTlsExtensions(const Bytes& cert_der) {
  static constexpr std::array<std::string_view, 4> kOids = {kOidQuote, kOidEventLog, kOidAppId,
                                                            kOidCertUsage};
  std::array<int, 4> counts{};
  crypto::DerReader outer(cert_der);
  ASSIGN_OR_RETURN(auto cert, outer.Expect(crypto::kDerSequence, "Certificate"));
  crypto::DerReader cert_fields(cert.contents);
  ASSIGN_OR_RETURN(auto tbs, cert_fields.Expect(crypto::kDerSequence, "TBSCertificate"));
  crypto::DerReader tbs_fields(tbs.contents);
  while (!tbs_fields.empty()) {
    ASSIGN_OR_RETURN(auto field, tbs_fields.Next());
    if (field.tag != 0xa3) continue;  // [3] EXPLICIT Extensions
    crypto::DerReader wrapper(field.contents);
    ASSIGN_OR_RETURN(auto exts, wrapper.Expect(crypto::kDerSequence, "Extensions"));
    crypto::DerReader list(exts.contents);
    while (!list.empty()) {
      ASSIGN_OR_RETURN(auto ext, list.Expect(crypto::kDerSequence, "Extension"));
      crypto::DerReader ext_fields(ext.contents);
      ASSIGN_OR_RETURN(auto oid, ext_fields.Expect(crypto::kDerOid, "extnID"));
      auto dotted = crypto::DecodeOid(oid.contents);
      if (!dotted) continue;
      for (size_t i = 0; i < kOids.size(); ++i) {
        if (*dotted == kOids[i]) ++counts[i];
      }
    }
  }
  return counts;
}

// extnValue contents → the bytes inside its single OCTET STRING.
Result<Bytes> UnwrapOctetString(ByteView value, std::string_view what, size_t max_size) {
  crypto::DerReader r(value);
  auto os = r.Expect(crypto::kDerOctetString, what);
  if (!os) return InvalidArgument(std::string(what) + ": value is not a DER OCTET STRING");
  if (!r.empty()) return InvalidArgument(std::string(what) + ": trailing bytes after OCTET STRING");
  if (os->contents.size() > max_size) {
    return InvalidArgument(std::string(what) + ": " + std::to_string(os->contents.size()) +
                           " bytes exceed the limit of " + std::to_string(max_size));
  }
  return ToBytes(os->contents);
}

crypto::CertificateExtension Extension(const char* oid, ByteView bytes) {
  crypto::DerWriter w;
  w.OctetString(bytes);
  return crypto::CertificateExtension{oid, false, w.Finish()};
}

}  // namespace

std::array<uint8_t, 64> ReportDataForKey(ByteView spki_der) {
  return crypto::Sha512(Concat({AsBytes("ratls-cert:"), spki_der}));
}

Result<RaTlsEvidence> ParseRaTlsExtensions(const crypto::Certificate& cert) {
  ASSIGN_OR_RETURN(const auto counts, CountRaTlsExtensions(cert.der()));
  for (const int c : counts) {
    if (c > 1) return InvalidArgument("RA-TLS extension present more than once");
  }
  RaTlsEvidence ev;
  const std::optional<Bytes> quote = cert.ExtensionValue(kOidQuote);
  if (!quote) return NotFound("certificate has no RA-TLS quote extension");
  ASSIGN_OR_RETURN(ev.quote, UnwrapOctetString(*quote, "RA-TLS quote", kMaxQuoteSize));
  if (ev.quote.empty()) return InvalidArgument("RA-TLS quote: empty");

  if (const auto log = cert.ExtensionValue(kOidEventLog)) {
    ASSIGN_OR_RETURN(Bytes text, UnwrapOctetString(*log, "RA-TLS event log", kMaxEventLogSize));
    if (AsStringView(text).starts_with(kEventLogGzipMagic)) {
      return Unimplemented("RA-TLS event log: gzip-compressed logs (ELGZv1) are not supported");
    }
    if (!IsUtf8(text)) return InvalidArgument("RA-TLS event log: not UTF-8 text");
    ev.event_log_json.assign(text.begin(), text.end());
  }
  if (const auto app_id = cert.ExtensionValue(kOidAppId)) {
    ASSIGN_OR_RETURN(ev.app_id, UnwrapOctetString(*app_id, "RA-TLS app id", kMaxAppIdSize));
  }
  if (const auto usage = cert.ExtensionValue(kOidCertUsage)) {
    ASSIGN_OR_RETURN(Bytes text, UnwrapOctetString(*usage, "RA-TLS cert usage", kMaxUsageSize));
    if (!IsUtf8(text)) return InvalidArgument("RA-TLS cert usage: not UTF-8 text");
    ev.usage.assign(text.begin(), text.end());
  }
  return ev;
}

std::vector<crypto::CertificateExtension> RaTlsExtensions(const RaTlsEvidence& evidence) {
  std::vector<crypto::CertificateExtension> out;
  out.push_back(Extension(kOidQuote, evidence.quote));
  if (!evidence.event_log_json.empty()) {
    out.push_back(Extension(kOidEventLog, AsBytes(evidence.event_log_json)));
  }
  if (!evidence.app_id.empty()) out.push_back(Extension(kOidAppId, evidence.app_id));
  if (!evidence.usage.empty()) out.push_back(Extension(kOidCertUsage, AsBytes(evidence.usage)));
  return out;
}

Result<crypto::Certificate> IssueRaTlsCertificate(crypto::CertificateSpec spec,
                                                  const crypto::EcPublicKey& key,
                                                  const RaTlsEvidence& evidence,
                                                  const crypto::Certificate* issuer,
                                                  const crypto::EcPrivateKey& issuer_key) {
  if (evidence.quote.size() > kMaxQuoteSize || evidence.event_log_json.size() > kMaxEventLogSize ||
      evidence.app_id.size() > kMaxAppIdSize || evidence.usage.size() > kMaxUsageSize) {
    return InvalidArgument("RA-TLS evidence exceeds the extension size limits");
  }
  auto quote = attest::dcap::ParseQuote(evidence.quote);
  if (!quote) return InvalidArgument("RA-TLS quote: " + quote.error().message);
  const auto expected = ReportDataForKey(key.SpkiDer());
  if (quote->report_data() != expected) {
    return InvalidArgument("RA-TLS quote report_data does not bind the certificate key");
  }
  for (auto& ext : RaTlsExtensions(evidence)) spec.extensions.push_back(std::move(ext));
  return crypto::IssueCertificate(spec, key, issuer, issuer_key);
}

// ---- verification ---------------------------------------------------------------------------

namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

}  // namespace

// Events after "system-ready" are the app's own and may use any name.
Status ReadBootIdentity(const std::vector<RuntimeEvent>& events, PeerIdentity& id) {
  bool seen_app_id = false, seen_compose = false, seen_instance = false, seen_provider = false;
  auto once = [](bool& seen, std::string_view name) -> Status {
    if (seen) return Unauthenticated("event log: boot event '" + std::string(name) + "' twice");
    seen = true;
    return OkStatus();
  };
  for (const RuntimeEvent& ev : events) {
    if (ev.imr != attest::eventlog::kRuntimeImr ||
        ev.event_type != attest::eventlog::kRuntimeEventType) {
      continue;
    }
    if (ev.event == "system-ready") {
      id.system_ready = true;
      break;
    }
    if (ev.event == "app-id") {
      RETURN_IF_ERROR(once(seen_app_id, ev.event));
      id.app_id = ev.payload;
    } else if (ev.event == "compose-hash") {
      RETURN_IF_ERROR(once(seen_compose, ev.event));
      id.manifest_hash = ev.payload;
    } else if (ev.event == "instance-id") {
      RETURN_IF_ERROR(once(seen_instance, ev.event));
      id.instance_id = ev.payload;
    } else if (ev.event == "key-provider") {
      RETURN_IF_ERROR(once(seen_provider, ev.event));
      id.key_provider.assign(ev.payload.begin(), ev.payload.end());
    }
  }
  if (!seen_app_id || !seen_compose) {
    return PermissionDenied("event log: peer has not measured its app-id and compose-hash");
  }
  return OkStatus();
}

struct RaTlsVerifier::Impl {
  Impl(VerifierSettings s, const Clock& c)
      : settings(std::move(s)), clock(c), quote_verifier(settings.trust, /*cache=*/true) {}
  VerifierSettings settings;
  const Clock& clock;
  std::mutex mu;  // guards quote_verifier (its caches)
  attest::dcap::QuoteVerifier quote_verifier;
};

RaTlsVerifier::RaTlsVerifier(VerifierSettings settings, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(settings), clock)) {}
RaTlsVerifier::~RaTlsVerifier() = default;

Result<PeerIdentity> RaTlsVerifier::Verify(const std::vector<crypto::Certificate>& chain) const {
  if (chain.empty()) return Unauthenticated("RA-TLS: peer presented no certificate");
  const crypto::Certificate& leaf = chain[0];
  const UnixTime now = impl_->clock.Now();
  if (now < leaf.NotBefore() || now > leaf.NotAfter()) {
    return Unauthenticated("RA-TLS: certificate is outside its validity period");
  }
  auto evidence = ParseRaTlsExtensions(leaf);
  if (!evidence) {
    return Unauthenticated("RA-TLS: " + evidence.error().message);
  }
  auto quote = attest::dcap::ParseQuote(evidence->quote);
  if (!quote) return Unauthenticated("RA-TLS: quote: " + quote.error().message);
  if (!quote->is_tdx()) return Unauthenticated("RA-TLS: quote is not a TDX quote");

  PeerIdentity id;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    id.quote = impl_->quote_verifier.Verify(evidence->quote, impl_->settings.collateral, now);
  }
  if (!id.quote.valid) {
    return Unauthenticated("RA-TLS: quote verification failed: " + id.quote.error);
  }
  const attest::dcap::PolicyDecision decision =
      attest::dcap::EvaluatePolicy(impl_->settings.policy, id.quote, *quote, now);
  if (!decision.accepted) {
    return PermissionDenied("RA-TLS: quote not accepted by policy: " + Join(decision.reasons));
  }

  // The quote must vouch for this certificate's key, not some other one.
  const auto expected = ReportDataForKey(leaf.SpkiDer());
  if (!ConstantTimeEqual(quote->report_data(), expected)) {
    return Unauthenticated("RA-TLS: quote report_data does not bind the certificate key");
  }

  if (evidence->event_log_json.empty()) return Unauthenticated("RA-TLS: no event log");
  auto events = attest::eventlog::ParseRuntimeEventLog(evidence->event_log_json);
  if (!events) return Unauthenticated("RA-TLS: event log: " + events.error().message);
  const auto replayed = attest::eventlog::ReplayRuntimeLog(*events);
  for (size_t i = 0; i < replayed.size(); ++i) {
    if (!BytesEqual(crypto::View(replayed[i]), quote->tdx_body->rtmr[i])) {
      return Unauthenticated("RA-TLS: event log does not replay to the quote's RTMR" +
                             std::to_string(i));
    }
  }
  RETURN_IF_ERROR(ReadBootIdentity(*events, id));
  if (!evidence->app_id.empty() && evidence->app_id != id.app_id) {
    return Unauthenticated("RA-TLS: app id extension differs from the measured app-id");
  }
  id.events = std::move(*events);
  return id;
}

OrderedJson PeerIdentityToJson(const PeerIdentity& id) {
  OrderedJson j;
  j["tee"] = id.quote.simulated ? "simulated"
                                : (id.quote.platform.empty() ? "unknown" : id.quote.platform);
  j["app_id"] = ToHex(id.app_id);
  j["manifest_hash"] = ToHex(id.manifest_hash);
  j["instance_id"] = ToHex(id.instance_id);
  j["key_provider"] = id.key_provider;
  j["system_ready"] = id.system_ready;
  j["quote"] = attest::dcap::VerifyResultToJson(id.quote);
  OrderedJson events = OrderedJson::array();
  for (const RuntimeEvent& ev : id.events) {
    OrderedJson e;
    e["imr"] = ev.imr;
    e["event_type"] = ev.event_type;
    e["digest"] = ToHex(ev.digest);
    e["event"] = ev.event;
    e["event_payload"] = ToHex(ev.payload);
    events.push_back(std::move(e));
  }
  j["event_log"] = std::move(events);
  return j;
}

crypto::PeerVerifier MakeRaTlsPeerVerifier(
    const RaTlsVerifier& verifier, std::shared_ptr<std::optional<PeerIdentity>> identity_out,
    IdentityCheck accept) {
  return [&verifier, out = std::move(identity_out),
          accept = std::move(accept)](const std::vector<crypto::Certificate>& chain) -> Status {
    if (out) out->reset();
    ASSIGN_OR_RETURN(PeerIdentity id, verifier.Verify(chain));
    if (accept) RETURN_IF_ERROR(accept(id));
    if (out) *out = std::move(id);
    return OkStatus();
  };
}

}  // namespace teecloud::ratls
