// The node's client of one agent's API (AGENT_API.md): HTTP+JSON over the agent's unix socket.
// Thread-compatible; cheap to construct per call.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::node {

struct AgentQuote {
  Bytes quote;
  Json event_log;  // parsed from the reply's JSON-in-a-string
};

class AgentClient {
 public:
  AgentClient(std::string socket_path, std::chrono::milliseconds timeout)
      : socket_path_(std::move(socket_path)), timeout_(timeout) {}

  // POST /<method> with `body`; the reply's JSON object. Errors: kUnavailable when nothing
  // answers on the socket; the agent's own error message otherwise.
  Result<Json> Call(std::string_view method, const Json& body) const;

  Result<Json> Info() const { return Call("Info", Json::object()); }
  // report_data: exactly 64 bytes.
  Result<AgentQuote> GetQuote(ByteView report_data) const;

 private:
  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace teecloud::node
