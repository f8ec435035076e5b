// libFuzzer target for the Intel DCAP quote parser (v3/v4/v5). ParseQuote must return an Error,
// never crash or over-read, on any input; a parsed quote must also serialize (QuoteToJson walks
// every decoded field, including the PEM text that may hold arbitrary bytes).
#include <cstddef>
#include <cstdint>

#include "attest/dcap/quote.h"
#include "base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace teecloud;
  auto quote = attest::dcap::ParseQuote(ByteView(data, size));
  if (!quote) return 0;
  (void)attest::dcap::QuoteMeasurements(*quote);
  (void)attest::dcap::QuotePlatform(*quote);
  (void)quote->report_data();
  (void)DumpJson(attest::dcap::QuoteToJson(*quote));
  return 0;
}
