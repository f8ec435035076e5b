#include "manifest/compose.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <utility>

#include "base/yaml.h"

namespace teecloud::manifest {

namespace {

constexpr int kMaxYamlDepth = 64;
constexpr size_t kMaxYamlNodes = 200000;
constexpr size_t kMaxPortEntries = 4096;
// `<<` merge chains followed when looking up a service's image/build.
constexpr int kMaxMergeDepth = 8;

bool IsBlankOrComment(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  return i == std::string_view::npos || line[i] == '#';
}

// "---" or "..." at column 0 followed by end of line or whitespace (YAML 1.2 §9.1.4: inside any
// scalar such a line is forbidden, so it always separates documents).
bool IsMarker(std::string_view line, std::string_view marker) {
  return line.starts_with(marker) && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
}

// yaml-cpp's Load reads the first document and drops the rest, while newer docker compose
// merges every document of a file; a second document would make the verifier and the runtime see
// different apps, so it is refused.
Status CheckSingleDocument(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  bool content = false;  // the first document has started (non-comment content or a marker)
  bool ended = false;    // "..." seen after it
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (IsMarker(line, "---")) {
      if (content) {
        return InvalidArgument("yaml: line " + std::to_string(line_no) +
                               ": a second YAML document ('---'); a compose file must be one "
                               "document");
      }
      content = true;
    } else if (IsMarker(line, "...")) {
      ended = true;
    } else if (IsBlankOrComment(line)) {
      continue;
    } else if (!content && line.starts_with('%')) {
      continue;  // directive (%YAML, %TAG) before the first document
    } else {
      if (ended) {
        return InvalidArgument("yaml: line " + std::to_string(line_no) +
                               ": content after the end of the YAML document ('...')");
      }
      content = true;
    }
  }
  return OkStatus();
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// $VAR, ${VAR}, ${VAR:-x}, ${VAR-x}, ${VAR:?x}, ${VAR?x}, ${VAR:+x}, ${VAR+x}; "$$" is a literal
// dollar. Scanning resumes right after each name, so nested defaults ("${A:-${B}}") count too.
void CollectVariables(std::string_view s, std::set<std::string>& out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) continue;
    if (s[i + 1] == '$') {
      ++i;
      continue;
    }
    size_t start = i + 1;
    if (s[start] == '{') ++start;
    if (start >= s.size() || !IsNameStart(s[start])) continue;
    size_t end = start + 1;
    while (end < s.size() && IsNameChar(s[end])) ++end;
    out.emplace(s.substr(start, end - start));
    i = end - 1;
  }
}

// Walks every node once per path (aliases are followed, so a budget bounds alias bombs and a
// depth cap ends alias cycles), rejecting duplicate and non-scalar mapping keys.
class YamlWalker {
 public:
  explicit YamlWalker(std::set<std::string>* variables) : variables_(variables) {}

  Status Walk(const YAML::Node& node, int depth, std::string& path) {
    if (++visited_ > kMaxYamlNodes) {
      return InvalidArgument("yaml: more than " + std::to_string(kMaxYamlNodes) +
                             " nodes (after expanding aliases)");
    }
    if (depth > kMaxYamlDepth) {
      return InvalidArgument("yaml: " + Where(path) + "nesting deeper than " +
                             std::to_string(kMaxYamlDepth) + " (or an alias cycle)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        if (variables_ != nullptr) CollectVariables(node.Scalar(), *variables_);
        return OkStatus();
      case YAML::NodeType::Sequence: {
        size_t index = 0;
        for (const auto& item : node) {
          const size_t mark = path.size();
          path += "[" + std::to_string(index++) + "]";
          RETURN_IF_ERROR(Walk(item, depth + 1, path));
          path.resize(mark);
        }
        return OkStatus();
      }
      case YAML::NodeType::Map: {
        std::set<std::string> keys;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return InvalidArgument("yaml: " + Where(path) + "a mapping key that is not a string");
          }
          const std::string& key = kv.first.Scalar();
          if (!keys.insert(key).second) {
            return InvalidArgument("yaml: " + Where(path) + "duplicate key \"" + key + "\"");
          }
          const size_t mark = path.size();
          if (!path.empty()) path += '.';
          path += key;
          RETURN_IF_ERROR(Walk(kv.second, depth + 1, path));
          path.resize(mark);
        }
        return OkStatus();
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return OkStatus();
    }
    return OkStatus();
  }

 private:
  static std::string Where(const std::string& path) { return path.empty() ? "" : path + ": "; }

  std::set<std::string>* variables_;
  size_t visited_ = 0;
};

// Looks `key` up in a mapping, following `<<` merge keys (yaml-cpp does not apply them).
std::optional<YAML::Node> Lookup(const YAML::Node& map, std::string_view key, int depth = 0) {
  if (!map.IsMap() || depth > kMaxMergeDepth) return std::nullopt;
  std::optional<YAML::Node> merge;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    if (kv.first.Scalar() == key) return YAML::Node(kv.second);
    if (kv.first.Scalar() == "<<") merge = YAML::Node(kv.second);
  }
  if (!merge) return std::nullopt;
  if (merge->IsMap()) return Lookup(*merge, key, depth + 1);
  if (merge->IsSequence()) {
    for (const auto& m : *merge) {
      if (auto found = Lookup(m, key, depth + 1)) return found;
    }
  }
  return std::nullopt;
}

struct ParsedCompose {
  YAML::Node root;
  YAML::Node services;
  std::set<std::string> variables;
};

Result<ParsedCompose> ParseCompose(std::string_view yaml, bool collect_variables) {
  if (yaml.size() > kMaxComposeBytes) {
    return InvalidArgument("larger than " + std::to_string(kMaxComposeBytes) + " bytes");
  }
  if (!IsValidUtf8(yaml)) return InvalidArgument("not valid UTF-8");
  RETURN_IF_ERROR(CheckSingleDocument(yaml));
  ParsedCompose out;
  ASSIGN_OR_RETURN(out.root, ParseYaml(yaml));
  std::string path;
  YamlWalker walker(collect_variables ? &out.variables : nullptr);
  RETURN_IF_ERROR(walker.Walk(out.root, 0, path));
  if (!out.root.IsMap()) {
    return InvalidArgument("the top level must be a mapping with a `services` key");
  }
  std::optional<YAML::Node> services = Lookup(out.root, "services");
  if (!services) return InvalidArgument("services: missing (a compose file needs `services:`)");
  if (!services->IsMap() || services->size() == 0) {
    return InvalidArgument("services: must be a non-empty mapping of service name to service");
  }
  for (const auto& kv : *services) {
    const std::string where = "services." + kv.first.Scalar();
    if (!kv.second.IsMap()) return InvalidArgument(where + ": must be a mapping");
    std::optional<YAML::Node> image = Lookup(kv.second, "image");
    std::optional<YAML::Node> build = Lookup(kv.second, "build");
    if (image && !(image->IsScalar() && !image->Scalar().empty())) {
      return InvalidArgument(where + ".image: must be a non-empty string");
    }
    if (build && !build->IsScalar() && !build->IsMap()) {
      return InvalidArgument(where + ".build: must be a path or a mapping");
    }
    if (!image && !build) return InvalidArgument(where + ": needs `image` or `build`");
  }
  out.services = *services;
  return out;
}

// A decimal port 0..65535 (no sign, no spaces, at most 5 digits).
std::optional<uint16_t> ParsePortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  size_t size() const { return size_t{last} - first + 1; }
};

std::optional<PortRange> ParsePortRange(std::string_view s) {
  size_t dash = s.find('-');
  auto first = ParsePortNumber(s.substr(0, dash));
  if (!first) return std::nullopt;
  if (dash == std::string_view::npos) return PortRange{*first, *first};
  auto last = ParsePortNumber(s.substr(dash + 1));
  if (!last || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

bool IsKnownProtocol(std::string_view p) { return p == "tcp" || p == "udp" || p == "sctp"; }

// Appends the entries of one `ports:` item whose host side is `host` (empty: not published on
// a fixed port) and container side is `container`.
Status ExpandPorts(const std::string& where, const std::string& spec, std::string host_ip,
                   std::string_view host, std::string_view container, std::string protocol,
                   std::vector<ComposePort>& out) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(where + ": \"" + spec + "\": " + why);
  };
  if (!IsKnownProtocol(protocol)) return bad("protocol must be tcp, udp or sctp");
  std::optional<PortRange> target = ParsePortRange(container);
  if (!target || target->first == 0) return bad("container port must be 1..65535 or a range");
  std::optional<PortRange> published;
  if (!host.empty()) {
    published = ParsePortRange(host);
    if (!published) return bad("published port must be 0..65535 or a range");
  }
  if (published && published->size() != target->size() &&
      !(target->size() == 1 && published->size() > 1)) {
    return bad("published and container port ranges differ in length");
  }
  if (out.size() + target->size() > kMaxPortEntries) {
    return InvalidArgument(where + ": more than " + std::to_string(kMaxPortEntries) + " ports");
  }
  for (size_t i = 0; i < target->size(); ++i) {
    ComposePort p;
    p.spec = spec;
    p.host_ip = host_ip;
    p.protocol = protocol;
    p.target = static_cast<uint16_t>(target->first + i);
    // A published range for a single container port lets docker pick one: not fixed.
    if (published && published->size() == target->size()) {
      p.published = static_cast<uint16_t>(published->first + i);
    }
    out.push_back(std::move(p));
  }
  return OkStatus();
}

// Short syntax: [[IP:](HOST|RANGE):](PORT|RANGE)[/PROTOCOL]; IPv6 as "[::1]:80:80" or "::1:80:80".
Status ParseShortPort(const std::string& where, const std::string& spec,
                      std::vector<ComposePort>& out) {
  std::string_view s = spec;
  std::string protocol = "tcp";
  if (size_t slash = s.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(s.substr(slash + 1));
    s = s.substr(0, slash);
  }
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return ExpandPorts(where, spec, "", "", s, protocol, out);
  std::string_view container = s.substr(colon + 1);
  std::string_view host_part = s.substr(0, colon);
  std::string_view host_ip, host;
  if (host_part.starts_with('[')) {
    size_t close = host_part.find(']');
    if (close == std::string_view::npos || close + 1 >= host_part.size() ||
        host_part[close + 1] != ':') {
      return InvalidArgument(where + ": \"" + spec + "\": malformed [IPv6] address");
    }
    host_ip = host_part.substr(1, close - 1);
    host = host_part.substr(close + 2);
  } else if (size_t c2 = host_part.rfind(':'); c2 != std::string_view::npos) {
    host_ip = host_part.substr(0, c2);
    host = host_part.substr(c2 + 1);
  } else {
    host = host_part;
    if (host.empty()) return InvalidArgument(where + ": \"" + spec + "\": empty published port");
  }
  return ExpandPorts(where, spec, std::string(host_ip), host, container, protocol, out);
}

Status ParseLongPort(const std::string& where, const YAML::Node& entry,
                     std::vector<ComposePort>& out) {
  auto scalar = [&](std::string_view key) -> Result<std::optional<std::string>> {
    std::optional<YAML::Node> v = Lookup(entry, key);
    if (!v || v->IsNull()) return std::optional<std::string>();
    if (!v->IsScalar())
      return InvalidArgument(where + "." + std::string(key) + ": expected a scalar");
    return std::optional<std::string>(v->Scalar());
  };
  ASSIGN_OR_RETURN(std::optional<std::string> target, scalar("target"));
  ASSIGN_OR_RETURN(std::optional<std::string> published, scalar("published"));
  ASSIGN_OR_RETURN(std::optional<std::string> host_ip, scalar("host_ip"));
  ASSIGN_OR_RETURN(std::optional<std::string> protocol, scalar("protocol"));
  if (!target) return InvalidArgument(where + ".target: missing");
  std::string spec = "target=" + *target;
  if (published) spec += " published=" + *published;
  if (host_ip) spec += " host_ip=" + *host_ip;
  if (protocol) spec += " protocol=" + *protocol;
  const std::string& p = protocol ? *protocol : std::string("tcp");
  const bool interpolated = target->find('$') != std::string::npos ||
                            (published && published->find('$') != std::string::npos) ||
                            p.find('$') != std::string::npos;
  if (interpolated) {
    out.push_back(ComposePort{spec, host_ip.value_or(""), 0, 0, p, true});
    return OkStatus();
  }
  if (target->find('-') != std::string::npos) {
    return InvalidArgument(where + ": \"" + spec + "\": target must be a single port");
  }
  return ExpandPorts(where, spec, host_ip.value_or(""), published.value_or(""), *target, p, out);
}

Status ParseServicePorts(const std::string& service, const YAML::Node& ports,
                         std::vector<ComposePort>& out) {
  const std::string where = "services." + service + ".ports";
  if (ports.IsNull()) return OkStatus();
  if (!ports.IsSequence()) return InvalidArgument(where + ": expected a list");
  size_t index = 0;
  for (const auto& entry : ports) {
    const std::string at = where + "[" + std::to_string(index++) + "]";
    if (entry.IsScalar()) {
      const std::string& spec = entry.Scalar();
      if (spec.find('$') != std::string::npos) {
        ComposePort p;
        p.spec = spec;
        p.interpolated = true;
        out.push_back(std::move(p));
        continue;
      }
      RETURN_IF_ERROR(ParseShortPort(at, spec, out));
    } else if (entry.IsMap()) {
      RETURN_IF_ERROR(ParseLongPort(at, entry, out));
    } else {
      return InvalidArgument(at + ": expected \"HOST:CONTAINER\" or a mapping");
    }
    if (out.size() > kMaxPortEntries) {
      return InvalidArgument(where + ": more than " + std::to_string(kMaxPortEntries) + " ports");
    }
  }
  return OkStatus();
}

}  // namespace


Status ValidateCompose(std::string_view yaml) {
  RETURN_IF_ERROR(ParseCompose(yaml, /*collect_variables=*/false));
  return OkStatus();
}

Result<ComposeInfo> InspectCompose(std::string_view yaml) {
  ASSIGN_OR_RETURN(ParsedCompose parsed, ParseCompose(yaml, /*collect_variables=*/true));
  ComposeInfo info;
  size_t port_count = 0;
  for (const auto& kv : parsed.services) {
    ComposeService service;
    service.name = kv.first.Scalar();
    if (auto image = Lookup(kv.second, "image")) service.image = image->Scalar();
    service.build = Lookup(kv.second, "build").has_value();
    if (auto ports = Lookup(kv.second, "ports")) {
      RETURN_IF_ERROR(ParseServicePorts(service.name, *ports, service.ports));
    }
    port_count += service.ports.size();
    if (port_count > kMaxPortEntries) {
      return InvalidArgument("services: more than " + std::to_string(kMaxPortEntries) + " ports");
    }
    info.services.push_back(std::move(service));
  }
  if (auto volumes = Lookup(parsed.root, "volumes")) {
    if (!volumes->IsNull() && !volumes->IsMap()) {
      return InvalidArgument("volumes: must be a mapping of volume name to options");
    }
    for (const auto& kv : *volumes) info.named_volumes.push_back(kv.first.Scalar());
  }
  info.env_vars.assign(parsed.variables.begin(), parsed.variables.end());
  return info;
}

}  // namespace teecloud::manifest
