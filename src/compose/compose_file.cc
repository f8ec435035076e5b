#include "compose/compose_file.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <utility>

#include "base/json.h"
#include "base/yaml.h"

namespace teecloud::compose {

namespace {

// ---------------------------------------------------------------------------------------------
// YAML → JSON (every scalar a string, interpolated), with "<<" merge keys.

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void AddWarning(std::vector<std::string>& warnings, std::string w) {
  if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) {
    warnings.push_back(std::move(w));
  }
}

const std::string* LookupVar(const std::string& name, const ParseOptions& options) {
  if (!options.allowed_env_names.contains(name)) return nullptr;
  auto it = options.env.find(name);
  return it == options.env.end() ? nullptr : &it->second;
}

// A secret is a name in secret_env_names that is also visible (allowed and present): one that
// is unset cannot put a value anywhere.
bool IsSecret(const std::string& name, const ParseOptions& options) {
  return options.secret_env_names.contains(name) && LookupVar(name, options) != nullptr;
}

// Output text of one interpolation that depends on a secret variable: [begin, end) of the
// interpolated string. Every reference to a secret taints the whole output of its expression,
// including `${S:+alt}` and `${S:-default}` (they reveal whether S is set or empty).
struct SecretSpan {
  std::string name;
  size_t begin = 0;
  size_t end = 0;
};

void AppendSpans(std::vector<SecretSpan>* to, std::vector<SecretSpan>& from, size_t offset) {
  if (to == nullptr) return;
  for (auto& s : from)
    to->push_back(SecretSpan{std::move(s.name), s.begin + offset, s.end + offset});
}

Result<std::string> InterpolateAt(std::string_view text, const ParseOptions& options,
                                  std::vector<std::string>& warnings, int depth,
                                  std::vector<SecretSpan>* spans);

// Parses "${...}" starting after "${"; `pos` ends after the closing brace. `spans` (relative to
// the returned text) receives what depends on secrets.
Result<std::string> BracedValue(std::string_view text, size_t& pos, const ParseOptions& options,
                                std::vector<std::string>& warnings, int depth,
                                std::vector<SecretSpan>* spans, std::string& name);

Result<std::string> Braced(std::string_view text, size_t& pos, const ParseOptions& options,
                           std::vector<std::string>& warnings, int depth,
                           std::vector<SecretSpan>* spans) {
  std::string name;
  std::vector<SecretSpan> inner;
  ASSIGN_OR_RETURN(std::string out, BracedValue(text, pos, options, warnings, depth, &inner, name));
  if (IsSecret(name, options)) inner.push_back(SecretSpan{name, 0, out.size()});
  AppendSpans(spans, inner, 0);
  return out;
}

Result<std::string> BracedValue(std::string_view text, size_t& pos, const ParseOptions& options,
                                std::vector<std::string>& warnings, int depth,
                                std::vector<SecretSpan>* spans, std::string& name) {
  // Find the matching brace (defaults may nest ${...}).
  size_t level = 1, end = pos;
  for (; end < text.size(); ++end) {
    if (text[end] == '$' && end + 1 < text.size() && text[end + 1] == '$') {
      ++end;
    } else if (text[end] == '$' && end + 1 < text.size() && text[end + 1] == '{') {
      ++level;
      ++end;
    } else if (text[end] == '}' && --level == 0) {
      break;
    }
  }
  if (end >= text.size()) {
    return InvalidArgument("invalid interpolation: unterminated ${ in \"" + std::string(text) +
                           "\"");
  }
  const std::string_view inner = text.substr(pos, end - pos);
  pos = end + 1;
  size_t n = 0;
  while (n < inner.size() && IsNameChar(inner[n])) ++n;
  name = std::string(inner.substr(0, n));
  if (name.empty() || !IsNameStart(name[0])) {
    return InvalidArgument("invalid interpolation: bad variable name in ${" + std::string(inner) +
                           "}");
  }
  const std::string* value = LookupVar(name, options);
  const std::string_view rest = inner.substr(n);
  if (rest.empty()) {
    if (value) return *value;
    AddWarning(warnings,
               "variable " + name + " is not set (or not allowed); substituting an empty string");
    return std::string();
  }
  const bool colon = rest[0] == ':';
  const std::string_view op_and_word = colon ? rest.substr(1) : rest;
  if (op_and_word.empty()) {
    return InvalidArgument("invalid interpolation: ${" + std::string(inner) + "}");
  }
  const char op = op_and_word[0];
  const std::string_view word = op_and_word.substr(1);
  const bool set = value != nullptr && (!colon || !value->empty());
  switch (op) {
    case '-':
      if (set) return *value;
      return InterpolateAt(word, options, warnings, depth + 1, spans);
    case '?':
      if (set) return *value;
      return InvalidArgument("required variable " + name + " is " +
                             (value ? "empty" : "not set (or not allowed)") +
                             (word.empty() ? std::string() : ": " + std::string(word)));
    case '+':
      if (set) return InterpolateAt(word, options, warnings, depth + 1, spans);
      return std::string();
    default:
      return InvalidArgument("invalid interpolation: unknown operator in ${" + std::string(inner) +
                             "}");
  }
}

Result<std::string> InterpolateAt(std::string_view text, const ParseOptions& options,
                                  std::vector<std::string>& warnings, int depth,
                                  std::vector<SecretSpan>* spans) {
  if (depth > 8) return InvalidArgument("invalid interpolation: nested too deeply");
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) {
      return InvalidArgument("invalid interpolation: trailing '$' in \"" + std::string(text) +
                             "\" (write $$ for a literal $)");
    }
    const char next = text[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
    } else if (next == '{') {
      size_t pos = i + 2;
      std::vector<SecretSpan> inner;
      ASSIGN_OR_RETURN(std::string v, Braced(text, pos, options, warnings, depth, &inner));
      AppendSpans(spans, inner, out.size());
      out += v;
      i = pos;
    } else if (IsNameStart(next)) {
      size_t j = i + 1;
      while (j < text.size() && IsNameChar(text[j])) ++j;
      const std::string name(text.substr(i + 1, j - i - 1));
      if (const std::string* v = LookupVar(name, options)) {
        if (spans != nullptr && IsSecret(name, options)) {
          spans->push_back(SecretSpan{name, out.size(), out.size() + v->size()});
        }
        out += *v;
      } else {
        AddWarning(warnings, "variable " + name +
                                 " is not set (or not allowed); substituting an empty string");
      }
      i = j;
    } else {
      return InvalidArgument("invalid interpolation: '$' followed by '" + std::string(1, next) +
                             "' in \"" + std::string(text) + "\" (write $$ for a literal $)");
    }
  }
  return out;
}

// One scalar whose interpolated value depends on a secret.
struct SecretUse {
  // Where the value ends up in the converted tree: mapping keys, and "[i]" for list items.
  // Values merged with "<<" are recorded under the key they are merged into.
  std::vector<std::string> where;
  std::vector<SecretSpan> spans;
  size_t first_eq = std::string::npos;  // the value's first '=' (list-form environment)
};

struct ConvertState {
  const ParseOptions& options;
  std::vector<std::string>& warnings;
  std::vector<std::string> where;  // components of the node being converted
  std::vector<SecretUse> secret_uses;
};

// "services.web.command[0]" from {"services", "web", "command", "[0]"}.
std::string JoinPath(const std::vector<std::string>& where) {
  std::string out;
  for (const auto& c : where) {
    if (!out.empty() && c[0] != '[') out += '.';
    out += c;
  }
  return out;
}

Result<Json> Convert(const YAML::Node& n, ConvertState& state, const std::string& path, int depth) {
  if (depth > 32) return InvalidArgument(path + ": nesting deeper than 32");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      std::vector<SecretSpan> spans;
      auto v = InterpolateAt(n.Scalar(), state.options, state.warnings, 0, &spans);
      if (!v.has_value()) return tl::unexpected(v.error().WithContext(path));
      if (!spans.empty()) {
        state.secret_uses.push_back(SecretUse{state.where, std::move(spans), v->find('=')});
      }
      return Json(std::move(*v));
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      size_t i = 0;
      for (const auto& e : n) {
        const std::string index = "[" + std::to_string(i++) + "]";
        state.where.push_back(index);
        auto v = Convert(e, state, path + index, depth + 1);
        state.where.pop_back();
        if (!v.has_value()) return v;
        arr.push_back(std::move(*v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      Json merged = Json::object();  // from "<<": explicit keys win
      // Secret uses inside merge sources, with (occurrence of "<<", source index) each; kept
      // below only for the keys actually merged.
      const size_t level = state.where.size();
      std::vector<std::pair<std::pair<int, size_t>, SecretUse>> merge_uses;
      std::map<std::string, std::pair<int, size_t>> merged_from;
      int merge_occurrence = 0;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return InvalidArgument(path + ": non-scalar mapping key");
        const std::string key = kv.first.Scalar();
        const std::string child = path.empty() ? key : path + "." + key;
        const size_t uses_before = state.secret_uses.size();
        state.where.push_back(key);
        auto converted = Convert(kv.second, state, child, depth + 1);
        state.where.pop_back();
        if (!converted.has_value()) return converted;
        Json v = std::move(*converted);
        if (key == "<<") {
          const int occurrence = merge_occurrence++;
          std::vector<Json> sources;
          if (v.is_object())
            sources.push_back(v);
          else if (v.is_array())
            sources.assign(v.begin(), v.end());
          for (size_t si = 0; si < sources.size(); ++si) {
            const Json& src = sources[si];
            if (!src.is_object()) {
              return InvalidArgument(child + ": merge source is not a mapping");
            }
            for (auto it = src.begin(); it != src.end(); ++it) {
              if (!merged.contains(it.key())) {
                merged[it.key()] = it.value();
                merged_from[it.key()] = {occurrence, si};
              }
            }
          }
          if (!v.is_object() && !v.is_array()) {
            return InvalidArgument(child + ": merge source is not a mapping");
          }
          for (size_t u = uses_before; u < state.secret_uses.size(); ++u) {
            SecretUse use = std::move(state.secret_uses[u]);
            // {..., "<<", [("[i]",)] key, ...} → {..., key, ...}
            size_t key_at = level + 1;
            size_t source = 0;
            if (v.is_array()) {
              if (use.where.size() <= key_at) continue;
              const std::string& index = use.where[key_at];
              std::from_chars(index.data() + 1, index.data() + index.size() - 1, source);
              ++key_at;
            }
            if (use.where.size() <= key_at) continue;
            use.where.erase(use.where.begin() + level, use.where.begin() + key_at);
            merge_uses.push_back({{occurrence, source}, std::move(use)});
          }
          state.secret_uses.resize(uses_before);
          continue;
        }
        if (obj.contains(key)) return InvalidArgument(child + ": duplicate key");
        obj[key] = std::move(v);
      }
      std::set<std::string> explicit_keys;
      for (auto it = obj.begin(); it != obj.end(); ++it) explicit_keys.insert(it.key());
      for (auto it = merged.begin(); it != merged.end(); ++it) {
        if (!obj.contains(it.key())) obj[it.key()] = it.value();
      }
      for (auto& [origin, use] : merge_uses) {
        // Only merged values that made it into the mapping count; overridden ones are unused.
        const std::string& key = use.where[level];
        if (explicit_keys.contains(key) || merged_from.at(key) != origin) continue;
        state.secret_uses.push_back(std::move(use));
      }
      return obj;
    }
  }
  return InvalidArgument(path + ": unknown YAML node type");
}

// ---------------------------------------------------------------------------------------------
// Typed access to the converted tree.

std::string Path(const std::string& base, std::string_view key) {
  return base + "." + std::string(key);
}
std::string Index(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

Result<std::string> AsString(const Json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  return InvalidArgument(path + ": expected a string");
}

Result<bool> AsBool(const Json& v, const std::string& path) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  return InvalidArgument(path + ": expected true or false");
}

Result<std::vector<std::string>> AsStringList(const Json& v, const std::string& path) {
  if (!v.is_array()) return InvalidArgument(path + ": expected a list");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, AsString(v[i], Index(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<uint16_t> ParsePortNumber(std::string_view s, const std::string& what) {
  if (s.empty() || s.size() > 5)
    return InvalidArgument(what + ": invalid port '" + std::string(s) + "'");
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return InvalidArgument(what + ": invalid port '" + std::string(s) + "'");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return InvalidArgument(what + ": port out of range: " + std::string(s));
  return static_cast<uint16_t>(v);
}

// "8000" or "8000-8002" → [first, last]
Result<std::pair<uint16_t, uint16_t>> ParsePortRange(std::string_view s, const std::string& what) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    ASSIGN_OR_RETURN(uint16_t p, ParsePortNumber(s, what));
    return std::make_pair(p, p);
  }
  ASSIGN_OR_RETURN(uint16_t a, ParsePortNumber(s.substr(0, dash), what));
  ASSIGN_OR_RETURN(uint16_t b, ParsePortNumber(s.substr(dash + 1), what));
  if (b < a) return InvalidArgument(what + ": descending port range " + std::string(s));
  return std::make_pair(a, b);
}

Status CheckProtocol(const std::string& proto, const std::string& what) {
  if (proto == "tcp" || proto == "udp" || proto == "sctp") return OkStatus();
  return InvalidArgument(what + ": unknown protocol '" + proto + "' (tcp, udp or sctp)");
}

bool LooksLikeIp(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':')) return false;
  }
  return true;
}

// "10s", "1m30s", "500ms", "2" (seconds) → whole seconds, rounded up.
Result<int> ParseDurationSeconds(const std::string& s, const std::string& path) {
  if (s.empty()) return InvalidArgument(path + ": empty duration");
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return InvalidArgument(path + ": invalid duration '" + s + "'");
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data() + i, s.data() + j, value);
    if (ec != std::errc() || end != s.data() + j) {
      return InvalidArgument(path + ": invalid duration '" + s + "'");
    }
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    const std::string unit = s.substr(j, k - j);
    double scale = 0;
    if (unit.empty() || unit == "s")
      scale = 1;
    else if (unit == "ms")
      scale = 0.001;
    else if (unit == "us")
      scale = 1e-6;
    else if (unit == "m")
      scale = 60;
    else if (unit == "h")
      scale = 3600;
    else
      return InvalidArgument(path + ": unknown duration unit '" + unit + "'");
    if (unit.empty() && k != s.size())
      return InvalidArgument(path + ": invalid duration '" + s + "'");
    total += value * scale;
    any = true;
    i = k;
  }
  if (!any || total > 86400) return InvalidArgument(path + ": invalid duration '" + s + "'");
  return static_cast<int>(total + 0.999999);
}

bool ValidServiceName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

bool ValidVolumeName(const std::string& s) { return ValidServiceName(s); }

Result<std::vector<std::string>> CommandValue(const Json& v, const std::string& path) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty()) return std::vector<std::string>{""};
    auto words = SplitCommandLine(s);
    if (!words.has_value()) return tl::unexpected(words.error().WithContext(path));
    return words;
  }
  if (v.is_array()) return AsStringList(v, path);
  return InvalidArgument(path + ": expected a string or a list");
}

// "KEY=value" list or mapping → map; entries without a value come from the allowed env.
// `secret_items`: the entries (mapping keys, or "[i]" for list items) whose value used a
// secret; their keys go to `secret_keys`, as do pass-through entries of a secret variable.
Status ParseEnvironment(const Json& v, const std::string& path, const ParseOptions& options,
                        const std::set<std::string>& secret_items,
                        std::map<std::string, std::string>& out, std::set<std::string>& secret_keys,
                        std::vector<std::string>& warnings) {
  const auto assign = [&](const std::string& key, std::string value, bool secret) {
    out[key] = std::move(value);
    if (secret) {
      secret_keys.insert(key);
    } else {
      secret_keys.erase(key);  // a later plain entry replaced it
    }
  };
  const auto pass_through = [&](const std::string& key) {
    if (const std::string* val = LookupVar(key, options)) {
      assign(key, *val, IsSecret(key, options));
    } else {
      AddWarning(warnings,
                 path + ": " + key + " has no value and is not set (or not allowed); left out");
    }
  };
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key().empty()) return InvalidArgument(path + ": empty variable name");
      if (it.value().is_null()) {
        pass_through(it.key());
      } else {
        ASSIGN_OR_RETURN(std::string s, AsString(it.value(), Path(path, it.key())));
        assign(it.key(), std::move(s), secret_items.contains(it.key()));
      }
    }
    return OkStatus();
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      ASSIGN_OR_RETURN(std::string s, AsString(v[i], Index(path, i)));
      const size_t eq = s.find('=');
      if (eq == 0) return InvalidArgument(Index(path, i) + ": empty variable name");
      if (eq == std::string::npos) {
        pass_through(s);
      } else {
        assign(s.substr(0, eq), s.substr(eq + 1),
               secret_items.contains("[" + std::to_string(i) + "]"));
      }
    }
    return OkStatus();
  }
  return InvalidArgument(path + ": expected a mapping or a list of KEY=value");
}

Status ParseLabels(const Json& v, const std::string& path,
                   std::map<std::string, std::string>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.value().is_null()) {
        out[it.key()] = "";
      } else {
        ASSIGN_OR_RETURN(std::string s, AsString(it.value(), Path(path, it.key())));
        out[it.key()] = std::move(s);
      }
    }
    return OkStatus();
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      ASSIGN_OR_RETURN(std::string s, AsString(v[i], Index(path, i)));
      const size_t eq = s.find('=');
      out[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
    }
    return OkStatus();
  }
  return InvalidArgument(path + ": expected a mapping or a list of key=value");
}

Result<PortSpec> ParsePortLong(const Json& v, const std::string& path) {
  PortSpec p;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string kp = Path(path, k);
    if (it.value().is_null()) continue;
    ASSIGN_OR_RETURN(std::string s, AsString(it.value(), kp));
    if (k == "target") {
      ASSIGN_OR_RETURN(p.container_port, ParsePortNumber(s, kp));
    } else if (k == "published") {
      ASSIGN_OR_RETURN(p.host_port, ParsePortNumber(s, kp));
    } else if (k == "host_ip") {
      p.host_ip = s;
    } else if (k == "protocol") {
      p.protocol = s;
      RETURN_IF_ERROR(CheckProtocol(s, kp));
    } else if (k == "mode") {
      if (s != "host" && s != "ingress") return InvalidArgument(kp + ": expected host or ingress");
    } else if (k == "name" || k == "app_protocol") {
      // Descriptive only.
    } else {
      return InvalidArgument(kp + ": unknown port field");
    }
  }
  if (p.container_port == 0)
    return InvalidArgument(path + ": target (the container port) is required");
  return p;
}

Result<MountSpec> ParseVolumeShort(const std::string& s, const std::string& path) {
  MountSpec m;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = s.find(':', start);
    parts.push_back(
        s.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) return InvalidArgument(path + ": too many ':' in \"" + s + "\"");
  if (parts.size() == 1) {
    m.kind = MountKind::kAnonymous;
    m.target = parts[0];
  } else {
    m.source = parts[0];
    m.target = parts[1];
    if (parts.size() == 3) {
      size_t i = 0;
      const std::string& mode = parts[2];
      while (i <= mode.size()) {
        size_t comma = mode.find(',', i);
        if (comma == std::string::npos) comma = mode.size();
        const std::string opt = mode.substr(i, comma - i);
        if (opt == "ro")
          m.read_only = true;
        else if (opt == "rw" || opt == "z" || opt == "Z" || opt == "nocopy" || opt == "cached" ||
                 opt == "delegated" || opt == "consistent") {
        } else {
          return InvalidArgument(path + ": unknown volume mode '" + opt + "'");
        }
        i = comma + 1;
      }
    }
    if (m.source.empty()) return InvalidArgument(path + ": empty volume source");
    if (m.source[0] == '/') {
      m.kind = MountKind::kBind;
    } else if (m.source[0] == '.' || m.source[0] == '~') {
      return InvalidArgument(
          path + ": bind mount of the host path \"" + m.source +
          "\" is not supported: the app runs in a confidential VM where your files do not exist "
          "and host paths are outside its encrypted storage; use a named volume");
    } else {
      m.kind = MountKind::kVolume;
    }
  }
  if (m.target.empty() || m.target[0] != '/') {
    return InvalidArgument(path + ": the container path must be absolute: \"" + m.target + "\"");
  }
  return m;
}

Result<MountSpec> ParseVolumeLong(const Json& v, const std::string& path) {
  MountSpec m;
  std::string type = "volume";
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const std::string kp = Path(path, k);
    if (it.value().is_null()) continue;
    if (k == "type") {
      ASSIGN_OR_RETURN(type, AsString(it.value(), kp));
    } else if (k == "source") {
      ASSIGN_OR_RETURN(m.source, AsString(it.value(), kp));
    } else if (k == "target") {
      ASSIGN_OR_RETURN(m.target, AsString(it.value(), kp));
    } else if (k == "read_only") {
      ASSIGN_OR_RETURN(m.read_only, AsBool(it.value(), kp));
    } else if (k == "volume" || k == "bind" || k == "tmpfs" || k == "consistency") {
      // Per-type tuning (nocopy, propagation, size): nothing teecloud needs to change.
    } else {
      return InvalidArgument(kp + ": unknown volume field");
    }
  }
  if (m.target.empty() || m.target[0] != '/') {
    return InvalidArgument(path + ".target: an absolute container path is required");
  }
  if (type == "volume") {
    m.kind = m.source.empty() ? MountKind::kAnonymous : MountKind::kVolume;
  } else if (type == "tmpfs") {
    m.kind = MountKind::kTmpfs;
    m.source.clear();
  } else if (type == "bind") {
    if (m.source.empty() || m.source[0] != '/') {
      return InvalidArgument(
          path + ": bind mount of the host path \"" + m.source +
          "\" is not supported: the app runs in a confidential VM where your files do not exist "
          "and host paths are outside its encrypted storage; use a named volume");
    }
    m.kind = MountKind::kBind;
  } else {
    return InvalidArgument(path + ".type: '" + type + "' is not supported (volume, bind or tmpfs)");
  }
  return m;
}

// Keys that only tune behaviour teecloud does not provide: accepted with a warning.
const std::set<std::string>& IgnoredServiceKeys() {
  static const std::set<std::string> k = {"healthcheck",
                                          "deploy",
                                          "logging",
                                          "container_name",
                                          "links",
                                          "external_links",
                                          "profiles",
                                          "platform",
                                          "pull_policy",
                                          "expose",
                                          "domainname",
                                          "mac_address",
                                          "labels_file",
                                          "scale",
                                          "mem_limit",
                                          "mem_reservation",
                                          "memswap_limit",
                                          "cpus",
                                          "cpu_shares",
                                          "cpu_quota",
                                          "cpuset",
                                          "ulimits",
                                          "sysctls",
                                          "shm_size",
                                          "oom_score_adj",
                                          "cap_add",
                                          "cap_drop",
                                          "privileged",
                                          "security_opt",
                                          "read_only",
                                          "dns",
                                          "dns_search",
                                          "dns_opt",
                                          "extra_hosts",
                                          "group_add",
                                          "devices",
                                          "device_cgroup_rules",
                                          "runtime",
                                          "isolation",
                                          "pids_limit",
                                          "storage_opt",
                                          "annotations",
                                          "attach",
                                          "userns_mode",
                                          "cgroup_parent",
                                          "init_path",
                                          "mem_swappiness",
                                          "oom_kill_disable",
                                          "blkio_config",
                                          "cpu_count",
                                          "cpu_percent",
                                          "cpu_period",
                                          "cpu_rt_period",
                                          "cpu_rt_runtime",
                                          "credential_spec",
                                          "develop",
                                          "gpus"};
  return k;
}

std::string IgnoredNote(const std::string& key) {
  if (key == "healthcheck") return "healthchecks are not run by teecloud; ignored";
  if (key == "deploy") return "swarm deploy settings do not apply; ignored";
  if (key == "container_name") {
    return "ignored: teecloud names containers <project>_<service>_1 so apps cannot collide";
  }
  if (key == "links") return "ignored: services reach each other by service name anyway";
  if (key == "expose") return "ignored: every port is reachable inside the app's network";
  if (key == "logging") return "ignored: logs are kept by the engine and read through teecloud";
  if (key == "profiles") return "ignored: every service is started";
  return "not supported by teecloud; ignored";
}

Status ParseService(const std::string& name, const Json& v, const ParseOptions& options,
                    const std::set<std::string>& secret_env_items, ServiceSpec& s,
                    std::vector<std::string>& warnings) {
  const std::string path = "services." + name;
  if (!ValidServiceName(name)) {
    return InvalidArgument(path +
                           ": invalid service name (letters, digits, '_', '.', '-'; "
                           "starting with a letter or digit)");
  }
  if (!v.is_object()) return InvalidArgument(path + ": expected a mapping");
  s.name = name;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const Json& val = it.value();
    const std::string kp = Path(path, k);
    if (val.is_null() && k != "environment" && k != "labels") continue;
    if (k == "image") {
      ASSIGN_OR_RETURN(s.image, AsString(val, kp));
    } else if (k == "build") {
      if (val.is_string()) {
        s.build_context = val.get<std::string>();
      } else if (val.is_object()) {
        s.build_context = val.contains("context") && val["context"].is_string()
                              ? val["context"].get<std::string>()
                              : std::string(".");
      } else {
        return InvalidArgument(kp + ": expected a string or a mapping");
      }
    } else if (k == "command") {
      ASSIGN_OR_RETURN(s.command, CommandValue(val, kp));
    } else if (k == "entrypoint") {
      ASSIGN_OR_RETURN(s.entrypoint, CommandValue(val, kp));
    } else if (k == "environment") {
      if (!val.is_null())
        RETURN_IF_ERROR(ParseEnvironment(val, kp, options, secret_env_items, s.environment,
                                         s.secret_environment, warnings));
    } else if (k == "env_file") {
      return InvalidArgument(kp +
                             ": env_file is not supported: secrets reach the app encrypted "
                             "(teecloud deploy --env-file) and the agent exports them; "
                             "refer to them as ${NAME} in environment");
    } else if (k == "ports") {
      if (!val.is_array()) return InvalidArgument(kp + ": expected a list");
      for (size_t i = 0; i < val.size(); ++i) {
        const std::string ip = Index(kp, i);
        if (val[i].is_object()) {
          ASSIGN_OR_RETURN(PortSpec p, ParsePortLong(val[i], ip));
          s.ports.push_back(p);
        } else {
          ASSIGN_OR_RETURN(std::string text, AsString(val[i], ip));
          auto ports = ParsePortShort(text);
          if (!ports.has_value()) return tl::unexpected(ports.error().WithContext(ip));
          s.ports.insert(s.ports.end(), ports->begin(), ports->end());
        }
      }
    } else if (k == "volumes") {
      if (!val.is_array()) return InvalidArgument(kp + ": expected a list");
      for (size_t i = 0; i < val.size(); ++i) {
        const std::string ip = Index(kp, i);
        if (val[i].is_object()) {
          ASSIGN_OR_RETURN(MountSpec m, ParseVolumeLong(val[i], ip));
          s.volumes.push_back(m);
        } else {
          ASSIGN_OR_RETURN(std::string text, AsString(val[i], ip));
          ASSIGN_OR_RETURN(MountSpec m, ParseVolumeShort(text, ip));
          s.volumes.push_back(m);
        }
      }
    } else if (k == "tmpfs") {
      std::vector<std::string> list;
      if (val.is_string()) {
        list.push_back(val.get<std::string>());
      } else {
        ASSIGN_OR_RETURN(list, AsStringList(val, kp));
      }
      for (const auto& t : list) {
        MountSpec m;
        m.kind = MountKind::kTmpfs;
        m.target = t.substr(0, t.find(':'));
        if (m.target.empty() || m.target[0] != '/') {
          return InvalidArgument(kp + ": the container path must be absolute: \"" + t + "\"");
        }
        s.volumes.push_back(m);
      }
    } else if (k == "depends_on") {
      if (val.is_array()) {
        ASSIGN_OR_RETURN(s.depends_on, AsStringList(val, kp));
      } else if (val.is_object()) {
        for (auto d = val.begin(); d != val.end(); ++d) {
          s.depends_on.push_back(d.key());
          if (d.value().is_object() && d.value().contains("condition")) {
            const Json& cond = d.value()["condition"];
            const std::string c = cond.is_string() ? cond.get<std::string>() : "";
            if (c != "service_started") {
              AddWarning(warnings, Path(kp, d.key()) + ".condition: '" + c +
                                       "' is treated as service_started (teecloud starts "
                                       "dependencies first but does not wait on health or exit)");
            }
          }
        }
      } else {
        return InvalidArgument(kp + ": expected a list or a mapping");
      }
    } else if (k == "restart") {
      ASSIGN_OR_RETURN(std::string r, AsString(val, kp));
      if (r == "false") r = "no";  // YAML 1.1 readers turn an unquoted `no` into false
      const bool on_failure_n = r.rfind("on-failure:", 0) == 0;
      if (r != "no" && r != "always" && r != "on-failure" && r != "unless-stopped" &&
          !on_failure_n) {
        return InvalidArgument(kp + ": expected no, always, on-failure[:N] or unless-stopped");
      }
      if (on_failure_n) {
        const std::string n = r.substr(11);
        if (n.empty() || n.size() > 6 ||
            !std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); })) {
          return InvalidArgument(kp + ": on-failure:N needs a number");
        }
      }
      s.restart = r;
    } else if (k == "working_dir") {
      ASSIGN_OR_RETURN(s.working_dir, AsString(val, kp));
    } else if (k == "user") {
      ASSIGN_OR_RETURN(s.user, AsString(val, kp));
    } else if (k == "hostname") {
      ASSIGN_OR_RETURN(s.hostname, AsString(val, kp));
    } else if (k == "labels") {
      if (!val.is_null()) RETURN_IF_ERROR(ParseLabels(val, kp, s.labels));
    } else if (k == "tty") {
      ASSIGN_OR_RETURN(s.tty, AsBool(val, kp));
    } else if (k == "stdin_open") {
      ASSIGN_OR_RETURN(s.stdin_open, AsBool(val, kp));
    } else if (k == "init") {
      ASSIGN_OR_RETURN(s.init, AsBool(val, kp));
    } else if (k == "stop_grace_period") {
      ASSIGN_OR_RETURN(std::string d, AsString(val, kp));
      ASSIGN_OR_RETURN(s.stop_grace_period_seconds, ParseDurationSeconds(d, kp));
    } else if (k == "stop_signal") {
      ASSIGN_OR_RETURN(s.stop_signal, AsString(val, kp));
    } else if (k == "networks") {
      std::vector<std::string> names;
      if (val.is_array()) {
        ASSIGN_OR_RETURN(names, AsStringList(val, kp));
      } else if (val.is_object()) {
        for (auto n = val.begin(); n != val.end(); ++n) {
          names.push_back(n.key());
          if (!n.value().is_null()) {
            AddWarning(warnings, Path(kp, n.key()) +
                                     ": network settings (aliases, addresses) are ignored; the "
                                     "service is reachable by its name");
          }
        }
      } else {
        return InvalidArgument(kp + ": expected a list or a mapping");
      }
      for (const auto& n : names) {
        if (n != "default") {
          return InvalidArgument(kp + ": network '" + n +
                                 "' is not supported: each app runs on one private network "
                                 "('default'); remove the networks entries");
        }
      }
    } else if (k == "network_mode") {
      return InvalidArgument(kp +
                             ": network_mode is not supported: each app runs on its own "
                             "private network");
    } else if (k == "secrets" || k == "configs") {
      return InvalidArgument(kp + ": " + k +
                             " are not supported: secrets reach the app as "
                             "encrypted environment variables (teecloud deploy --env-file)");
    } else if (k == "extends") {
      return InvalidArgument(kp + ": extends is not supported: inline the service definition");
    } else if (k == "volumes_from") {
      return InvalidArgument(kp + ": volumes_from is not supported: share a named volume");
    } else if (k.rfind("x-", 0) == 0) {
      // Extension fields are ignored by definition.
    } else if (IgnoredServiceKeys().contains(k)) {
      AddWarning(warnings, kp + ": " + IgnoredNote(k));
    } else {
      AddWarning(warnings, kp + ": unknown key; ignored");
    }
  }
  if (s.image.empty() && !s.build_context) {
    return InvalidArgument(path + ": needs an image (or a build context)");
  }
  return OkStatus();
}

Status ParseTopVolumes(const Json& v, ComposeFile& file) {
  if (v.is_null()) return OkStatus();
  if (!v.is_object()) return InvalidArgument("volumes: expected a mapping");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string path = "volumes." + it.key();
    if (!ValidVolumeName(it.key())) return InvalidArgument(path + ": invalid volume name");
    const Json& decl = it.value();
    if (decl.is_object()) {
      for (auto f = decl.begin(); f != decl.end(); ++f) {
        if (f.key() == "external") {
          auto ext = AsBool(f.value(), Path(path, "external"));
          if (f.value().is_object() || (ext.has_value() && *ext)) {
            return InvalidArgument(path +
                                   ".external: external volumes are not supported: "
                                   "teecloud creates every volume in the app's encrypted "
                                   "storage");
          }
        } else if (f.key() == "driver" || f.key() == "driver_opts" || f.key() == "name" ||
                   f.key() == "labels") {
          AddWarning(file.warnings, Path(path, f.key()) +
                                        ": ignored; volumes live in the app's encrypted storage");
        } else if (f.key().rfind("x-", 0) != 0) {
          AddWarning(file.warnings, Path(path, f.key()) + ": unknown key; ignored");
        }
      }
    } else if (!decl.is_null()) {
      return InvalidArgument(path + ": expected a mapping or nothing");
    }
    file.volumes[it.key()] = VolumeDecl{it.key()};
  }
  return OkStatus();
}

Status ParseTopNetworks(const Json& v, ComposeFile& file) {
  if (v.is_null()) return OkStatus();
  if (!v.is_object()) return InvalidArgument("networks: expected a mapping");
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() != "default") {
      return InvalidArgument("networks." + it.key() +
                             ": only the default network is supported: each app runs on one "
                             "private network; remove this entry and the services' networks");
    }
    if (!it.value().is_null()) {
      AddWarning(file.warnings,
                 "networks.default: settings are ignored; teecloud creates the "
                 "app's network itself");
    }
  }
  return OkStatus();
}

bool Overlaps(const PortSpec& a, const PortSpec& b) {
  if (a.host_port == 0 || a.host_port != b.host_port || a.protocol != b.protocol) return false;
  const auto wildcard = [](const std::string& ip) {
    return ip.empty() || ip == "0.0.0.0" || ip == "::";
  };
  return a.host_ip == b.host_ip || wildcard(a.host_ip) || wildcard(b.host_ip);
}

Status Validate(ComposeFile& file) {
  for (const auto& [name, s] : file.services) {
    for (const auto& d : s.depends_on) {
      if (!file.services.contains(d)) {
        return InvalidArgument("services." + name + ".depends_on: unknown service '" + d + "'");
      }
    }
    for (const auto& m : s.volumes) {
      if (m.kind == MountKind::kVolume && !file.volumes.contains(m.source)) {
        return InvalidArgument("services." + name + ".volumes: named volume '" + m.source +
                               "' is not declared in the top-level volumes");
      }
    }
  }
  // Two services publishing the same host port would fail at start; say so now.
  std::vector<std::pair<std::string, PortSpec>> published;
  for (const auto& [name, s] : file.services) {
    for (const auto& p : s.ports) {
      for (const auto& [other, q] : published) {
        if (Overlaps(p, q)) {
          return InvalidArgument("services." + name + ".ports: host port " +
                                 std::to_string(p.host_port) + "/" + p.protocol +
                                 " is also published by service " + other);
        }
      }
      published.emplace_back(name, p);
    }
  }
  ASSIGN_OR_RETURN(file.start_order, StartOrder(file.services));
  return OkStatus();
}

// Secrets may feed only `environment` values; anything else that used one is refused here,
// before any other check can quote a value in an error or a warning. Returns, per service, the
// environment entries (mapping key or "[i]") whose value used a secret. Extension fields (x-*)
// are discarded unread, so a secret in an anchor defined there is fine.
Result<std::map<std::string, std::set<std::string>>> CheckSecretUses(
    const std::vector<SecretUse>& uses, const Json& root) {
  std::map<std::string, std::set<std::string>> env_items;
  const bool v1 = root.is_object() && !root.contains("services") && !root.contains("version");
  const size_t service_depth = v1 ? 1 : 2;
  for (const auto& use : uses) {
    const auto& w = use.where;
    if (w.empty() || w[0].rfind("x-", 0) == 0) continue;
    std::set<std::string> names;
    for (const auto& span : use.spans) names.insert(span.name);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    const std::string what =
        names.size() == 1 ? "the secret variable " + list : "the secret variables " + list;
    const bool in_service = w.size() > service_depth && (v1 || w[0] == "services");
    if (in_service) {
      const std::vector<std::string> rest(w.begin() + service_depth, w.end());
      if (rest[0].rfind("x-", 0) == 0) continue;
      if (rest[0] == "environment" && rest.size() == 2) {
        if (rest[1][0] == '[') {
          // "KEY=value": the secret must not reach the key (which the engine stores).
          const bool value_only =
              use.first_eq != std::string::npos &&
              std::all_of(use.spans.begin(), use.spans.end(),
                          [&](const SecretSpan& sp) { return sp.begin > use.first_eq; });
          if (!value_only) {
            return InvalidArgument(JoinPath(w) + ": " + what +
                                   " may only be used in the value of an environment entry "
                                   "(after KEY=)");
          }
        }
        env_items[w[service_depth - 1]].insert(rest[1]);
        continue;
      }
    }
    return InvalidArgument(JoinPath(w) + ": " + what +
                           " may only be used in environment values: the engine stores "
                           "everything else in plain text");
  }
  return env_items;
}

}  // namespace

Result<std::string> Interpolate(std::string_view text, const ParseOptions& options,
                                std::vector<std::string>& warnings) {
  return InterpolateAt(text, options, warnings, 0, nullptr);
}

Result<std::vector<std::string>> SplitCommandLine(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'') {
      const size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) return InvalidArgument("unterminated single quote");
      cur.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size() &&
            (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' ||
             text[i + 1] == '`' || text[i + 1] == '\n')) {
          if (text[i + 1] != '\n') cur += text[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        ++i;
      }
      if (!closed) return InvalidArgument("unterminated double quote");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return InvalidArgument("trailing backslash");
      if (text[i + 1] != '\n') {
        cur += text[i + 1];
        in_word = true;
      }
      i += 2;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      ++i;
    } else {
      cur += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

Result<std::vector<PortSpec>> ParsePortShort(std::string_view text) {
  const std::string what = "port \"" + std::string(text) + "\"";
  std::string_view body = text;
  std::string protocol = "tcp";
  if (const size_t slash = body.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(body.substr(slash + 1));
    body = body.substr(0, slash);
    RETURN_IF_ERROR(CheckProtocol(protocol, what));
  }
  std::string host_ip;
  std::string_view host, container;
  // IPv6 host addresses are bracketed: "[::1]:8080:80".
  if (!body.empty() && body[0] == '[') {
    const size_t close = body.find(']');
    if (close == std::string_view::npos || close + 1 >= body.size() || body[close + 1] != ':') {
      return InvalidArgument(what + ": malformed IPv6 address");
    }
    host_ip = std::string(body.substr(1, close - 1));
    body = body.substr(close + 2);
    const size_t colon = body.find(':');
    if (colon == std::string_view::npos)
      return InvalidArgument(what + ": expected IP:HOST:CONTAINER");
    host = body.substr(0, colon);
    container = body.substr(colon + 1);
  } else {
    const size_t last = body.rfind(':');
    if (last == std::string_view::npos) {
      container = body;
    } else {
      container = body.substr(last + 1);
      const std::string_view front = body.substr(0, last);
      const size_t first = front.rfind(':');
      if (first == std::string_view::npos) {
        host = front;
      } else {
        host_ip = std::string(front.substr(0, first));
        host = front.substr(first + 1);
        if (!LooksLikeIp(host_ip))
          return InvalidArgument(what + ": invalid host IP '" + host_ip + "'");
      }
    }
  }
  ASSIGN_OR_RETURN(auto crange, ParsePortRange(container, what));
  std::vector<PortSpec> out;
  const unsigned count = crange.second - crange.first + 1u;
  if (host.empty()) {
    for (unsigned i = 0; i < count; ++i) {
      out.push_back(PortSpec{host_ip, 0, static_cast<uint16_t>(crange.first + i), protocol});
    }
    return out;
  }
  ASSIGN_OR_RETURN(auto hrange, ParsePortRange(host, what));
  const unsigned hcount = hrange.second - hrange.first + 1u;
  if (hcount != count) {
    return InvalidArgument(what + ": host and container port ranges differ in length");
  }
  for (unsigned i = 0; i < count; ++i) {
    out.push_back(PortSpec{host_ip, static_cast<uint16_t>(hrange.first + i),
                           static_cast<uint16_t>(crange.first + i), protocol});
  }
  return out;
}

Result<std::vector<std::string>> StartOrder(const std::map<std::string, ServiceSpec>& services) {
  std::map<std::string, size_t> pending;  // unmet dependencies per service
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [name, s] : services) {
    std::set<std::string> deps(s.depends_on.begin(), s.depends_on.end());
    for (const auto& d : deps) {
      if (!services.contains(d)) {
        return InvalidArgument("services." + name + ".depends_on: unknown service '" + d + "'");
      }
      dependents[d].push_back(name);
    }
    pending[name] = deps.size();
  }
  std::set<std::string> ready;
  for (const auto& [name, n] : pending) {
    if (n == 0) ready.insert(name);
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    const std::string next = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(next);
    for (const auto& d : dependents[next]) {
      if (--pending[d] == 0) ready.insert(d);
    }
  }
  if (order.size() == services.size()) return order;

  // Name one cycle: walk unmet dependencies from a blocked service until a name repeats.
  std::set<std::string> done(order.begin(), order.end());
  std::string at;
  for (const auto& [name, n] : pending) {
    if (!done.contains(name)) {
      at = name;
      break;
    }
  }
  std::vector<std::string> walk;
  while (std::find(walk.begin(), walk.end(), at) == walk.end()) {
    walk.push_back(at);
    const auto& deps = services.at(at).depends_on;
    std::vector<std::string> blocked;
    for (const auto& d : deps) {
      if (!done.contains(d)) blocked.push_back(d);
    }
    std::sort(blocked.begin(), blocked.end());
    at = blocked.front();
  }
  std::string cycle;
  for (auto it = std::find(walk.begin(), walk.end(), at); it != walk.end(); ++it) {
    cycle += *it + " -> ";
  }
  cycle += at;
  return InvalidArgument("depends_on: dependency cycle: " + cycle);
}

Result<ComposeFile> ParseComposeFile(std::string_view yaml, const ParseOptions& options) {
  if (yaml.size() > options.max_bytes) {
    return InvalidArgument("compose file larger than " + std::to_string(options.max_bytes) +
                           " bytes");
  }
  auto node = ParseYaml(yaml);
  if (!node.has_value()) return tl::unexpected(node.error().WithContext("compose file"));
  ComposeFile file;
  Json root;
  ConvertState state{options, file.warnings, {}, {}};
  try {
    ASSIGN_OR_RETURN(root, Convert(*node, state, "", 0));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("compose file: ") + e.what());
  }
  ASSIGN_OR_RETURN(const auto secret_env_items, CheckSecretUses(state.secret_uses, root));
  if (!root.is_object())
    return InvalidArgument("compose file: expected a mapping at the top level");

  const Json* services = nullptr;
  Json v1_services = Json::object();
  if (root.contains("services")) {
    services = &root["services"];
  } else if (root.contains("version")) {
    return InvalidArgument("compose file: no services");
  } else {
    // Version 1: services at the top level.
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it.key().rfind("x-", 0) != 0) v1_services[it.key()] = it.value();
    }
    services = &v1_services;
    file.version = "1";
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& k = it.key();
    if (file.version == "1") break;
    if (k == "version") {
      if (it.value().is_string()) file.version = it.value().get<std::string>();
    } else if (k == "services") {
    } else if (k == "volumes") {
      RETURN_IF_ERROR(ParseTopVolumes(it.value(), file));
    } else if (k == "networks") {
      RETURN_IF_ERROR(ParseTopNetworks(it.value(), file));
    } else if (k == "name") {
      AddWarning(file.warnings, "name: ignored; the project name comes from the deployment");
    } else if (k == "secrets" || k == "configs") {
      return InvalidArgument(k +
                             ": not supported: secrets reach the app as encrypted "
                             "environment variables (teecloud deploy --env-file)");
    } else if (k.rfind("x-", 0) == 0) {
    } else {
      AddWarning(file.warnings, k + ": unknown top-level key; ignored");
    }
  }
  if (!services->is_object() || services->empty()) {
    return InvalidArgument("services: expected a mapping with at least one service");
  }
  for (auto it = services->begin(); it != services->end(); ++it) {
    ServiceSpec s;
    const auto items = secret_env_items.find(it.key());
    RETURN_IF_ERROR(
        ParseService(it.key(), it.value(), options,
                     items == secret_env_items.end() ? std::set<std::string>() : items->second, s,
                     file.warnings));
    file.services[it.key()] = std::move(s);
  }
  RETURN_IF_ERROR(Validate(file));
  return file;
}

}  // namespace teecloud::compose
