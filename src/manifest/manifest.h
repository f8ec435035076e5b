// The app manifest (ARCHITECTURE.md "Identities and measurements"): what governance allowlists
// and the agent measures into RTMR3 as the `compose-hash` event.
//
//   {"manifest_version": 1, "name": "hello", "version": 1, "runner": "docker-compose",
//    "docker_compose_file": "<compose YAML, verbatim>", "allowed_envs": ["API_KEY"],
//    "ports": [{"port": 80, "protocol": "http"}], "key_provider": "kms",
//    "gateway": true, "public_logs": false}
//
//   manifest_hash = SHA-256(RFC 8785 JCS bytes of the manifest)
//   app_id (policy-file mode) = manifest_hash[0..20]
//
// Every field is required and unknown fields are rejected, so a verifier knows what each field
// of an accepted manifest means. Pure functions; thread-compatible.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "manifest/compose.h"

namespace teecloud::manifest {

inline constexpr int64_t kManifestVersion = 1;
inline constexpr std::string_view kRunnerDockerCompose = "docker-compose";
// Bound on a manifest document (input of ParseManifest, canonical output of ManifestFromCompose).
inline constexpr size_t kMaxManifestBytes = size_t{1} << 20;
// `version` is a JSON number, so it stays within what RFC 8785 (IEEE doubles) represents exactly
// (Number.MAX_SAFE_INTEGER); the governance contract stores it as uint64.
inline constexpr uint64_t kMaxAppVersion = (uint64_t{1} << 53) - 1;

// Where the app's keys (disk, env decryption, signing, TLS) come from.
enum class KeyProvider {
  kKms,    // "kms": the threshold KMS after attestation (production)
  kLocal,  // "local": derived inside the CVM from TEE-local sealing; bound to one machine
  kNone,   // "none": no app keys (stateless app: no encrypted volume, no encrypted env)
};

// How the gateway / node exposes a port of the CVM.
enum class PortProtocol {
  kHttp,  // "http": HTTP, TLS terminated by the gateway
  kTcp,   // "tcp": raw TCP stream, forwarded as is (TLS passthrough)
};

std::string_view KeyProviderName(KeyProvider k);
Result<KeyProvider> ParseKeyProvider(std::string_view s);  // "kms" | "local" | "none"
std::string_view PortProtocolName(PortProtocol p);
Result<PortProtocol> ParsePortProtocol(std::string_view s);  // "http" | "tcp"

struct ManifestPort {
  uint16_t port = 0;  // CVM-side port, 1..65535
  PortProtocol protocol = PortProtocol::kHttp;

  bool operator==(const ManifestPort&) const = default;
};

struct Manifest {
  int64_t manifest_version = kManifestVersion;
  std::string name;      // [a-z0-9][a-z0-9-]{0,62}
  uint64_t version = 1;  // 1..kMaxAppVersion; rollback protection
  std::string runner = std::string(kRunnerDockerCompose);
  std::string docker_compose_file;        // verbatim YAML text (valid UTF-8)
  std::vector<std::string> allowed_envs;  // [A-Za-z_][A-Za-z0-9_]*, unique
  std::vector<ManifestPort> ports;        // unique port numbers
  KeyProvider key_provider = KeyProvider::kKms;
  bool gateway = false;
  bool public_logs = false;

  bool operator==(const Manifest&) const = default;
};

// Checks every rule on the values (ParseManifest's value checks, shared with
// ManifestFromCompose): manifest_version == 1; name, env names, ports as documented on the
// struct; runner "docker-compose"; ValidateCompose(docker_compose_file); key_provider "none"
// with allowed_envs (nothing could decrypt them); canonical form within kMaxManifestBytes.
// Messages name the field: "manifest.ports[1].port: 8080 appears twice".
Status ValidateManifest(const Manifest& m);

// Parses and validates a manifest document. Strict: at most kMaxManifestBytes, one JSON object,
// no duplicate keys (at any level), no unknown or missing fields, exact types (integers must be
// written as integers: 1.0 is refused), then ValidateManifest. Field order and whitespace are
// free; the hash is always of the canonical form.
Result<Manifest> ParseManifest(std::string_view json);

// The manifest as a JSON object (members as in the document above).
Json ManifestToJson(const Manifest& m);

// RFC 8785 canonical JSON. Precondition: ValidateManifest(m) succeeds (a version above
// kMaxAppVersion has no exact JCS form and aborts: a bug in the caller).
std::string CanonicalManifestJson(const Manifest& m);

// SHA-256 of CanonicalManifestJson(m); same precondition.
crypto::Digest256 ManifestHash(const Manifest& m);
std::string ManifestHashHex(const Manifest& m);  // 64 lower-case hex digits, no prefix

// The app id in policy-file mode: the first 20 bytes of the manifest hash.
using AppId = std::array<uint8_t, 20>;
AppId PolicyModeAppId(const crypto::Digest256& manifest_hash);
AppId PolicyModeAppId(const Manifest& m);

// What `teecloud manifest` takes besides the compose file.
struct ManifestOptions {
  std::string name;
  uint64_t version = 1;
  std::vector<std::string> allowed_envs;
  // nullopt: derive from the compose file's published ports (see ManifestFromCompose).
  // An empty vector: the app exposes no ports.
  std::optional<std::vector<ManifestPort>> ports;
  KeyProvider key_provider = KeyProvider::kKms;
  bool gateway = false;
  bool public_logs = false;
};

// Builds a manifest around `compose_yaml` (kept verbatim). allowed_envs and ports are sorted
// (by name, by port) so the hash does not depend on the order options were given in; a name or
// port given twice is an error. Without explicit ports, every fixed published port of every
// service (InspectCompose: "8080:80" → 8080, long form `published`) becomes
// {port, "http"}; ports docker picks itself ("80") are not exposed; a published port that uses a
// variable, or a udp/sctp one, is an error asking for explicit ports. The result passes
// ValidateManifest.
Result<Manifest> ManifestFromCompose(std::string compose_yaml, const ManifestOptions& options);

}  // namespace teecloud::manifest
