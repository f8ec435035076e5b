// HTTP+JSON routes of the agent (AGENT_API.md) on unix sockets, over AgentService.
//
// HandleApiRequest is the whole protocol as a pure function (tests drive it directly);
// ApiServer serves it with cpp-httplib on one or more unix sockets. Every request is
// `POST /<Method>` (also `/prpc/<Method>`, as dstack's agent accepts) with a JSON object body
// ("" counts as {}); /Info and /Version also answer GET. Malformed requests get a 4xx with
// {"error": "..."} and never stop the server: bad JSON, wrong field types or unknown fields
// (400), unknown methods (404), bodies over the limit (413).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_service.h"
#include "base/error.h"

namespace teecloud::agent {

struct ApiResponse {
  int status = 200;
  std::string body;   // JSON text; may carry key material (GetKey, GetTlsKey): never log
  std::string error;  // the error message when status >= 400 (safe to log)
};

// `path` as received ("/GetKey", "/prpc/GetKey"; a query string is ignored).
ApiResponse HandleApiRequest(AgentService& service, std::string_view path, std::string_view body);

// One line per request for the daemon's log: never bodies.
struct RequestLogEntry {
  std::string socket;
  std::string method;  // HTTP method
  std::string path;
  int status = 0;
  double millis = 0;
  std::string error;  // for status >= 400
};

struct ServerOptions {
  std::vector<std::string> socket_paths;
  size_t max_body_bytes = size_t{1} << 20;
  mode_t socket_mode = 0660;  // owner and group may connect; never world-writable
  int io_timeout_seconds = 5;
  std::function<void(const RequestLogEntry&)> on_request;  // called on server threads
};

// Serves HandleApiRequest on unix sockets. Bind() prepares every socket (a stale socket file
// left by a dead agent is replaced; a live one, or a path that is not a socket, is an error)
// before anything listens; Start() serves on background threads; Stop() (also the destructor)
// stops, joins and removes the socket files. Thread-safe for Stop() from any thread.
class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> Bind(AgentService& service, ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  void Start();
  void Stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace teecloud::agent
