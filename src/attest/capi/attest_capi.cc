// The C ABI of include/teecloud/attest.h over attest::dcap. No exception leaves this file:
// every entry point catches everything and reports TEECLOUD_VERIFY_ERROR.
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "attest/dcap/collateral.h"
#include "attest/dcap/verify.h"
#include "base/bytes.h"
#include "base/json.h"
#include "crypto/x509.h"
#include "teecloud/attest.h"

#ifndef TEECLOUD_VERSION
#define TEECLOUD_VERSION "0.0.0"
#endif

namespace {

namespace dcap = teecloud::attest::dcap;

char* CopyOut(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

int ErrorOut(char** out, const std::string& message) {
  teecloud::OrderedJson j;
  j["valid"] = false;
  j["error"] = message;
  *out = CopyOut(teecloud::DumpJson(j));
  return TEECLOUD_VERIFY_ERROR;
}

int Verify(const uint8_t* quote, size_t quote_len, const char* collateral_json, int64_t now,
           const char* trust_root_pem, char** out) {
  if (quote == nullptr && quote_len != 0) return ErrorOut(out, "quote is NULL");
  dcap::TrustSettings trust = dcap::IntelTrust();
  if (trust_root_pem != nullptr) {
    auto roots = teecloud::crypto::ParsePemChain(trust_root_pem);
    if (!roots) return ErrorOut(out, "trust_root_pem: " + roots.error().message);
    const auto& intel = dcap::IntelSgxRootCa().der();
    trust.simulated = !(roots->size() == 1 && teecloud::BytesEqual((*roots)[0].der(), intel));
    trust.roots = std::move(*roots);
  }
  const teecloud::ByteView quote_view(quote, quote_len);
  dcap::QuoteVerifier verifier(std::move(trust));
  dcap::VerifyResult result;
  if (collateral_json != nullptr) {
    auto collateral = dcap::ParseCollateral(std::string_view(collateral_json));
    if (!collateral) return ErrorOut(out, "collateral_json: " + collateral.error().message);
    result = verifier.Verify(quote_view, *collateral, now);
  } else {
    result = verifier.VerifyWithoutCollateral(quote_view, now);
  }
  teecloud::OrderedJson j = dcap::VerifyResultToJson(result);
  j["verified_at"] = now;
  *out = CopyOut(teecloud::DumpJson(j));
  if (*out == nullptr) return TEECLOUD_VERIFY_ERROR;
  return result.valid ? TEECLOUD_VERIFY_VALID : TEECLOUD_VERIFY_INVALID;
}

}  // namespace

extern "C" {

int teecloud_verify_quote(const uint8_t* quote, size_t quote_len, const char* collateral_json,
                          int64_t now_unix, const char* trust_root_pem, char** result_json_out) {
  if (result_json_out == nullptr) return TEECLOUD_VERIFY_ERROR;
  *result_json_out = nullptr;
  try {
    return Verify(quote, quote_len, collateral_json, now_unix, trust_root_pem, result_json_out);
  } catch (const std::exception& e) {
    std::free(*result_json_out);
    *result_json_out = nullptr;
    try {
      return ErrorOut(result_json_out, std::string("internal error: ") + e.what());
    } catch (...) {
      return TEECLOUD_VERIFY_ERROR;
    }
  } catch (...) {
    return TEECLOUD_VERIFY_ERROR;
  }
}

void teecloud_free(char* p) { std::free(p); }

const char* teecloud_attest_version(void) { return TEECLOUD_VERSION; }

}  // extern "C"
