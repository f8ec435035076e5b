#include "cli/quote_command.h"

#include "attest/dcap/quote.h"
#include "base/file.h"
#include "base/json.h"
#include "cli/exit_codes.h"

namespace teecloud::cli {

int RunQuoteShow(const QuoteShowOptions& o, std::ostream& out, std::ostream& err) {
  auto bytes = ReadBinaryOrHexFile(o.quote_path);
  if (!bytes) {
    err << "teecloud quote show: " << o.quote_path << ": " << bytes.error().message << "\n";
    return kExitUsage;
  }
  auto quote = attest::dcap::ParseQuote(*bytes);
  if (!quote) {
    if (o.json) {
      out << DumpJson(OrderedJson{{"error", quote.error().message}}, 2) << "\n";
    }
    err << "teecloud quote show: " << o.quote_path
        << ": not a valid quote: " << quote.error().message << "\n";
    return kExitRejected;
  }
  out << DumpJson(attest::dcap::QuoteToJson(*quote), 2) << "\n";
  return kExitOk;
}

}  // namespace teecloud::cli
