// teecloud manifest: build an app manifest from a compose file; `manifest hash` / `manifest show`
// read one back. See src/manifest/README.md.
#include <charconv>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "manifest/compose.h"
#include "manifest/manifest.h"

namespace teecloud::cli {

namespace {

namespace mf = ::teecloud::manifest;

struct BuildFlags {
  std::string compose_path;
  std::string name;
  std::string version;
  std::vector<std::string> allowed_envs;
  std::vector<std::string> ports;
  bool no_ports = false;
  std::string key_provider = "kms";
  bool gateway = false;
  bool public_logs = false;
  std::string output;
  bool json = false;
};

struct ReadFlags {
  std::string path;
  bool json = false;
};

std::string AppIdHex(const crypto::Digest256& hash) {
  const mf::AppId id = mf::PolicyModeAppId(hash);
  return "0x" + ToHex(ByteView(id.data(), id.size()));
}

// Library messages name manifest fields ("manifest.name: ..."); on the command line the user
// fixes a flag or the compose file, so name that instead.
std::string ForCommandLine(const std::string& message, const std::string& compose_path) {
  constexpr std::string_view kPrefix = "manifest.";
  if (message.starts_with("cannot derive the manifest ports")) {
    return message + " (--port PORT[/http|tcp], repeatable; or --no-ports)";
  }
  if (!message.starts_with(kPrefix)) return message;
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return message;
  const size_t end = message.find_first_of("[.:", kPrefix.size());
  const std::string field = message.substr(kPrefix.size(), end - kPrefix.size());
  const std::string rest = message.substr(colon + 2);
  if (field == "docker_compose_file") return compose_path + ": " + rest;
  static const std::pair<std::string_view, std::string_view> kFlags[] = {
      {"name", "--name"},  {"version", "--version"},           {"allowed_envs", "--allowed-env"},
      {"ports", "--port"}, {"key_provider", "--key-provider"},
  };
  for (const auto& [f, flag] : kFlags) {
    if (field == f) return std::string(flag) + ": " + rest;
  }
  return message;
}

Result<uint64_t> ParseVersionFlag(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < 1 ||
      v > mf::kMaxAppVersion) {
    return InvalidArgument("--version: \"" + s + "\" is not a positive integer (1..2^53-1)");
  }
  return v;
}

// PORT[/PROTO], PROTO http (default) or tcp.
Result<mf::ManifestPort> ParsePortFlag(const std::string& s) {
  const size_t slash = s.find('/');
  const std::string number = s.substr(0, slash);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (number.empty() || ec != std::errc() || p != number.data() + number.size() || v < 1 ||
      v > 65535) {
    return InvalidArgument("--port: \"" + s + "\": expected PORT[/PROTO] with PORT 1..65535");
  }
  mf::ManifestPort port{static_cast<uint16_t>(v), mf::PortProtocol::kHttp};
  if (slash != std::string::npos) {
    auto proto = mf::ParsePortProtocol(s.substr(slash + 1));
    if (!proto) return InvalidArgument("--port: \"" + s + "\": protocol " + proto.error().message);
    port.protocol = *proto;
  }
  return port;
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

int RunBuild(const BuildFlags& f, const CliIo& io) {
  auto usage = [&](const std::string& message) {
    io.err << "teecloud manifest: " << message << "\n";
    return kExitUsage;
  };
  if (f.compose_path.empty()) {
    return usage(
        "--compose FILE is required (or: teecloud manifest hash FILE / manifest show FILE)");
  }
  if (f.name.empty()) return usage("--name NAME is required (1-63 of a-z, 0-9, '-')");
  if (f.output.empty()) return usage("-o FILE is required (where to write the manifest)");

  mf::ManifestOptions options;
  options.name = f.name;
  if (!f.version.empty()) {
    auto v = ParseVersionFlag(f.version);
    if (!v) return usage(v.error().message);
    options.version = *v;
  }
  options.allowed_envs = f.allowed_envs;
  if (f.no_ports) {
    options.ports.emplace();
  } else if (!f.ports.empty()) {
    options.ports.emplace();
    for (const std::string& s : f.ports) {
      auto port = ParsePortFlag(s);
      if (!port) return usage(port.error().message);
      options.ports->push_back(*port);
    }
  }
  auto key_provider = mf::ParseKeyProvider(f.key_provider);
  if (!key_provider) return usage("--key-provider: " + key_provider.error().message);
  options.key_provider = *key_provider;
  options.gateway = f.gateway;
  options.public_logs = f.public_logs;

  if (SameFile(f.output, f.compose_path)) {
    return usage("-o " + f.output + " is the compose file; choose another output path");
  }
  auto compose = ReadTextFile(f.compose_path, mf::kMaxComposeBytes);
  if (!compose) return usage("--compose: " + compose.error().message);

  auto manifest = mf::ManifestFromCompose(*compose, options);
  if (!manifest) return usage(ForCommandLine(manifest.error().message, f.compose_path));

  // Variables the compose file interpolates but the manifest does not let in are never passed
  // to the app; worth a note, not an error (compose falls back to a default or "").
  if (auto info = mf::InspectCompose(*compose)) {
    const std::set<std::string> allowed(manifest->allowed_envs.begin(),
                                        manifest->allowed_envs.end());
    for (const std::string& var : info->env_vars) {
      if (!allowed.contains(var)) {
        io.err << "note: " << f.compose_path << " uses ${" << var
               << "}, which is not an --allowed-env: the app will not receive it (compose "
                  "falls back to its default or \"\")\n";
      }
    }
  }

  const std::string canonical = mf::CanonicalManifestJson(*manifest);
  // No trailing newline: the file's SHA-256 is the manifest hash.
  if (auto s = WriteFileAtomic(f.output, AsBytes(canonical), 0644); !s) {
    return usage("-o: " + s.error().message);
  }
  const crypto::Digest256 hash = crypto::Sha256(AsBytes(canonical));
  if (f.json) {
    OrderedJson j;
    j["manifest_hash"] = ToHex(crypto::View(hash));
    j["app_id_policy_mode"] = AppIdHex(hash);
    j["path"] = f.output;
    io.out << DumpJson(j, 2) << "\n";
  } else {
    io.out << "manifest_hash: " << ToHex(crypto::View(hash)) << "\n"
           << "app_id_policy_mode: " << AppIdHex(hash) << "\n";
  }
  return kExitOk;
}

struct LoadedManifest {
  mf::Manifest manifest;
  std::string text;
  crypto::Digest256 hash;
};

// Reads and validates FILE. Exit 2 when it cannot be read; 1 when it is not a valid manifest.
std::optional<int> Load(const std::string& command, const std::string& path, const CliIo& io,
                        LoadedManifest& out) {
  // One byte over the limit so that an oversized file is reported by ParseManifest as invalid.
  auto text = ReadTextFile(path, mf::kMaxManifestBytes + 1);
  if (!text) {
    io.err << "teecloud manifest " << command << ": " << text.error().message << "\n";
    return kExitUsage;
  }
  auto m = mf::ParseManifest(*text);
  if (!m) {
    io.err << "teecloud manifest " << command << ": " << path << ": " << m.error().message << "\n";
    return kExitRejected;
  }
  out.manifest = std::move(*m);
  out.text = std::move(*text);
  out.hash = mf::ManifestHash(out.manifest);
  return std::nullopt;
}

int RunHash(const ReadFlags& f, const CliIo& io) {
  LoadedManifest l;
  if (auto code = Load("hash", f.path, io, l)) return *code;
  const bool canonical = l.text == mf::CanonicalManifestJson(l.manifest);
  if (f.json) {
    OrderedJson j;
    j["manifest_hash"] = ToHex(crypto::View(l.hash));
    j["app_id_policy_mode"] = AppIdHex(l.hash);
    j["path"] = f.path;
    j["canonical"] = canonical;
    io.out << DumpJson(j, 2) << "\n";
  } else {
    io.out << "manifest_hash: " << ToHex(crypto::View(l.hash)) << "\n";
  }
  if (!canonical && !f.json) {
    io.err << "note: " << f.path
           << " is not in canonical (RFC 8785) form; the hash is that of its canonical form, "
              "not of the file's bytes\n";
  }
  return kExitOk;
}

int RunShow(const ReadFlags& f, const CliIo& io) {
  LoadedManifest l;
  if (auto code = Load("show", f.path, io, l)) return *code;
  const mf::Manifest& m = l.manifest;
  if (f.json) {
    OrderedJson j;
    j["manifest_hash"] = ToHex(crypto::View(l.hash));
    j["app_id_policy_mode"] = AppIdHex(l.hash);
    j["path"] = f.path;
    j["manifest"] = OrderedJson::parse(DumpJson(mf::ManifestToJson(m)));
    io.out << DumpJson(j, 2) << "\n";
    return kExitOk;
  }
  auto list = [](const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s.empty() ? std::string("(none)") : s;
  };
  std::vector<std::string> ports;
  for (const auto& p : m.ports) {
    ports.push_back(std::to_string(p.port) + "/" + std::string(mf::PortProtocolName(p.protocol)));
  }
  io.out << "name:                " << m.name << "\n"
         << "version:             " << m.version << "\n"
         << "runner:              " << m.runner << "\n"
         << "key_provider:        " << mf::KeyProviderName(m.key_provider) << "\n"
         << "gateway:             " << (m.gateway ? "true" : "false") << "\n"
         << "public_logs:         " << (m.public_logs ? "true" : "false") << "\n"
         << "allowed_envs:        " << list(m.allowed_envs) << "\n"
         << "ports:               " << list(ports) << "\n";
  if (auto info = mf::InspectCompose(m.docker_compose_file)) {
    std::vector<std::string> services;
    for (const auto& s : info->services) {
      services.push_back(s.name + " (" + (s.image.empty() ? std::string("build") : s.image) + ")");
    }
    io.out << "services:            " << list(services) << "\n"
           << "volumes:             " << list(info->named_volumes) << "\n";
  }
  io.out << "manifest_hash:       " << ToHex(crypto::View(l.hash)) << "\n"
         << "app_id_policy_mode:  " << AppIdHex(l.hash) << "\n"
         << "docker_compose_file:\n"
         << m.docker_compose_file;
  if (!m.docker_compose_file.ends_with('\n')) io.out << "\n";
  return kExitOk;
}

}  // namespace

void AddManifestCommands(CommandTable& table) {
  auto build = std::make_shared<BuildFlags>();
  auto hash = std::make_shared<ReadFlags>();
  auto show = std::make_shared<ReadFlags>();

  CLI::App* m = table.root().add_subcommand(
      "manifest",
      "Build the app manifest from a compose file and print its hash; or, with `hash` / `show`, "
      "read one back");
  // Options build a manifest; a subcommand reads one. Both forms parse, and RunBuild checks its
  // own required flags so `manifest hash FILE` does not need --compose.
  m->require_subcommand(0, 1);
  const char* group = "Build a manifest";
  CLI::Option* compose =
      m->add_option("--compose", build->compose_path, "docker-compose.yml to embed verbatim")
          ->group(group);
  CLI::Option* name =
      m->add_option("--name", build->name, "App name: 1-63 of a-z, 0-9, '-'")->group(group);
  CLI::Option* version =
      m->add_option("--version", build->version, "App version, a positive integer (default 1)")
          ->group(group);
  CLI::Option* env = m->add_option("--allowed-env", build->allowed_envs,
                                   "Name of an environment variable the app may receive "
                                   "(repeatable)")
                         ->group(group)
                         ->allow_extra_args(false);
  CLI::Option* port = m->add_option("--port", build->ports,
                                    "Exposed CVM port PORT[/PROTO], PROTO http (default) or tcp "
                                    "(repeatable; default: the compose file's published ports)")
                          ->group(group)
                          ->allow_extra_args(false);
  CLI::Option* no_ports =
      m->add_flag("--no-ports", build->no_ports, "Expose no ports")->group(group)->excludes(port);
  CLI::Option* key_provider =
      m->add_option("--key-provider", build->key_provider,
                    "Where app keys come from: kms (default), local or none")
          ->group(group);
  CLI::Option* gateway =
      m->add_flag("--gateway", build->gateway, "Route the app through the gateway")->group(group);
  CLI::Option* public_logs =
      m->add_flag("--public-logs", build->public_logs, "Let anyone read the app's logs")
          ->group(group);
  CLI::Option* output =
      m->add_option("-o,--output", build->output,
                    "Where to write the manifest (canonical JSON: its SHA-256 is the hash)")
          ->group(group);
  CLI::Option* json = m->add_flag("--json", build->json, "Print one JSON object")->group(group);
  const std::vector<CLI::Option*> build_options = {compose,     name,     version,      env,
                                                   port,        no_ports, key_provider, gateway,
                                                   public_logs, output,   json};

  CLI::App* h = m->add_subcommand("hash", "Validate a manifest file and print its hash");
  h->add_option("FILE", hash->path, "Manifest JSON")->required();
  h->add_flag("--json", hash->json, "Print one JSON object");

  CLI::App* s = m->add_subcommand("show", "Validate a manifest file and print its fields");
  s->add_option("FILE", show->path, "Manifest JSON")->required();
  s->add_flag("--json", show->json, "Print one JSON object");

  const CliIo io = table.io();
  auto mixed = [build_options, io](const char* sub) -> std::optional<int> {
    for (const CLI::Option* o : build_options) {
      if (o->count() > 0) {
        io.err << "teecloud manifest " << sub << ": " << o->get_name()
               << " belongs to `teecloud manifest` (building), not to `manifest " << sub << "`\n";
        return kExitUsage;
      }
    }
    return std::nullopt;
  };
  // Subcommands first: Dispatch runs the first parsed leaf, and `manifest` is parsed too.
  table.Handle(h, [hash, mixed, io] {
    if (auto code = mixed("hash")) return *code;
    return RunHash(*hash, io);
  });
  table.Handle(s, [show, mixed, io] {
    if (auto code = mixed("show")) return *code;
    return RunShow(*show, io);
  });
  table.Handle(m, [build, io] { return RunBuild(*build, io); });
}

}  // namespace teecloud::cli
