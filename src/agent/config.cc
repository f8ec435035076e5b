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
  return s.str();
}

}  // namespace teecloud::agent
