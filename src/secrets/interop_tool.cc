// Test tool for testdata/sealed_env_interop.mjs (not installed, never shipped):
//   secrets_interop_tool seal <recipient public key hex>   stdin: a .env file
//       -> stdout: the sealed env as hex (ParseDotenv, SealEnv with the system RNG)
//   secrets_interop_tool open <private key hex>            stdin: a sealed env as hex
//       -> stdout: {"env":[{"key":..,"value":..},...]} (OpenSealedEnv)
// Errors: exit 1 with "CODE: message" on stderr; exit 2 on bad usage. Values travel over
// stdin/stdout only; the private key in argv is a throwaway key the test generated.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "base/json.h"
#include "secrets/dotenv.h"
#include "secrets/sealed_env.h"

namespace sec = teecloud::secrets;

namespace {

int Fail(const teecloud::Error& e) {
  std::fprintf(stderr, "%s\n", e.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s seal <public key hex> | open <private key hex>\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::string input(std::istreambuf_iterator<char>(std::cin), {});
  if (mode == "seal") {
    auto pub = sec::ParseEnvPublicKeyHex(argv[2]);
    if (!pub) return Fail(pub.error());
    auto vars = sec::ParseDotenv(input);
    if (!vars) return Fail(vars.error());
    teecloud::crypto::SystemRandom random;
    auto sealed = sec::SealEnv(*pub, *vars, random);
    if (!sealed) return Fail(sealed.error());
    std::printf("%s\n", teecloud::ToHex(*sealed).c_str());
    return 0;
  }
  if (mode == "open") {
    auto key = teecloud::FromHex(argv[2]);
    if (!key) return Fail(key.error());
    auto sealed = teecloud::FromHex(input);
    if (!sealed) return Fail(sealed.error());
    auto vars = sec::OpenSealedEnv(teecloud::crypto::SecretBytes(*key), *sealed);
    if (!vars) return Fail(vars.error());
    teecloud::OrderedJson env = teecloud::OrderedJson::array();
    for (const sec::EnvVar& v : *vars) env.push_back({{"key", v.name}, {"value", v.value}});
    std::printf("%s\n", teecloud::DumpJson(teecloud::OrderedJson{{"env", env}}).c_str());
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s (seal | open)\n", mode.c_str());
  return 2;
}
