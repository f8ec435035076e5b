// Fuzz target for deployment secrets (src/secrets): ParseDotenv reads a user's .env file;
// OpenSealedEnv reads the bytes the node host hands the agent, untrusted until they
// authenticate, and then the JSON inside. Each input is tried as a .env file, as a sealed env
// for a fixed key, and as the plaintext JSON behind a valid envelope (so mutations reach the
// JSON layer, which a bad tag would otherwise hide). Whatever any of them accepts must pass
// ValidateEnvVars and come back unchanged through SealEnv -> OpenSealedEnv. Nothing may crash,
// hang or over-read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "secrets/dotenv.h"
#include "secrets/sealed_env.h"

namespace {

using teecloud::Bytes;
using teecloud::ByteView;
namespace crypto = teecloud::crypto;
namespace sec = teecloud::secrets;

// The seed corpus's sealed_*.bin files are sealed to this key (private key = 32 x 0x42).
const crypto::SecretBytes& Key() {
  static const crypto::SecretBytes key(Bytes(32, 0x42));
  return key;
}
const Bytes& PublicKey() {
  static const Bytes pub = *crypto::X25519PublicFromPrivate(Key());
  return pub;
}

void RoundTrip(const std::vector<sec::EnvVar>& vars) {
  if (!sec::ValidateEnvVars(vars)) std::abort();
  crypto::FakeRandom random(1);
  auto sealed = sec::SealEnv(PublicKey(), vars, random);
  if (!sealed) std::abort();
  auto opened = sec::OpenSealedEnv(Key(), *sealed);
  if (!opened || *opened != vars) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto vars = sec::ParseDotenv(text)) RoundTrip(*vars);

  if (auto vars = sec::OpenSealedEnv(Key(), bytes)) RoundTrip(*vars);

  crypto::FakeRandom random(2);
  if (auto sealed = sec::SealEnvelope(PublicKey(), bytes, random)) {
    auto vars = sec::OpenSealedEnv(Key(), *sealed);
    if (vars) {
      RoundTrip(*vars);
    } else if (vars.error().code != teecloud::Code::kInvalidArgument) {
      std::abort();  // our own envelope must authenticate; only the JSON may be refused
    }
  }
  return 0;
}
