// `teecloud quote show`: every decoded field of a DCAP quote.
#pragma once

#include <ostream>
#include <string>

namespace teecloud::cli {

struct QuoteShowOptions {
  std::string quote_path;
  bool json = false;  // the default output is the same JSON, indented for reading
};

// 0 when the quote parses, 1 when it does not (message on `err`), 2 on I/O errors.
int RunQuoteShow(const QuoteShowOptions& options, std::ostream& out, std::ostream& err);

}  // namespace teecloud::cli
