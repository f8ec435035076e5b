// The agent's boot sequence (ARCHITECTURE.md "Identities and measurements"): measure the app's
// identity into RTMR3, obtain the app root key, measure where it came from, declare the system
// ready. The node (or the standalone teecloud-agent) drives it once per CVM boot, before any
// app code runs.
//
// RTMR3 events, in order (type 0x08000001, digests per attest/eventlog/runtime_log.h):
//   system-preparing  empty
//   app-id            app_id (20 bytes)
//   compose-hash      manifest hash (32 bytes: SHA-256 of the manifest's JCS form)
//   instance-id       instance_id (20 bytes) = SHA-256(instance_seed || app_id)[0..20]
//   boot-mr-done      empty             -- identity measured; keys are requested after this
//   key-provider      {"name": ..., "id": hex} (JSON text from the KeyProvider)
//   system-ready      empty             -- apps may emit their own events after this
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/key_provider.h"
#include "attest/eventlog/runtime_log.h"
#include "base/bytes.h"
#include "base/error.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "manifest/manifest.h"
#include "tee/attester.h"

namespace teecloud::agent {

inline constexpr std::array<std::string_view, 7> kBootEventNames = {
    "system-preparing", "app-id",       "compose-hash", "instance-id",
    "boot-mr-done",     "key-provider", "system-ready"};
inline constexpr size_t kInstanceSeedSize = 32;

struct BootInputs {
  std::string manifest_json;    // the manifest file's text (any formatting; hashed canonically)
  std::optional<Bytes> app_id;  // 20 bytes; default: policy-file mode (manifest hash[0..20])
  crypto::SecretBytes instance_seed;  // 32 bytes, persisted per CVM
};

struct AppIdentity {
  Bytes app_id;         // 20 bytes
  Bytes instance_id;    // 20 bytes
  Bytes manifest_hash;  // 32 bytes
  manifest::Manifest manifest;
  std::string canonical_manifest;  // JCS text; SHA-256 of it is manifest_hash
  std::string key_provider_name;
  std::string key_provider_info;  // JSON text, as measured
};

struct BootOutcome {
  AppIdentity identity;
  AppKeyGrant grant;
  std::vector<attest::eventlog::RuntimeEvent> events;  // the seven events, as extended
};

// instance_id = SHA-256(instance_seed || app_id)[0..20].
Bytes InstanceId(const crypto::SecretBytes& instance_seed, ByteView app_id);

// Reads <state_dir>/instance-seed (32 bytes), or creates it (mode 0600, from `random`) on the
// first boot; creates state_dir (0700) when missing. Refuses a seed file of the wrong size or
// readable by group/others.
Result<crypto::SecretBytes> LoadOrCreateInstanceSeed(const std::string& state_dir,
                                                     crypto::Random& random);

// Parses the manifest and computes the identity inputs (no measurement).
Result<AppIdentity> ResolveIdentity(const BootInputs& inputs);

// Runs the sequence. On an error the registers may hold a prefix of the events: the CVM must
// not start the app (the caller exits); a verifier sees no "system-ready".
Result<BootOutcome> RunBootSequence(tee::Attester& attester, KeyProvider& key_provider,
                                    const BootInputs& inputs);

}  // namespace teecloud::agent
