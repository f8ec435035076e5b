// libFuzzer target for the DCAP collateral parsers: the collateral container, the signed TCB
// info and enclave identity documents, and the PCK certificate SGX extension. All of them read
// untrusted input (collateral comes from a cache or network, the extension from a quote), so
// every input must give a value or an Error, never a crash, hang or sanitizer report.
//
// Seeds: fuzz/corpus/collateral/ (small synthetic documents written for this target).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attest/dcap/collateral.h"
#include "attest/dcap/pck_extensions.h"
#include "base/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace teecloud::attest::dcap;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The container; when it parses, also feed the documents it carries, so mutations of a
  // container seed reach the inner parsers with realistic nesting.
  auto collateral = ParseCollateral(text);
  if (collateral) {
    (void)ParseTcbInfo(collateral->tcb_info);
    (void)ParseEnclaveIdentity(collateral->qe_identity);
  }
  // Each parser on the raw input as well.
  (void)ParseTcbInfo(text);
  (void)ParseEnclaveIdentity(text);
  (void)ParsePckExtensions(teecloud::ByteView(data, size));
  return 0;
}
