#include "cli/app_verify.h"

#include <sstream>
#include <utility>
#include <vector>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/eventlog/replay.h"
#include "attest/eventlog/runtime_log.h"
#include "crypto/x509.h"
#include "manifest/manifest.h"
#include "node/attest_binding.h"
#include "ratls/ratls.h"

namespace teecloud::cli {

namespace dcap = attest::dcap;
namespace eventlog = attest::eventlog;

namespace {

// The node's hex, normalized (lower case); a value that is not hex is a refusal naming it.
Result<std::string> ClaimHex(const std::string& value, const char* what) {
  auto bytes = FromHex(value);
  if (!bytes || bytes->empty()) {
    return Unauthenticated("the node reports " + std::string(what) + " '" + value +
                           "', which is not hex");
  }
  return ToHex(*bytes);
}

Status Same(const std::string& claimed, const std::string& measured, const char* what,
            const char* event) {
  if (claimed == measured) return OkStatus();
  return PermissionDenied("the node reports " + std::string(what) + " " + claimed +
                          ", but the CVM measured " + measured + " (\"" + event +
                          "\" boot event): the node's record does not describe the CVM that "
                          "answered; do not trust this app until the node explains it");
}

}  // namespace

Result<dcap::TrustSettings> ParseTrustRoot(ByteView pem_or_der) {
  std::vector<crypto::Certificate> roots;
  if (auto pem = crypto::ParsePemChain(AsStringView(pem_or_der)); pem && !pem->empty()) {
    roots = std::move(*pem);
  } else if (auto der = crypto::Certificate::FromDer(pem_or_der)) {
    roots.push_back(std::move(*der));
  } else {
    return InvalidArgument("no PEM or DER certificate found");
  }
  dcap::TrustSettings trust;
  const Bytes& intel = dcap::IntelSgxRootCa().der();
  trust.simulated = !(roots.size() == 1 && BytesEqual(roots[0].der(), intel));
  trust.roots = std::move(roots);
  return trust;
}

Result<AppVerification> VerifyAppEvidence(const AppVerifyInput& in) {
  // Inputs first: a problem here is the caller's, not the evidence's.
  dcap::TrustSettings trust = dcap::IntelTrust();
  if (!in.trust.root.empty()) {
    auto t = ParseTrustRoot(AsBytes(in.trust.root));
    if (!t) return InvalidArgument("trust root: " + t.error().message);
    trust = std::move(*t);
  }
  std::optional<dcap::Collateral> collateral;
  if (in.trust.collateral_json) {
    auto c = dcap::ParseCollateral(*in.trust.collateral_json);
    if (!c) return InvalidArgument("collateral: " + c.error().message);
    collateral = std::move(*c);
  }
  ASSIGN_OR_RETURN(const Bytes expected_report_data, node::AttestReportData(in.nonce));

  AppVerification v;
  v.cvm_id = in.claim.cvm_id;
  v.name = in.claim.name;
  v.node_tee = in.reply.tee;
  v.root_source = in.trust.root_source;
  v.nonce = ToHex(in.nonce);
  v.verified_at = in.now;

  // 1. The quote, exactly as `teecloud verify quote` checks it.
  auto quote = dcap::ParseQuote(in.reply.quote);
  if (!quote) return Unauthenticated("the node's quote does not parse: " + quote.error().message);
  if (!quote->is_tdx()) {
    return Unauthenticated("the node's quote is not a TDX quote (no RTMRs to replay)");
  }
  dcap::QuoteVerifier verifier(std::move(trust));
  v.quote = collateral ? verifier.Verify(in.reply.quote, *collateral, in.now)
                       : verifier.VerifyWithoutCollateral(in.reply.quote, in.now);
  if (!v.quote.valid) {
    return Unauthenticated(
        "the quote does not verify against the trusted root (" +
        (in.trust.root_source.empty() ? std::string("Intel SGX Root CA") : in.trust.root_source) +
        "): " + v.quote.error);
  }
  v.platform = v.quote.platform;
  v.simulated = v.quote.simulated;
  const dcap::TdxReportBody& body = *quote->tdx_body;

  // 2. Freshness: the quote was made over this request's nonce.
  if (!ConstantTimeEqual(quote->report_data(), expected_report_data)) {
    return Unauthenticated(
        "the quote is not bound to this request's nonce (a replayed or substituted quote): "
        "report_data is " +
        ToHex(quote->report_data()) + ", expected SHA-512(\"teecloud-node-attest:v1:\" || " +
        v.nonce + ") = " + ToHex(expected_report_data));
  }

  // 3. The event log explains every RTMR.
  auto log = ParseJson(in.reply.event_log_json);
  if (!log || !log->is_array()) {
    return Unauthenticated("the node's event log is not a JSON array of events");
  }
  auto replay = eventlog::ReplayAgainstQuote(AsBytes(in.reply.event_log_json), body.rtmr);
  if (!replay) {
    return Unauthenticated("the node's event log does not parse: " + replay.error().message);
  }
  for (size_t i = 0; i < replay->rtmr_match.size(); ++i) {
    if (replay->rtmr_match[i] != true) {
      return Unauthenticated("the event log does not replay to the quote's RTMR" +
                             std::to_string(i) + " (replayed " + ToHex(replay->replayed[i]) +
                             ", quoted " + ToHex(body.rtmr[i]) +
                             "): the log was tampered with or is incomplete");
    }
  }
  v.event_count = replay->event_count;

  // 4. The identity the CVM measured, against what the node says.
  auto events = eventlog::ParseRuntimeEventLog(in.reply.event_log_json);
  if (!events) return Unauthenticated("the node's event log: " + events.error().message);
  ratls::PeerIdentity id;
  if (Status s = ratls::ReadBootIdentity(*events, id); !s) {
    return tl::unexpected(s.error().WithContext("the CVM's boot events"));
  }
  v.app_id = ToHex(id.app_id);
  v.instance_id = ToHex(id.instance_id);
  v.manifest_hash = ToHex(id.manifest_hash);
  v.key_provider = id.key_provider;
  v.system_ready = id.system_ready;
  ASSIGN_OR_RETURN(const std::string claimed_app_id, ClaimHex(in.claim.app_id, "app id"));
  ASSIGN_OR_RETURN(const std::string claimed_manifest,
                   ClaimHex(in.claim.manifest_hash, "manifest hash"));
  ASSIGN_OR_RETURN(const std::string claimed_instance,
                   ClaimHex(in.claim.instance_id, "instance id"));
  RETURN_IF_ERROR(Same(claimed_app_id, v.app_id, "app id", "app-id"));
  RETURN_IF_ERROR(Same(claimed_manifest, v.manifest_hash, "manifest hash", "compose-hash"));
  if (id.instance_id.empty()) {
    return PermissionDenied("the CVM has not measured its instance-id boot event");
  }
  RETURN_IF_ERROR(Same(claimed_instance, v.instance_id, "instance id", "instance-id"));
  if (in.claim.manifest_json) {
    auto m = manifest::ParseManifest(*in.claim.manifest_json);
    if (!m) {
      return PermissionDenied("the manifest the node shows is not a valid manifest: " +
                              m.error().message);
    }
    const std::string hash = manifest::ManifestHashHex(*m);
    if (hash != v.manifest_hash) {
      return PermissionDenied("the manifest the node shows hashes to " + hash +
                              ", but the CVM measured compose-hash " + v.manifest_hash +
                              ": the node shows a different manifest than the one running");
    }
    v.manifest_checked = true;
    v.name = m->name;
  }

  v.mrtd = ToHex(body.mr_td);
  for (size_t i = 0; i < 4; ++i) v.rtmr[i] = ToHex(body.rtmr[i]);
  v.report_data = ToHex(quote->report_data());
  return v;
}

OrderedJson AppVerificationToJson(const AppVerification& v) {
  OrderedJson j;
  j["verdict"] = "VERIFIED";
  j["name"] = v.name;
  j["cvm_id"] = v.cvm_id;
  j["app_id"] = v.app_id;
  j["instance_id"] = v.instance_id;
  j["manifest_hash"] = v.manifest_hash;
  j["manifest_checked"] = v.manifest_checked;
  j["key_provider"] = v.key_provider;
  j["system_ready"] = v.system_ready;
  j["tee"] = v.simulated ? "simulated" : v.platform;
  j["platform"] = v.platform;
  j["simulated"] = v.simulated;
  j["trust_root"] = v.root_source;
  j["tcb_status"] = v.quote.tcb_status ? OrderedJson(dcap::TcbStatusName(*v.quote.tcb_status))
                                       : OrderedJson(nullptr);
  j["advisory_ids"] = v.quote.advisory_ids;
  j["collateral_expired"] = v.quote.collateral_expired;
  j["measurements"] = {{"mrtd", v.mrtd},     {"rtmr0", v.rtmr[0]}, {"rtmr1", v.rtmr[1]},
                       {"rtmr2", v.rtmr[2]}, {"rtmr3", v.rtmr[3]}, {"report_data", v.report_data}};
  j["event_log_replayed"] = true;
  j["event_log_events"] = v.event_count;
  j["nonce"] = v.nonce;
  j["nonce_fresh"] = true;
  j["verified_at"] = v.verified_at;
  return j;
}

std::string AppVerificationToText(const AppVerification& v) {
  std::ostringstream out;
  if (v.simulated) {
    out << "*** SIMULATED TEE: signed by a simulation root, not real hardware evidence ***\n";
  }
  auto line = [&out](const std::string& k, const std::string& value) {
    out << "  " << k << std::string(k.size() < 16 ? 16 - k.size() : 1, ' ') << value << "\n";
  };
  out << "app " << v.name << "\n";
  line("app id", v.app_id);
  line("instance id", v.instance_id);
  line("manifest hash",
       v.manifest_hash + (v.manifest_checked ? " (the node's manifest hashes to it)" : ""));
  if (!v.key_provider.empty()) line("key provider", v.key_provider);
  if (!v.system_ready) line("system ready", "no (the CVM has not finished booting)");
  line("tee", v.platform + (v.simulated ? " (SIMULATED)" : " (hardware)"));
  line("trust root", v.root_source);
  if (v.quote.tcb_status) {
    std::string adv;
    for (const auto& a : v.quote.advisory_ids) adv += (adv.empty() ? ", advisories " : ", ") + a;
    line("tcb status", std::string(dcap::TcbStatusName(*v.quote.tcb_status)) + adv +
                           (v.quote.collateral_expired ? " (collateral EXPIRED)" : ""));
  } else {
    line("tcb status", "not checked (no collateral)");
  }
  line("mrtd", v.mrtd);
  for (size_t i = 0; i < 4; ++i) line("rtmr" + std::to_string(i), v.rtmr[i]);
  line("event log",
       "replayed: yes (" + std::to_string(v.event_count) + " events reproduce RTMR0-3)");
  line("nonce", "fresh: yes (quote bound to " + v.nonce + ")");
  line("verified at", FormatRfc3339(v.verified_at));
  out << "verdict: VERIFIED" << (v.simulated ? " (simulated TEE)" : "") << "\n";
  return out.str();
}

}  // namespace teecloud::cli
