#include "node/config.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/yaml.h"
#include "node/node_client.h"

namespace teecloud::node {

namespace {

Status CheckRange(const char* name, int64_t v, int64_t min, int64_t max) {
  if (v < min || v > max) {
    return InvalidArgument(std::string(name) + ": " + std::to_string(v) + " is outside " +
                           std::to_string(min) + ".." + std::to_string(max));
  }
  return OkStatus();
}

bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace

Result<Config> LoadConfigFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, ReadTextFile(path, 1 << 20));
  auto yaml = ParseYaml(text);
  if (!yaml) return tl::unexpected(yaml.error().WithContext(path));
  ASSIGN_OR_RETURN(const Json j, YamlToJson(*yaml, /*typed=*/true));
  Config c;
  if (j.is_null()) return c;  // empty file
  if (!j.is_object()) return InvalidArgument(path + ": expected a mapping of settings");
  for (const auto& [key, value] : j.items()) {
    const std::string ctx = path;
    auto str = [&](std::string& out) -> Status {
      ASSIGN_OR_RETURN(out, JsonString(j, key, ctx));
      return OkStatus();
    };
    auto num = [&](int64_t& out) -> Status {
      ASSIGN_OR_RETURN(out, JsonInt(j, key, ctx));
      return OkStatus();
    };
    Status s;
    if (key == "data_dir") {
      s = str(c.data_dir);
    } else if (key == "listen") {
      s = str(c.listen);
    } else if (key == "socket") {
      s = str(c.socket);
    } else if (key == "agent_binary") {
      s = str(c.agent_binary);
    } else if (key == "engine_socket") {
      s = str(c.engine_socket);
    } else if (key == "envexec_binary") {
      s = str(c.envexec_binary);
    } else if (key == "service_stop_timeout_seconds") {
      s = num(c.service_stop_timeout_seconds);
    } else if (key == "log_level") {
      s = str(c.log_level);
    } else if (key == "supervise_interval_ms") {
      s = num(c.supervise_interval_ms);
    } else if (key == "stop_grace_seconds") {
      s = num(c.stop_grace_seconds);
    } else if (key == "start_timeout_seconds") {
      s = num(c.start_timeout_seconds);
    } else if (key == "restart_backoff_max_seconds") {
      s = num(c.restart_backoff_max_seconds);
    } else if (key == "max_body_bytes") {
      s = num(c.max_body_bytes);
    } else if (key == "http_threads") {
      s = num(c.http_threads);
    } else {
      return InvalidArgument(path + ": unknown setting '" + key + "'");
    }
    RETURN_IF_ERROR(s);
  }
  return c;
}

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen) {
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return InvalidArgument("listen: expected [IPv6]:PORT, got '" + listen + "'");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return InvalidArgument("listen: expected HOST:PORT, got '" + listen + "'");
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  int p = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 0 || p > 65535) {
    return InvalidArgument("listen: bad port '" + port + "'");
  }
  if (host == "localhost") host = "127.0.0.1";
  if (!IsLoopback(host)) {
    return InvalidArgument("listen: " + host +
                           " is not a loopback address; the node API has no authentication, "
                           "so it only listens on 127.0.0.1 / ::1 (use the unix socket or an "
                           "authenticating proxy for remote access)");
  }
  return std::make_pair(host, p);
}

Status CompleteConfig(Config& c, const std::string& self_exe) {
  if (c.data_dir.empty()) c.data_dir = DefaultNodeDataDir();
  {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(c.data_dir, ec);
    if (ec) return InvalidArgument("data_dir: " + ec.message());
    c.data_dir = abs.lexically_normal().string();
    while (c.data_dir.size() > 1 && c.data_dir.back() == '/') c.data_dir.pop_back();
  }
  if (c.socket.empty()) c.socket = c.data_dir + "/node.sock";
  if (c.agent_binary.empty()) {
    c.agent_binary = (std::filesystem::path(self_exe).parent_path() / "teecloud-agent").string();
  }
  if (c.envexec_binary.empty()) {
    c.envexec_binary =
        (std::filesystem::path(c.agent_binary).parent_path() / "teecloud-envexec").string();
  }
  if (c.engine_socket.empty()) c.engine_socket = DefaultEngineSocket();
  if (c.engine_socket != "off" && (c.engine_socket.empty() || c.engine_socket[0] != '/')) {
    return InvalidArgument("engine_socket: expected an absolute path to a unix socket, or off");
  }
  RETURN_IF_ERROR(
      CheckRange("service_stop_timeout_seconds", c.service_stop_timeout_seconds, 0, 600));
  if (c.listen != "off") RETURN_IF_ERROR(ParseListenAddress(c.listen));
  if (c.listen == "off" && c.socket == "off") {
    return InvalidArgument("listen and socket are both off: the API would be unreachable");
  }
  if (c.log_level != "trace" && c.log_level != "debug" && c.log_level != "info" &&
      c.log_level != "warn" && c.log_level != "error") {
    return InvalidArgument("log_level: expected trace, debug, info, warn or error");
  }
  RETURN_IF_ERROR(CheckRange("supervise_interval_ms", c.supervise_interval_ms, 50, 60000));
  RETURN_IF_ERROR(CheckRange("stop_grace_seconds", c.stop_grace_seconds, 0, 3600));
  RETURN_IF_ERROR(CheckRange("start_timeout_seconds", c.start_timeout_seconds, 1, 3600));
  RETURN_IF_ERROR(
      CheckRange("restart_backoff_max_seconds", c.restart_backoff_max_seconds, 1, 86400));
  RETURN_IF_ERROR(CheckRange("max_body_bytes", c.max_body_bytes, 1 << 20, int64_t{1} << 30));
  RETURN_IF_ERROR(CheckRange("http_threads", c.http_threads, 2, 1024));
  return OkStatus();
}

OrderedJson ConfigToJson(const Config& c) {
  return {{"data_dir", c.data_dir},
          {"listen", c.listen},
          {"socket", c.socket},
          {"agent_binary", c.agent_binary},
          {"engine_socket", c.engine_socket},
          {"envexec_binary", c.envexec_binary},
          {"service_stop_timeout_seconds", c.service_stop_timeout_seconds},
          {"log_level", c.log_level},
          {"supervise_interval_ms", c.supervise_interval_ms},
          {"stop_grace_seconds", c.stop_grace_seconds},
          {"start_timeout_seconds", c.start_timeout_seconds},
          {"restart_backoff_max_seconds", c.restart_backoff_max_seconds},
          {"max_body_bytes", c.max_body_bytes},
          {"http_threads", c.http_threads}};
}

std::string DefaultEngineSocket() {
  if (const char* host = std::getenv("DOCKER_HOST"); host != nullptr) {
    const std::string_view h(host);
    if (h.starts_with("unix://") && h.size() > 7) return std::string(h.substr(7));
  }
  struct stat st {};
  if (::stat("/var/run/docker.sock", &st) == 0 && S_ISSOCK(st.st_mode)) {
    return "/var/run/docker.sock";
  }
  return "off";
}

}  // namespace teecloud::node
