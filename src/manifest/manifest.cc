#include "manifest/manifest.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/bytes.h"
#include "base/jcs.h"

namespace teecloud::manifest {

namespace {

constexpr char kCtx[] = "manifest";
// manifest → ports → port object; anything deeper is refused before it is built.
constexpr size_t kMaxJsonDepth = 4;

constexpr std::string_view kFields[] = {
    "manifest_version", "name",  "version",      "runner",  "docker_compose_file",
    "allowed_envs",     "ports", "key_provider", "gateway", "public_logs",
};

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsValidAppName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsLowerAlnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool IsValidEnvName(std::string_view s) {
  auto start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (s.empty() || !start(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

// Quoted for messages: printable ASCII as is, anything else as \xNN, long values cut.
std::string Quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 64) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out + "\"";
}

// nlohmann keeps the last of duplicate keys silently; a manifest with two "name" members would
// mean different things to different readers, so a SAX pass refuses them. Runs on text that
// ParseJson already accepted (so it never sees a syntax error or deep nesting).
class DuplicateKeyFinder {
 public:
  using Sax = nlohmann::json_sax<Json>;

  bool null() { return Value(); }
  bool boolean(bool) { return Value(); }
  bool number_integer(Json::number_integer_t) { return Value(); }
  bool number_unsigned(Json::number_unsigned_t) { return Value(); }
  bool number_float(Json::number_float_t, const Json::string_t&) { return Value(); }
  bool string(Json::string_t&) { return Value(); }
  bool binary(Json::binary_t&) { return Value(); }
  bool start_object(std::size_t) {
    Value();
    frames_.push_back(Frame{true, {}, {}, 0});
    return true;
  }
  bool key(Json::string_t& k) {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) {
      duplicate_ = Path() + ": duplicate key " + Quoted(k);
      return false;
    }
    f.current_key = k;
    return true;
  }
  bool end_object() {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    Value();
    frames_.push_back(Frame{false, {}, {}, 0});
    return true;
  }
  bool end_array() {
    frames_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string current_key;
    size_t next_index;
  };

  // Advances the array index of the enclosing frame (objects track their key instead).
  bool Value() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().next_index;
    return true;
  }

  std::string Path() const {
    std::string p = kCtx;
    // The innermost frame is the object holding the duplicate: the path ends before its key.
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.object) {
        p += "." + f.current_key;
      } else {
        p += "[" + std::to_string(f.next_index - 1) + "]";
      }
    }
    return p;
  }

  std::vector<Frame> frames_;
  std::string duplicate_;
};

Status CheckNoDuplicateKeys(std::string_view json) {
  DuplicateKeyFinder finder;
  const bool ok = Json::sax_parse(json.begin(), json.end(), &finder, Json::input_format_t::json,
                                  /*strict=*/true);
  if (!ok && !finder.duplicate().empty()) return InvalidArgument(finder.duplicate());
  if (!ok) return InvalidArgument("manifest: malformed JSON");
  return OkStatus();
}

std::string Field(std::string_view name) { return std::string(kCtx) + "." + std::string(name); }

Result<std::string> StringField(const Json& j, std::string_view key) {
  return JsonString(j, key, kCtx);
}

Result<std::vector<std::string>> StringArray(const Json& j, std::string_view key) {
  ASSIGN_OR_RETURN(const Json* arr, JsonArray(j, key, kCtx));
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& e = (*arr)[i];
    if (!e.is_string()) {
      return InvalidArgument(Field(key) + "[" + std::to_string(i) + "]: expected a string");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::vector<ManifestPort>> PortArray(const Json& j) {
  ASSIGN_OR_RETURN(const Json* arr, JsonArray(j, "ports", kCtx));
  std::vector<ManifestPort> out;
  out.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string ctx = Field("ports") + "[" + std::to_string(i) + "]";
    const Json& e = (*arr)[i];
    if (!e.is_object()) return InvalidArgument(ctx + ": expected an object {port, protocol}");
    for (const auto& [k, v] : e.items()) {
      if (k != "port" && k != "protocol") {
        return InvalidArgument(ctx + ": unknown field " + Quoted(k) +
                               " (a port has exactly `port` and `protocol`)");
      }
    }
    ASSIGN_OR_RETURN(int64_t port, JsonInt(e, "port", ctx));
    if (port < 1 || port > 65535) {
      return InvalidArgument(ctx + ".port: must be 1..65535 (got " + std::to_string(port) + ")");
    }
    ASSIGN_OR_RETURN(std::string protocol, JsonString(e, "protocol", ctx));
    auto p = ParsePortProtocol(protocol);
    if (!p) return InvalidArgument(ctx + ".protocol: " + p.error().message);
    out.push_back(ManifestPort{static_cast<uint16_t>(port), *p});
  }
  return out;
}

}  // namespace

std::string_view KeyProviderName(KeyProvider k) {
  switch (k) {
    case KeyProvider::kKms:
      return "kms";
    case KeyProvider::kLocal:
      return "local";
    case KeyProvider::kNone:
      return "none";
  }
  return "unknown";
}

Result<KeyProvider> ParseKeyProvider(std::string_view s) {
  if (s == "kms") return KeyProvider::kKms;
  if (s == "local") return KeyProvider::kLocal;
  if (s == "none") return KeyProvider::kNone;
  return InvalidArgument("must be \"kms\", \"local\" or \"none\" (got " + Quoted(s) + ")");
}

std::string_view PortProtocolName(PortProtocol p) {
  switch (p) {
    case PortProtocol::kHttp:
      return "http";
    case PortProtocol::kTcp:
      return "tcp";
  }
  return "unknown";
}

Result<PortProtocol> ParsePortProtocol(std::string_view s) {
  if (s == "http") return PortProtocol::kHttp;
  if (s == "tcp") return PortProtocol::kTcp;
  return InvalidArgument("must be \"http\" or \"tcp\" (got " + Quoted(s) + ")");
}

Status ValidateManifest(const Manifest& m) {
  if (m.manifest_version != kManifestVersion) {
    return InvalidArgument(Field("manifest_version") + ": unsupported version " +
                           std::to_string(m.manifest_version) + " (this teecloud reads 1)");
  }
  if (!IsValidAppName(m.name)) {
    return InvalidArgument(Field("name") + ": " + Quoted(m.name) +
                           " is not a valid app name: use 1-63 lower-case letters, digits and "
                           "'-', starting with a letter or digit");
  }
  if (m.version < 1 || m.version > kMaxAppVersion) {
    return InvalidArgument(Field("version") + ": must be a positive integer at most 2^53-1 (got " +
                           std::to_string(m.version) + ")");
  }
  if (m.runner != kRunnerDockerCompose) {
    return InvalidArgument(Field("runner") + ": must be \"docker-compose\" (got " +
                           Quoted(m.runner) + ")");
  }
  if (auto s = ValidateCompose(m.docker_compose_file); !s) {
    return InvalidArgument(Field("docker_compose_file") + ": " + s.error().message);
  }
  std::set<std::string_view> envs;
  for (size_t i = 0; i < m.allowed_envs.size(); ++i) {
    const std::string& e = m.allowed_envs[i];
    const std::string ctx = Field("allowed_envs") + "[" + std::to_string(i) + "]";
    if (!IsValidEnvName(e)) {
      return InvalidArgument(ctx + ": " + Quoted(e) +
                             " is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (!envs.insert(e).second) return InvalidArgument(ctx + ": " + Quoted(e) + " appears twice");
  }
  std::set<uint16_t> ports;
  for (size_t i = 0; i < m.ports.size(); ++i) {
    const std::string ctx = Field("ports") + "[" + std::to_string(i) + "].port";
    const uint16_t p = m.ports[i].port;
    if (p == 0) return InvalidArgument(ctx + ": must be 1..65535 (got 0)");
    if (!ports.insert(p).second) {
      return InvalidArgument(ctx + ": " + std::to_string(p) + " appears twice");
    }
    if (m.ports[i].protocol != PortProtocol::kHttp && m.ports[i].protocol != PortProtocol::kTcp) {
      return InvalidArgument(Field("ports") + "[" + std::to_string(i) +
                             "].protocol: unknown protocol");
    }
  }
  if (m.key_provider != KeyProvider::kKms && m.key_provider != KeyProvider::kLocal &&
      m.key_provider != KeyProvider::kNone) {
    return InvalidArgument(Field("key_provider") + ": unknown key provider");
  }
  if (m.key_provider == KeyProvider::kNone && !m.allowed_envs.empty()) {
    return InvalidArgument(Field("allowed_envs") +
                           ": must be empty when key_provider is \"none\" (encrypted environment "
                           "variables need an app key to decrypt them)");
  }
  const size_t size = CanonicalManifestJson(m).size();
  if (size > kMaxManifestBytes) {
    return InvalidArgument(std::string(kCtx) + ": canonical form is " + std::to_string(size) +
                           " bytes, more than " + std::to_string(kMaxManifestBytes));
  }
  return OkStatus();
}

Result<Manifest> ParseManifest(std::string_view json) {
  if (json.size() > kMaxManifestBytes) {
    return InvalidArgument(std::string(kCtx) + ": larger than " +
                           std::to_string(kMaxManifestBytes) + " bytes");
  }
  auto parsed = ParseJson(json, kMaxJsonDepth);
  if (!parsed) return InvalidArgument(std::string(kCtx) + ": " + parsed.error().message);
  RETURN_IF_ERROR(CheckNoDuplicateKeys(json));
  const Json& j = *parsed;
  if (!j.is_object()) return InvalidArgument(std::string(kCtx) + ": expected a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), k) == std::end(kFields)) {
      return InvalidArgument(std::string(kCtx) + ": unknown field " + Quoted(k));
    }
  }
  Manifest m;
  ASSIGN_OR_RETURN(m.manifest_version, JsonInt(j, "manifest_version", kCtx));
  ASSIGN_OR_RETURN(m.name, StringField(j, "name"));
  ASSIGN_OR_RETURN(int64_t version, JsonInt(j, "version", kCtx));
  if (version < 1) {
    return InvalidArgument(Field("version") + ": must be a positive integer (got " +
                           std::to_string(version) + ")");
  }
  m.version = static_cast<uint64_t>(version);
  ASSIGN_OR_RETURN(m.runner, StringField(j, "runner"));
  ASSIGN_OR_RETURN(m.docker_compose_file, StringField(j, "docker_compose_file"));
  ASSIGN_OR_RETURN(m.allowed_envs, StringArray(j, "allowed_envs"));
  ASSIGN_OR_RETURN(m.ports, PortArray(j));
  ASSIGN_OR_RETURN(std::string key_provider, StringField(j, "key_provider"));
  auto kp = ParseKeyProvider(key_provider);
  if (!kp) return InvalidArgument(Field("key_provider") + ": " + kp.error().message);
  m.key_provider = *kp;
  ASSIGN_OR_RETURN(m.gateway, JsonBool(j, "gateway", kCtx));
  ASSIGN_OR_RETURN(m.public_logs, JsonBool(j, "public_logs", kCtx));
  RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

Json ManifestToJson(const Manifest& m) {
  Json ports = Json::array();
  for (const ManifestPort& p : m.ports) {
    ports.push_back(Json{{"port", p.port}, {"protocol", PortProtocolName(p.protocol)}});
  }
  return Json{
      {"manifest_version", m.manifest_version},
      {"name", m.name},
      {"version", m.version},
      {"runner", m.runner},
      {"docker_compose_file", m.docker_compose_file},
      {"allowed_envs", m.allowed_envs},
      {"ports", std::move(ports)},
      {"key_provider", KeyProviderName(m.key_provider)},
      {"gateway", m.gateway},
      {"public_logs", m.public_logs},
  };
}

std::string CanonicalManifestJson(const Manifest& m) {
  auto canonical = CanonicalizeJson(ManifestToJson(m));
  TEECLOUD_CHECK(canonical.has_value());
  return std::move(*canonical);
}

crypto::Digest256 ManifestHash(const Manifest& m) {
  return crypto::Sha256(AsBytes(CanonicalManifestJson(m)));
}

std::string ManifestHashHex(const Manifest& m) { return ToHex(crypto::View(ManifestHash(m))); }

AppId PolicyModeAppId(const crypto::Digest256& manifest_hash) {
  AppId id;
  std::copy_n(manifest_hash.begin(), id.size(), id.begin());
  return id;
}

AppId PolicyModeAppId(const Manifest& m) { return PolicyModeAppId(ManifestHash(m)); }

Result<Manifest> ManifestFromCompose(std::string compose_yaml, const ManifestOptions& options) {
  Manifest m;
  m.name = options.name;
  m.version = options.version;
  m.key_provider = options.key_provider;
  m.gateway = options.gateway;
  m.public_logs = options.public_logs;

  m.allowed_envs = options.allowed_envs;
  std::sort(m.allowed_envs.begin(), m.allowed_envs.end());
  if (auto dup = std::adjacent_find(m.allowed_envs.begin(), m.allowed_envs.end());
      dup != m.allowed_envs.end()) {
    return InvalidArgument(Field("allowed_envs") + ": " + Quoted(*dup) + " given twice");
  }

  if (auto s = ValidateCompose(compose_yaml); !s) {
    return InvalidArgument(Field("docker_compose_file") + ": " + s.error().message);
  }
  if (options.ports) {
    m.ports = *options.ports;
  } else {
    auto info = InspectCompose(compose_yaml);
    if (!info) {
      return InvalidArgument(Field("docker_compose_file") + ": " + info.error().message);
    }
    for (const ComposeService& service : info->services) {
      for (const ComposePort& p : service.ports) {
        const std::string where = "services." + service.name + ".ports " + Quoted(p.spec);
        if (p.interpolated) {
          return InvalidArgument("cannot derive the manifest ports: " + where +
                                 " uses a variable; give the ports explicitly");
        }
        if (p.published == 0) continue;  // docker picks the port: nothing fixed to expose
        if (p.protocol != "tcp") {
          return InvalidArgument("cannot derive the manifest ports: " + where + " is " +
                                 p.protocol +
                                 " (only http and tcp are supported); give the "
                                 "ports explicitly");
        }
        m.ports.push_back(ManifestPort{p.published, PortProtocol::kHttp});
      }
    }
  }
  std::sort(m.ports.begin(), m.ports.end(),
            [](const ManifestPort& a, const ManifestPort& b) { return a.port < b.port; });
  for (size_t i = 1; i < m.ports.size(); ++i) {
    if (m.ports[i].port == m.ports[i - 1].port) {
      return InvalidArgument(Field("ports") + ": port " + std::to_string(m.ports[i].port) +
                             " given twice");
    }
  }
  m.docker_compose_file = std::move(compose_yaml);
  RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

}  // namespace teecloud::manifest
