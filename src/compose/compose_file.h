// The docker-compose subset that teecloud runs, parsed from YAML into plain structs.
//
// Formats: v1 (services at the top level), v2 and v3 (`services:`); the `version` key is
// informational. What is supported, refused and ignored is listed in README.md; in short:
// anything that changes what runs or where data lives and that teecloud cannot honour is an
// error; keys that only tune behaviour we do not provide (healthcheck, deploy, logging, ...) are
// accepted and reported in `warnings`, never dropped silently.
//
// `${VAR}` interpolation uses only the caller's environment names that are explicitly allowed
// (the agent passes the decrypted secrets and the manifest's allowed_envs). Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace teecloud::compose {

struct PortSpec {
  std::string host_ip;     // "" = the runner's default (UpOptions::port_host_ip)
  uint16_t host_port = 0;  // 0 = published on a port the engine picks
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp | sctp

  bool operator==(const PortSpec&) const = default;
};

enum class MountKind {
  kVolume,     // a named volume declared at the top level (source = its name)
  kAnonymous,  // "/path" alone: a volume private to the service (source empty)
  kBind,       // an absolute host path (allowed only when the runner maps it, see UpOptions)
  kTmpfs,      // memory-backed, nothing touches a disk
};

struct MountSpec {
  MountKind kind = MountKind::kVolume;
  std::string source;
  std::string target;  // absolute path inside the container
  bool read_only = false;

  bool operator==(const MountSpec&) const = default;
};

struct ServiceSpec {
  std::string name;
  std::string image;  // for `build:` without `image:`, "<project>_<service>" is decided later
  std::optional<std::string> build_context;
  std::optional<std::vector<std::string>> command;     // string forms are split like a shell
  std::optional<std::vector<std::string>> entrypoint;  // (quotes and backslashes, no expansion)
  std::map<std::string, std::string> environment;
  std::vector<PortSpec> ports;
  std::vector<MountSpec> volumes;
  std::vector<std::string> depends_on;
  std::string restart = "no";  // no | always | on-failure[:N] | unless-stopped
  std::string working_dir;
  std::string user;
  std::string hostname;
  std::map<std::string, std::string> labels;
  // Keys of `environment` whose value used a secret variable (ParseOptions::secret_env_names).
  // The runner keeps their values out of the engine's container configuration.
  std::set<std::string> secret_environment;
  bool tty = false;
  bool stdin_open = false;
  bool init = false;
  std::optional<int> stop_grace_period_seconds;
  std::string stop_signal;
};

struct VolumeDecl {
  std::string name;
};

struct ComposeFile {
  std::string version;  // as written ("3.8"), "" when absent (v1 or compose-spec)
  std::map<std::string, ServiceSpec> services;
  std::map<std::string, VolumeDecl> volumes;
  // Services in an order that starts every dependency first (ties broken by name).
  std::vector<std::string> start_order;
  // Keys accepted but not acted upon, unset variables, ... one sentence each.
  std::vector<std::string> warnings;
};

struct ParseOptions {
  // Values for ${VAR} interpolation and for `environment` entries given without a value.
  std::map<std::string, std::string> env;
  // Only these names of `env` are visible; any other name counts as unset.
  std::set<std::string> allowed_env_names;
  // Names of `env` whose values are secrets (decrypted inside the CVM). They may be used only in
  // `environment` values (right of "KEY=" in the list form) and `environment` entries given
  // without a value; anywhere else is an error that names the path and the variable, never its
  // value (x-* extension fields, which are discarded unread, may hold them, e.g. in an anchor
  // that `environment` refers to). Any reference counts, including ${S:+alt} and ${S:-d}. A
  // name that is not allowed or not in `env` counts as unset, as before. Entries that used one
  // are listed in ServiceSpec::secret_environment. Warnings and errors never quote a value.
  std::set<std::string> secret_env_names;
  // Refuses files larger than this.
  size_t max_bytes = 1 << 20;
};

// Parses and validates a compose file. Errors name the path of the offending key
// ("services.web.ports[1]: ...").
Result<ComposeFile> ParseComposeFile(std::string_view yaml, const ParseOptions& options = {});

// Compose's interpolation on one string: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, and $$ for a literal '$'.
// Names not allowed count as unset; an unset name without a default becomes "" and adds a
// warning. Exposed for tests.
Result<std::string> Interpolate(std::string_view text, const ParseOptions& options,
                                std::vector<std::string>& warnings);

// Splits a command line like a POSIX shell would split words (single quotes, double quotes,
// backslash escapes), without any expansion. Exposed for tests.
Result<std::vector<std::string>> SplitCommandLine(std::string_view text);

// Parses one short-syntax port ("80", "8080:80", "127.0.0.1:8080:80/udp", "8000-8001:80-81").
Result<std::vector<PortSpec>> ParsePortShort(std::string_view text);

// Start order over services' depends_on; the error names a cycle ("a -> b -> a").
Result<std::vector<std::string>> StartOrder(const std::map<std::string, ServiceSpec>& services);

}  // namespace teecloud::compose
