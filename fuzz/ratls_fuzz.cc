// libFuzzer target for RA-TLS certificate parsing: certificate DER → Certificate::FromDer →
// ParseRaTlsExtensions. Both must return an Error, never crash or over-read, on any input. A
// parsed result must re-encode (RaTlsExtensions) and its event log must go through the runtime
// log parser, which is what a verifier does next.
#include <cstddef>
#include <cstdint>

#include "attest/eventlog/runtime_log.h"
#include "crypto/x509.h"
#include "ratls/ratls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace teecloud;
  auto cert = crypto::Certificate::FromDer(ByteView(data, size));
  if (!cert) return 0;
  (void)ratls::ReportDataForKey(cert->SpkiDer());
  auto evidence = ratls::ParseRaTlsExtensions(*cert);
  if (!evidence) return 0;
  const auto exts = ratls::RaTlsExtensions(*evidence);
  if (exts.empty() || exts[0].oid != ratls::kOidQuote) __builtin_trap();
  if (!evidence->event_log_json.empty()) {
    (void)attest::eventlog::ParseRuntimeEventLog(evidence->event_log_json);
  }
  return 0;
}
