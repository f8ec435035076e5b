#include "node/cvm.h"

#include <array>
#include <charconv>
#include <set>
#include <utility>

namespace teecloud::node {

namespace {

template <typename E, size_t N>
Result<E> ParseEnum(std::string_view s, const std::array<std::pair<E, std::string_view>, N>& names,
                    std::string_view what) {
  for (const auto& [value, name] : names) {
    if (name == s) return value;
  }
  std::string allowed;
  for (const auto& [value, name] : names) {
    if (!allowed.empty()) allowed += ", ";
    allowed += name;
  }
  return InvalidArgument(std::string(what) + ": unknown value '" + std::string(s) +
                         "' (expected one of " + allowed + ")");
}

template <typename E, size_t N>
std::string_view EnumName(E v, const std::array<std::pair<E, std::string_view>, N>& names) {
  for (const auto& [value, name] : names) {
    if (value == v) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<DesiredState, std::string_view>, 4> kDesiredNames{{
    {DesiredState::kRunning, "running"},
    {DesiredState::kStopped, "stopped"},
    {DesiredState::kRemoved, "removed"},
    {DesiredState::kPurged, "purged"},
}};

constexpr std::array<std::pair<CvmStatus, std::string_view>, 9> kStatusNames{{
    {CvmStatus::kCreating, "creating"},
    {CvmStatus::kStarting, "starting"},
    {CvmStatus::kRunning, "running"},
    {CvmStatus::kStopping, "stopping"},
    {CvmStatus::kStopped, "stopped"},
    {CvmStatus::kExited, "exited"},
    {CvmStatus::kFailed, "failed"},
    {CvmStatus::kRemoving, "removing"},
    {CvmStatus::kRemoved, "removed"},
}};

constexpr std::array<std::pair<RestartPolicy, std::string_view>, 3> kPolicyNames{{
    {RestartPolicy::kAlways, "always"},
    {RestartPolicy::kOnFailure, "on-failure"},
    {RestartPolicy::kNever, "no"},
}};

Result<uint16_t> ParsePortNumber(std::string_view s, std::string_view what) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535) {
    return InvalidArgument(std::string(what) + ": '" + std::string(s) +
                           "' is not a port number (1..65535)");
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

std::string_view DesiredStateName(DesiredState s) { return EnumName(s, kDesiredNames); }
Result<DesiredState> ParseDesiredState(std::string_view s) {
  return ParseEnum(s, kDesiredNames, "desired state");
}
std::string_view CvmStatusName(CvmStatus s) { return EnumName(s, kStatusNames); }
Result<CvmStatus> ParseCvmStatus(std::string_view s) {
  return ParseEnum(s, kStatusNames, "status");
}
std::string_view RestartPolicyName(RestartPolicy p) { return EnumName(p, kPolicyNames); }
Result<RestartPolicy> ParseRestartPolicy(std::string_view s) {
  return ParseEnum(s, kPolicyNames, "restart_policy");
}

const std::vector<CvmStatus>& AllCvmStatuses() {
  static const std::vector<CvmStatus> all = [] {
    std::vector<CvmStatus> v;
    for (const auto& [value, name] : kStatusNames) v.push_back(value);
    return v;
  }();
  return all;
}

Json PortsToJson(const std::vector<PortMapping>& ports) {
  Json arr = Json::array();
  for (const auto& p : ports) {
    arr.push_back({{"host", p.host_port}, {"cvm", p.cvm_port}, {"protocol", p.protocol}});
  }
  return arr;
}

Result<std::vector<PortMapping>> PortsFromJson(const Json& j, std::string_view ctx) {
  if (!j.is_array()) return InvalidArgument(std::string(ctx) + ": expected an array");
  if (j.size() > 256) return InvalidArgument(std::string(ctx) + ": more than 256 ports");
  std::vector<PortMapping> out;
  std::set<std::pair<uint16_t, std::string>> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& e = j[i];
    const std::string where = std::string(ctx) + "[" + std::to_string(i) + "]";
    if (!e.is_object()) return InvalidArgument(where + ": expected an object");
    for (const auto& [k, v] : e.items()) {
      if (k != "host" && k != "cvm" && k != "protocol") {
        return InvalidArgument(where + ": unknown field '" + k + "'");
      }
    }
    PortMapping p;
    for (const char* key : {"host", "cvm"}) {
      ASSIGN_OR_RETURN(const uint64_t v, JsonUint(e, key, where));
      if (v == 0 || v > 65535) {
        return InvalidArgument(where + "." + key + ": " + std::to_string(v) +
                               " is not a port number (1..65535)");
      }
      (std::string_view(key) == "host" ? p.host_port : p.cvm_port) = static_cast<uint16_t>(v);
    }
    if (e.contains("protocol")) {
      ASSIGN_OR_RETURN(p.protocol, JsonString(e, "protocol", where));
      if (p.protocol != "tcp" && p.protocol != "udp") {
        return InvalidArgument(where + ".protocol: expected \"tcp\" or \"udp\"");
      }
    }
    if (!seen.insert({p.host_port, p.protocol}).second) {
      return InvalidArgument(where + ": host port " + std::to_string(p.host_port) + "/" +
                             p.protocol + " is listed twice");
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<PortMapping> ParsePortFlag(std::string_view s) {
  PortMapping p;
  std::string_view rest = s;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    p.protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (p.protocol != "tcp" && p.protocol != "udp") {
      return InvalidArgument("--port " + std::string(s) + ": protocol must be tcp or udp");
    }
  }
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("--port " + std::string(s) + ": expected HOST:CVM (e.g. 8080:80)");
  }
  ASSIGN_OR_RETURN(p.host_port, ParsePortNumber(rest.substr(0, colon), "--port host side"));
  ASSIGN_OR_RETURN(p.cvm_port, ParsePortNumber(rest.substr(colon + 1), "--port CVM side"));
  return p;
}

Status ValidateCvmName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("name '" + std::string(name.substr(0, 80)) + "': " + why);
  };
  if (name.empty()) return InvalidArgument("name: must not be empty");
  if (name.size() > 63) return bad("longer than 63 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i == 0 && !alnum) return bad("must start with a lower-case letter or a digit");
    if (!alnum && c != '-') {
      return bad("only lower-case letters, digits and '-' are allowed");
    }
  }
  return OkStatus();
}

Json EventToJson(const CvmEvent& e) {
  return {{"seq", e.seq}, {"at", FormatRfc3339(e.at)}, {"kind", e.kind}, {"message", e.message}};
}

}  // namespace teecloud::node
