// teecloud-node's configuration: one struct, loaded from a YAML/JSON file, overridden by flags,
// validated and completed (defaults that depend on other fields) before anything starts.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/json.h"

namespace teecloud::node {

struct Config {
  std::string data_dir;  // default: DefaultNodeDataDir() (node_client.h)
  // Loopback HOST:PORT for the REST API; "off" disables TCP. The API has no authentication, so
  // only loopback addresses are accepted.
  std::string listen = "127.0.0.1:7310";
  // Unix socket of the REST API (mode 0660); default <data_dir>/node.sock; "off" disables it.
  std::string socket;
  // Default: teecloud-agent next to the teecloud-node executable.
  std::string agent_binary;
  // The container engine CVM services run on (Docker Engine API unix socket, or "off": agents
  // serve their API only). Default: $DOCKER_HOST when it is unix://PATH, else
  // /var/run/docker.sock when that is a socket, else off.
  std::string engine_socket;
  // teecloud-envexec (services that get secrets start through it). Default: beside the agent.
  std::string envexec_binary;
  int64_t service_stop_timeout_seconds = 10;
  std::string log_level = "info";  // trace, debug, info, warn, error
  int64_t supervise_interval_ms = 1000;
  int64_t stop_grace_seconds = 10;
  int64_t start_timeout_seconds = 60;
  int64_t restart_backoff_max_seconds = 60;
  int64_t max_body_bytes = 8 << 20;
  int64_t http_threads = 16;
};

// Reads a YAML (or JSON) mapping with the fields above; unknown keys are refused.
Result<Config> LoadConfigFile(const std::string& path);

// Fills the defaults that depend on other fields and checks every value. `self_exe` is the
// node's own executable (for the default agent binary).
Status CompleteConfig(Config& config, const std::string& self_exe);

// The engine_socket default (see Config).
std::string DefaultEngineSocket();

// "HOST:PORT" (IPv6 as "[::1]:PORT") → host, port; only loopback hosts ("localhost" becomes
// 127.0.0.1). Port 0 picks a free port.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen);

// For the start-up log line. (Nothing in Config is secret; were it ever, it would be redacted
// here.)
OrderedJson ConfigToJson(const Config& config);

}  // namespace teecloud::node
