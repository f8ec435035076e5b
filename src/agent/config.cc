#include "agent/config.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "base/file.h"
#include "base/json.h"

namespace teecloud::agent {
namespace {

constexpr size_t kMaxConfigFileBytes = 1 << 20;

Status LoadConfigFile(const std::string& path, Config& c) {
  auto text = ReadTextFile(path, kMaxConfigFileBytes);
  if (!text) return tl::unexpected(text.error().WithContext("--config " + path));
  auto j = ParseJson(*text);
  if (!j || !j->is_object()) return InvalidArgument("--config " + path + ": not a JSON object");
  const std::string ctx = path;
  for (const auto& [key, value] : j->items()) {
    auto str = [&](std::string& out) -> Status {
      if (!value.is_string()) return InvalidArgument(ctx + ": " + key + ": expected a string");
      out = value.get<std::string>();
      return OkStatus();
    };
    if (key == "tee") {
      RETURN_IF_ERROR(str(c.tee));
    } else if (key == "sim_dir") {
      RETURN_IF_ERROR(str(c.sim_dir));
    } else if (key == "manifest") {
      RETURN_IF_ERROR(str(c.manifest_path));
    } else if (key == "app_id") {
      RETURN_IF_ERROR(str(c.app_id_hex));
    } else if (key == "key_provider") {
      RETURN_IF_ERROR(str(c.key_provider));
    } else if (key == "key_seed_file") {
      RETURN_IF_ERROR(str(c.key_seed_file));
    } else if (key == "state_dir") {
      RETURN_IF_ERROR(str(c.state_dir));
    } else if (key == "os_image_hash") {
      RETURN_IF_ERROR(str(c.os_image_hash_hex));
    } else if (key == "log_level") {
      RETURN_IF_ERROR(str(c.log_level));
    } else if (key == "engine_socket") {
      RETURN_IF_ERROR(str(c.engine_socket));
    } else if (key == "project") {
      RETURN_IF_ERROR(str(c.project));
    } else if (key == "volume_cipher_dir") {
      RETURN_IF_ERROR(str(c.volume_cipher_dir));
    } else if (key == "volume_mount_dir") {
      RETURN_IF_ERROR(str(c.volume_mount_dir));
    } else if (key == "port_host_ip") {
      RETURN_IF_ERROR(str(c.port_host_ip));
    } else if (key == "sealed_env") {
      RETURN_IF_ERROR(str(c.sealed_env_path));
    } else if (key == "envexec") {
      RETURN_IF_ERROR(str(c.envexec_path));
    } else if (key == "stop_timeout_seconds") {
      if (!value.is_number_integer()) {
        return InvalidArgument(ctx + ": stop_timeout_seconds: expected an integer");
      }
      c.stop_timeout_seconds = value.get<int>();
    } else if (key == "port_maps") {
      if (!value.is_array()) return InvalidArgument(ctx + ": port_maps: expected an array");
      c.port_maps.clear();
      for (const auto& s : value) {
        if (!s.is_string()) return InvalidArgument(ctx + ": port_maps: expected strings");
        c.port_maps.push_back(s.get<std::string>());
      }
    } else if (key == "max_body_bytes") {
      if (!value.is_number_unsigned()) {
        return InvalidArgument(ctx + ": max_body_bytes: expected a positive integer");
      }
      c.max_body_bytes = value.get<size_t>();
    } else if (key == "sockets") {
      if (!value.is_array()) return InvalidArgument(ctx + ": sockets: expected an array");
      c.sockets.clear();
      for (const auto& s : value) {
        if (!s.is_string()) return InvalidArgument(ctx + ": sockets: expected strings");
        c.sockets.push_back(s.get<std::string>());
      }
    } else {
      return InvalidArgument(ctx + ": unknown field \"" + key + "\"");
    }
  }
  return OkStatus();
}

bool IsDirectory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string Config::EffectiveKeySeedFile() const {
  return key_seed_file.empty() ? state_dir + "/local-key-seed" : key_seed_file;
}

Result<ParsedFlags> ParseFlags(int argc, const char* const* argv) {
  ParsedFlags out;
  Config& c = out.config;
  CLI::App app(
      "teecloud-agent: the in-CVM agent. Measures the app into RTMR3, obtains its keys and serves "
      "the dstack-compatible API (AGENT_API.md) on unix sockets.",
      "teecloud-agent");
  std::string config_file;
  Config flags;  // flag values, applied over the file's
  std::vector<std::string> sockets;
  app.add_option("--config", config_file, "JSON config file (flags override it)");
  app.add_option("--tee", flags.tee, "TEE backend: sim or tdx")
      ->check(CLI::IsMember({"sim", "tdx"}));
  app.add_option("--sim-dir", flags.sim_dir, "simulation directory (teecloud sim init DIR)");
  app.add_option("--socket", sockets,
                 "unix socket to serve on (repeatable; default /var/run/dstack.sock and "
                 "/var/run/teecloud.sock)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--manifest", flags.manifest_path, "app manifest (teecloud manifest ... -o FILE)");
  app.add_option("--app-id", flags.app_id_hex,
                 "app id, 20 bytes hex (default: first 20 bytes of the manifest hash)");
  app.add_option("--key-provider", flags.key_provider, "where app keys come from: local")
      ->check(CLI::IsMember({"local", "kms"}));
  app.add_option("--key-seed-file", flags.key_seed_file,
                 "local key provider seed (32 bytes or 64 hex digits, mode 0600; DEVELOPMENT "
                 "ONLY). Default: STATE_DIR/local-key-seed, created on first boot");
  app.add_option("--state-dir", flags.state_dir,
                 "per-CVM state (instance seed); default /var/lib/teecloud-agent");
  app.add_option("--os-image-hash", flags.os_image_hash_hex, "OS image hash to report (hex)");
  app.add_option("--max-body-bytes", flags.max_body_bytes, "largest accepted request body");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  std::vector<std::string> port_maps;
  app.add_option("--engine-socket", flags.engine_socket,
                 "container engine (Docker Engine API) unix socket; runs the manifest's compose "
                 "services. Without it the agent only serves its API");
  app.add_option("--project", flags.project,
                 "compose project name (default tc-<first 12 hex digits of the app id>)");
  app.add_option("--volume-cipher-dir", flags.volume_cipher_dir,
                 "encrypted volume storage (gocryptfs cipher directory); with --volume-mount-dir");
  app.add_option("--volume-mount-dir", flags.volume_mount_dir,
                 "where the agent mounts the decrypted view of --volume-cipher-dir");
  app.add_option("--port-map", port_maps,
                 "CVM:HOST[/udp]: publish the compose file's port CVM on host port HOST "
                 "(repeatable; none given = nothing published)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--port-host-ip", flags.port_host_ip, "host address for published ports");
  app.add_option("--sealed-env", flags.sealed_env_path,
                 "the deployment's encrypted secrets (teecloud deploy --env-file)");
  app.add_option("--envexec", flags.envexec_path,
                 "teecloud-envexec binary (hands secrets to services)");
  app.add_option("--stop-timeout", flags.stop_timeout_seconds,
                 "seconds services get to stop on shutdown (default 10)");
  out.help_text = app.help();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.help = true;
    return out;
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(e.what());
  }

  if (!config_file.empty()) RETURN_IF_ERROR(LoadConfigFile(config_file, c));
  auto given = [&](const char* name) { return app.count(name) > 0; };
  if (given("--tee")) c.tee = flags.tee;
  if (given("--sim-dir")) c.sim_dir = flags.sim_dir;
  if (given("--socket")) c.sockets = sockets;
  if (given("--manifest")) c.manifest_path = flags.manifest_path;
  if (given("--app-id")) c.app_id_hex = flags.app_id_hex;
  if (given("--key-provider")) c.key_provider = flags.key_provider;
  if (given("--key-seed-file")) c.key_seed_file = flags.key_seed_file;
  if (given("--state-dir")) c.state_dir = flags.state_dir;
  if (given("--os-image-hash")) c.os_image_hash_hex = flags.os_image_hash_hex;
  if (given("--max-body-bytes")) c.max_body_bytes = flags.max_body_bytes;
  if (given("--log-level")) c.log_level = flags.log_level;
  if (given("--engine-socket")) c.engine_socket = flags.engine_socket;
  if (given("--project")) c.project = flags.project;
  if (given("--volume-cipher-dir")) c.volume_cipher_dir = flags.volume_cipher_dir;
  if (given("--volume-mount-dir")) c.volume_mount_dir = flags.volume_mount_dir;
  if (given("--port-map")) c.port_maps = port_maps;
  if (given("--port-host-ip")) c.port_host_ip = flags.port_host_ip;
  if (given("--sealed-env")) c.sealed_env_path = flags.sealed_env_path;
  if (given("--envexec")) c.envexec_path = flags.envexec_path;
  if (given("--stop-timeout")) c.stop_timeout_seconds = flags.stop_timeout_seconds;
  return out;
}

Status ValidateConfig(const Config& c) {
  if (c.tee != "sim" && c.tee != "tdx") return InvalidArgument("--tee must be sim or tdx");
  if (c.tee == "sim") {
    if (c.sim_dir.empty()) return InvalidArgument("--tee sim needs --sim-dir DIR");
    if (!IsDirectory(c.sim_dir)) {
      return InvalidArgument("--sim-dir " + c.sim_dir +
                             ": no such directory (create one with `teecloud sim init DIR`)");
    }
  }
  if (c.manifest_path.empty()) return InvalidArgument("--manifest FILE is required");
  if (!IsRegularFile(c.manifest_path)) {
    return InvalidArgument("--manifest " + c.manifest_path + ": no such file");
  }
  if (!c.app_id_hex.empty()) {
    auto id = FromHex(c.app_id_hex);
    if (!id || id->size() != 20) return InvalidArgument("--app-id must be 20 bytes of hex");
  }
  if (c.key_provider == "kms") {
    return InvalidArgument("--key-provider kms is not available yet; use local (development)");
  }
  if (c.key_provider != "local") return InvalidArgument("--key-provider must be local");
  if (!c.key_seed_file.empty() && !IsRegularFile(c.key_seed_file)) {
    return InvalidArgument("--key-seed-file " + c.key_seed_file +
                           ": no such file (create one: head -c 32 /dev/urandom > FILE && "
                           "chmod 600 FILE)");
  }
  if (c.state_dir.empty()) return InvalidArgument("--state-dir must not be empty");
  if (c.sockets.empty()) return InvalidArgument("at least one --socket is required");
  if (!c.os_image_hash_hex.empty()) {
    auto h = FromHex(c.os_image_hash_hex);
    if (!h || h->size() != 32) return InvalidArgument("--os-image-hash must be 32 bytes of hex");
  }
  if (c.max_body_bytes < 1024 || c.max_body_bytes > (size_t{64} << 20)) {
    return InvalidArgument("--max-body-bytes must be between 1 KiB and 64 MiB");
  }
  if (c.volume_cipher_dir.empty() != c.volume_mount_dir.empty()) {
    return InvalidArgument("--volume-cipher-dir and --volume-mount-dir go together");
  }
  if (c.engine_socket.empty()) {
    const std::pair<const char*, bool> needs_engine[] = {
        {"--volume-cipher-dir", !c.volume_cipher_dir.empty()},
        {"--port-map", !c.port_maps.empty()},
        {"--sealed-env", !c.sealed_env_path.empty()},
        {"--project", !c.project.empty()},
    };
    for (const auto& [flag, set] : needs_engine) {
      if (set) return InvalidArgument(std::string(flag) + " needs --engine-socket");
    }
  }
  for (const auto& m : c.port_maps) RETURN_IF_ERROR(ParsePortMap(m));
  if (!c.sealed_env_path.empty() && !IsRegularFile(c.sealed_env_path)) {
    return InvalidArgument("--sealed-env " + c.sealed_env_path + ": no such file");
  }
  if (c.stop_timeout_seconds < 0 || c.stop_timeout_seconds > 3600) {
    return InvalidArgument("--stop-timeout must be between 0 and 3600 seconds");
  }
  return OkStatus();
}

std::string Describe(const Config& c) {
  std::ostringstream s;
  s << "tee: " << c.tee << (c.tee == "sim" ? " (sim dir " + c.sim_dir + ")" : "") << "\n";
  s << "manifest: " << c.manifest_path << "\n";
  s << "app id: " << (c.app_id_hex.empty() ? "(from the manifest hash)" : c.app_id_hex) << "\n";
  s << "key provider: " << c.key_provider;
  if (c.key_provider == "local") s << " (seed file " << c.EffectiveKeySeedFile() << ")";
  s << "\nstate dir: " << c.state_dir << "\nserve on:";
  for (const auto& p : c.sockets) s << " " << p;
  s << "\n";
  if (!c.engine_socket.empty()) {
    s << "engine: " << c.engine_socket << (c.project.empty() ? "" : " (project " + c.project + ")")
      << "\n";
    s << "volumes: "
      << (c.volume_cipher_dir.empty() ? std::string("engine volumes")
                                      : "gocryptfs " + c.volume_cipher_dir + " at " +
                                            c.volume_mount_dir)
      << "\nports:";
    if (c.port_maps.empty()) s << " none published";
    for (const auto& m : c.port_maps) s << " " << m;
    s << "\nsecrets: " << (c.sealed_env_path.empty() ? "none" : c.sealed_env_path) << "\n";
  }
  return s.str();
}

Result<PortMap> ParsePortMap(std::string_view text) {
  const std::string ctx = "--port-map " + std::string(text);
  PortMap m;
  std::string_view rest = text;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    m.protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (m.protocol != "tcp" && m.protocol != "udp") {
      return InvalidArgument(ctx + ": protocol must be tcp or udp");
    }
  }
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return InvalidArgument(ctx + ": expected CVM:HOST");
  auto port = [&](std::string_view s, uint16_t& out) -> Status {
    unsigned v = 0;
    if (s.empty() || s.size() > 5) return InvalidArgument(ctx + ": ports are 1..65535");
    for (char ch : s) {
      if (ch < '0' || ch > '9') return InvalidArgument(ctx + ": ports are 1..65535");
      v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    if (v == 0 || v > 65535) return InvalidArgument(ctx + ": ports are 1..65535");
    out = static_cast<uint16_t>(v);
    return OkStatus();
  };
  RETURN_IF_ERROR(port(rest.substr(0, colon), m.cvm_port));
  RETURN_IF_ERROR(port(rest.substr(colon + 1), m.host_port));
  return m;
}

}  // namespace teecloud::agent
