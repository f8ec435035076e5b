// teecloud-agent's configuration: one struct, loaded from an optional JSON file (--config) and
// overridden by flags, validated before anything starts. Holds paths only, no secrets, so
// Describe() may print all of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace teecloud::agent {

struct Config {
  std::string tee = "sim";  // "sim" | "tdx"
  std::string sim_dir;      // --tee sim: made by `teecloud sim init DIR`
  std::vector<std::string> sockets = {"/var/run/dstack.sock", "/var/run/teecloud.sock"};
  std::string manifest_path;
  std::string app_id_hex;  // "" = policy-file mode (manifest hash[0..20])
  std::string key_provider = "local";
  // Local provider seed; "" = <state_dir>/local-key-seed, created on first use.
  std::string key_seed_file;
  std::string state_dir = "/var/lib/teecloud-agent";
  std::string os_image_hash_hex;  // reported in /Info; "" when unknown
  size_t max_body_bytes = size_t{1} << 20;
  std::string log_level = "info";  // spdlog level name

  // Running the app (app_runner.h). Without an engine socket the agent only serves its API.
  std::string engine_socket;  // Docker Engine API unix socket
  std::string project;        // compose project name; "" = "tc-" + the app id's first 12 hex
  // gocryptfs volume storage (container backend): cipher dir on the host disk, plaintext view
  // mounted by the agent. Both or neither; neither = engine volumes (a CVM's encrypted disk).
  std::string volume_cipher_dir;
  std::string volume_mount_dir;
  // "CVM:HOST[/proto]": publish the compose file's port CVM on host port HOST. When none is
  // given, no port is published on the host.
  std::vector<std::string> port_maps;
  std::string port_host_ip = "127.0.0.1";
  std::string sealed_env_path;  // the deployment's sealed secrets (ciphertext), "" = none
  std::string envexec_path;     // teecloud-envexec, needed when services get secrets
  int stop_timeout_seconds = 10;

  // The seed file actually used (key_seed_file or its default).
  std::string EffectiveKeySeedFile() const;
};

struct ParsedFlags {
  Config config;
  bool help = false;      // --help: print help_text, exit 0
  std::string help_text;  // usage, for --help and for errors
};

// Parses argv (CLI11). Flags: --config FILE (JSON object with the field names of Config:
// tee, sim_dir, sockets, manifest, app_id, key_provider, key_seed_file, state_dir,
// os_image_hash, max_body_bytes, log_level), then --tee, --sim-dir, --socket (repeatable; given
// sockets replace the defaults), --manifest, --app-id, --key-provider, --key-seed-file,
// --state-dir, --os-image-hash, --max-body-bytes, --log-level. Errors are kInvalidArgument.
Result<ParsedFlags> ParseFlags(int argc, const char* const* argv);

// Checks values and that the named files exist (sim dir, manifest, an explicit seed file).
Status ValidateConfig(const Config& config);

// Multi-line human summary.
std::string Describe(const Config& config);

// One --port-map value: "CVM:HOST[/tcp|udp]".
struct PortMap {
  uint16_t cvm_port = 0;
  uint16_t host_port = 0;
  std::string protocol = "tcp";
};
Result<PortMap> ParsePortMap(std::string_view text);

}  // namespace teecloud::agent
