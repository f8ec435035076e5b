// Parts of a DCAP quote verification, timed separately (Google Benchmark).
//
//   build/bin/dcap_microbench [--benchmark_filter=...]
// Reads tdx/t1-dcapqvl-v4 from $TEECLOUD_SHARED_DIR/vectors (default: the configured
// ../shared); exits with a message when the vectors are absent.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote.h"
#include "attest/dcap/verify.h"
#include "base/file.h"
#include "crypto/ec.h"
#include "crypto/x509.h"

namespace {

namespace dcap = teecloud::attest::dcap;
constexpr teecloud::UnixTime kAt = 1751328000;

struct Inputs {
  teecloud::Bytes quote;
  std::string collateral_json;
  dcap::Collateral collateral;
};

const Inputs& Vectors() {
  static const Inputs* in = [] {
    const char* env = std::getenv("TEECLOUD_SHARED_DIR");
    const std::string dir =
        std::string(env && *env ? env : TEECLOUD_SHARED_DIR) + "/vectors/tdx/t1-dcapqvl-v4";
    auto q = teecloud::ReadFile(dir + "/quote.bin");
    auto c = teecloud::ReadTextFile(dir + "/collateral.json");
    if (!q || !c) {
      std::fprintf(stderr, "dcap_microbench: vectors not found in %s\n", dir.c_str());
      std::exit(2);
    }
    auto parsed = dcap::ParseCollateral(*c);
    if (!parsed) {
      std::fprintf(stderr, "dcap_microbench: %s\n", parsed.error().ToString().c_str());
      std::exit(2);
    }
    return new Inputs{std::move(*q), std::move(*c), std::move(*parsed)};
  }();
  return *in;
}

void BM_ParseQuote(benchmark::State& state) {
  const auto& in = Vectors();
  for (auto _ : state) benchmark::DoNotOptimize(dcap::ParseQuote(in.quote));
}
BENCHMARK(BM_ParseQuote);

void BM_ParseCollateral(benchmark::State& state) {
  const auto& in = Vectors();
  for (auto _ : state) benchmark::DoNotOptimize(dcap::ParseCollateral(in.collateral_json));
}
BENCHMARK(BM_ParseCollateral);

void BM_ParsePckChain(benchmark::State& state) {
  const auto& in = Vectors();
  auto q = dcap::ParseQuote(in.quote);
  if (!q) return state.SkipWithError("quote does not parse");
  const std::string_view pem = teecloud::AsStringView(q->cert_data);
  for (auto _ : state) benchmark::DoNotOptimize(teecloud::crypto::ParsePemChain(pem));
}
BENCHMARK(BM_ParsePckChain);

void BM_CertificateFromDer(benchmark::State& state) {
  const teecloud::Bytes der = dcap::IntelSgxRootCa().der();
  for (auto _ : state) benchmark::DoNotOptimize(teecloud::crypto::Certificate::FromDer(der));
}
BENCHMARK(BM_CertificateFromDer);

void BM_VerifyCollateralChainsOnly(benchmark::State& state) {
  // The three PEM issuer chains a cold verification parses from the collateral.
  const auto& c = Vectors().collateral;
  for (auto _ : state) {
    benchmark::DoNotOptimize(teecloud::crypto::ParsePemChain(c.pck_crl_issuer_chain));
    benchmark::DoNotOptimize(teecloud::crypto::ParsePemChain(c.tcb_info_issuer_chain));
    benchmark::DoNotOptimize(teecloud::crypto::ParsePemChain(c.qe_identity_issuer_chain));
  }
}
BENCHMARK(BM_VerifyCollateralChainsOnly);

void BM_VerifyWithoutCollateral(benchmark::State& state) {
  const auto& in = Vectors();
  for (auto _ : state) {
    dcap::QuoteVerifier v(dcap::IntelTrust());
    benchmark::DoNotOptimize(v.VerifyWithoutCollateral(in.quote, kAt));
  }
}
BENCHMARK(BM_VerifyWithoutCollateral);

void BM_VerifyCold(benchmark::State& state) {
  const auto& in = Vectors();
  for (auto _ : state) {
    dcap::QuoteVerifier v(dcap::IntelTrust());
    auto r = v.Verify(in.quote, in.collateral, kAt);
    if (!r.valid) return state.SkipWithError(r.error.c_str());
  }
}
BENCHMARK(BM_VerifyCold);

void BM_VerifyWarm(benchmark::State& state) {
  const auto& in = Vectors();
  dcap::QuoteVerifier v(dcap::IntelTrust(), /*cache=*/true);
  (void)v.Verify(in.quote, in.collateral, kAt);
  for (auto _ : state) {
    auto r = v.Verify(in.quote, in.collateral, kAt);
    if (!r.valid) return state.SkipWithError(r.error.c_str());
  }
}
BENCHMARK(BM_VerifyWarm);

void BM_EcdsaP256Verify632(benchmark::State& state) {
  using teecloud::crypto::Curve;
  using teecloud::crypto::HashAlg;
  auto key = teecloud::crypto::EcPrivateKey::Generate(Curve::kP256);
  if (!key) return state.SkipWithError("keygen failed");
  const teecloud::Bytes msg(632, 0x5a);
  auto sig = key->SignRaw(msg, HashAlg::kSha256);
  if (!sig) return state.SkipWithError("sign failed");
  const auto pub = key->PublicKey();
  for (auto _ : state) benchmark::DoNotOptimize(pub.VerifyRaw(msg, *sig, HashAlg::kSha256));
}
BENCHMARK(BM_EcdsaP256Verify632);

}  // namespace

BENCHMARK_MAIN();
