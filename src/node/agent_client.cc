#include "node/agent_client.h"

#include <httplib.h>
#include <sys/socket.h>

namespace teecloud::node {

namespace {
constexpr size_t kMaxReplyBytes = 16 << 20;
}

Result<Json> AgentClient::Call(std::string_view method, const Json& body) const {
  httplib::Client client(socket_path_, 80);
  client.set_address_family(AF_UNIX);
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout_);
  const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout_ - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
  const std::string path = "/" + std::string(method);
  httplib::Result r = client.Post(path, DumpJson(body), "application/json");
  if (!r) {
    return Unavailable("agent not answering on " + socket_path_ + " (" +
                       httplib::to_string(r.error()) + ")");
  }
  if (r->body.size() > kMaxReplyBytes) {
    return Internal("agent reply to " + path + " is larger than 16 MiB");
  }
  auto j = ParseJson(r->body);
  if (r->status < 200 || r->status >= 300) {
    std::string msg = "HTTP " + std::to_string(r->status);
    if (j && j->is_object() && j->contains("error")) {
      const Json& e = (*j)["error"];
      if (e.is_string()) {
        msg += ": " + e.get<std::string>();
      } else if (e.is_object() && e.contains("message") && e["message"].is_string()) {
        msg += ": " + e["message"].get<std::string>();
      }
    }
    const Code code = r->status >= 500   ? Code::kUnavailable
                      : r->status == 404 ? Code::kNotFound
                                         : Code::kFailedPrecondition;
    return MakeError(code, "agent " + path + " failed: " + msg);
  }
  if (!j) return Internal("agent " + path + ": reply is not JSON: " + j.error().message);
  if (!j->is_object()) return Internal("agent " + path + ": reply is not a JSON object");
  return std::move(*j);
}

Result<AgentQuote> AgentClient::GetQuote(ByteView report_data) const {
  ASSIGN_OR_RETURN(const Json reply, Call("GetQuote", Json{{"report_data", ToHex(report_data)}}));
  AgentQuote out;
  ASSIGN_OR_RETURN(out.quote, JsonHex(reply, "quote", "agent /GetQuote"));
  if (out.quote.empty()) return Internal("agent /GetQuote: empty quote");
  ASSIGN_OR_RETURN(const std::string log_text, JsonString(reply, "event_log", "agent /GetQuote"));
  auto log = ParseJson(log_text);
  if (!log || !log->is_array()) {
    return Internal("agent /GetQuote: event_log is not a JSON array in a string");
  }
  out.event_log = std::move(*log);
  return out;
}

}  // namespace teecloud::node
