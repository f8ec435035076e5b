// docker-compose files as teecloud sees them: validated (for the manifest) and inspected (for
// the node and the CLI). Compose files are used as they are (ARCHITECTURE.md "Compatibility
// targets"): both the docker-compose v1 era layout (`version: "3.8"` + `services:`) and the
// Compose Specification (no `version:`) are accepted; top-level keys other than `services` and
// `volumes` are not interpreted.
//
// Pure functions over untrusted text: no I/O, never abort, bounded in time and memory
// (size cap, node budget against alias bombs, depth cap against alias cycles).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/utf8.h"  // IsValidUtf8, used by the compose and manifest checks

namespace teecloud::manifest {

inline constexpr size_t kMaxComposeBytes = size_t{1} << 20;

// Checks that `yaml` is a compose file teecloud can run and a verifier can read unambiguously:
//  - at most kMaxComposeBytes, valid UTF-8, exactly one YAML document (a second document would
//    be ignored by yaml-cpp but merged by newer docker compose);
//  - valid YAML (errors carry yaml-cpp's line and column), no duplicate mapping keys, no
//    non-scalar keys, nesting ≤ 64, ≤ 200000 nodes after alias expansion;
//  - the top level is a mapping whose `services` is a non-empty mapping, and every service is a
//    mapping with `image` (non-empty string) or `build` (directly or through a `<<` merge key).
// Messages name the offending key: "services.web: needs `image` or `build`".
Status ValidateCompose(std::string_view yaml);

// One entry of a service's `ports:`, short ("8080:80/udp", "127.0.0.1:8080:80", "80") or long
// ({target, published, host_ip, protocol}) syntax. Ranges ("8000-8001:80-81") are expanded
// into one entry per port.
struct ComposePort {
  std::string spec;        // the entry as written (long form: "target=80 published=8080 ...")
  std::string host_ip;     // "" = all interfaces
  uint16_t published = 0;  // port on the CVM side; 0 = not fixed (docker picks one) or unresolved
  uint16_t target = 0;     // container port; 0 only when `interpolated`
  std::string protocol = "tcp";  // "tcp", "udp" or "sctp"
  bool interpolated = false;     // uses ${VAR}: left unresolved, published = target = 0

  bool operator==(const ComposePort&) const = default;
};

struct ComposeService {
  std::string name;
  std::string image;   // "" when the service only has `build`
  bool build = false;  // has a `build` section
  std::vector<ComposePort> ports;

  bool operator==(const ComposeService&) const = default;
};

struct ComposeInfo {
  std::vector<ComposeService> services;    // document order
  std::vector<std::string> named_volumes;  // keys of the top-level `volumes:`, document order
  // Variables the file interpolates ($VAR, ${VAR}, ${VAR:-default}, ...; `$$` is a literal $),
  // from every value (not keys or comments). Sorted, unique.
  std::vector<std::string> env_vars;
};

// ValidateCompose, then extracts the above. Also rejects port entries docker compose would
// reject (bad numbers, port 0 as a container port, mismatched ranges, unknown protocols) and more
// than 4096 expanded port entries.
Result<ComposeInfo> InspectCompose(std::string_view yaml);

}  // namespace teecloud::manifest
