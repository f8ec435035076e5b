#include "chain/json_rpc_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace teecloud::chain {

namespace {

// Node-supplied text is bounded and stripped of control characters before it reaches a message.
std::string Sanitize(std::string_view s, size_t max = 512) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct ParsedUrl {
  std::string scheme;     // "http" | "https"
  std::string authority;  // host[:port]
  std::string path;       // "/..." including any query
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl p;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos)
    return InvalidArgument("RPC URL: expected http:// or https://");
  p.scheme = Lower(url.substr(0, sep));
  if (p.scheme != "http" && p.scheme != "https") {
    return InvalidArgument("RPC URL: scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.empty()) return InvalidArgument("RPC URL: missing host");
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("RPC URL: user:password@ is not supported");
  }
  // Validate host[:port] / [v6]:port without resolving anything.
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("RPC URL: bad IPv6 host");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("RPC URL: bad host");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (colon == 0) return InvalidArgument("RPC URL: missing host");
    }
  }
  if (!port.empty() || authority.back() == ':') {
    int value = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) {
      if (c < '0' || c > '9') digits = false;
      if (digits) value = value * 10 + (c - '0');
    }
    if (!digits || value == 0 || value > 65535) return InvalidArgument("RPC URL: bad port");
  }
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  p.authority = std::string(authority);
  p.path = path.empty() ? "/" : (path.front() == '?' ? "/" + std::string(path) : std::string(path));
  return p;
}

Result<Bytes> ErrorData(const Json& error) {
  auto it = error.find("data");
  if (it == error.end()) return Bytes{};
  const Json* d = &*it;
  // Some nodes nest it: {"data": {"data": "0x..."}} or {"data": {"result": "0x..."}}.
  if (d->is_object()) {
    for (const char* key : {"data", "result"}) {
      auto inner = d->find(key);
      if (inner != d->end() && inner->is_string()) {
        d = &*inner;
        break;
      }
    }
  }
  if (!d->is_string()) return Bytes{};
  return ParseHexData(d->get<std::string>());
}

}  // namespace

Error JsonRpcErrorToError(std::string_view method, const Json& error,
                          const RevertDecoder& revert_decoder) {
  int64_t code = 0;
  std::string message;
  if (error.is_object()) {
    auto c = error.find("code");
    if (c != error.end() && c->is_number_integer()) code = c->get<int64_t>();
    auto m = error.find("message");
    if (m != error.end() && m->is_string()) message = m->get<std::string>();
  }
  const std::string lower = Lower(message);
  if (code == 3 || lower.find("revert") != std::string::npos) {
    std::string reason;
    auto data = error.is_object() ? ErrorData(error) : Result<Bytes>(Bytes{});
    if (data && !data->empty()) {
      reason = revert_decoder ? revert_decoder(*data) : DefaultRevertDecoder(*data);
    } else if (size_t at = lower.find("reverted: "); at != std::string::npos) {
      reason = message.substr(at + 10);
    } else if (size_t reason_at = lower.find("reason string "); reason_at != std::string::npos) {
      reason = message.substr(reason_at + 14);
    } else {
      reason = "no reason given";
    }
    return Error{Code::kAborted, std::string(kRevertPrefix) + ": " + Sanitize(reason)};
  }
  std::string what = "json-rpc error " + std::to_string(code) + " from " + std::string(method) +
                     ": " + Sanitize(message);
  switch (code) {
    case -32601:
      return Error{Code::kUnimplemented, what};
    case -32600:
    case -32602:
    case -32700:
      return Error{Code::kInvalidArgument, what};
    case -32005:
      return Error{Code::kResourceExhausted, what};
    default:
      return Error{Code::kFailedPrecondition, what};
  }
}

struct JsonRpcClient::Impl {
  ParsedUrl url;
  std::string endpoint;
  RpcClientOptions options;
  std::unique_ptr<httplib::Client> client;
  int64_t next_id = 1;
};

JsonRpcClient::JsonRpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonRpcClient::~JsonRpcClient() = default;

const std::string& JsonRpcClient::endpoint() const { return impl_->endpoint; }

Result<std::unique_ptr<JsonRpcClient>> JsonRpcClient::Create(std::string_view url,
                                                             RpcClientOptions options) {
  ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
  auto impl = std::make_unique<Impl>();
  impl->endpoint = parsed.scheme + "://" + parsed.authority;
  impl->url = std::move(parsed);
  impl->options = std::move(options);
  impl->client = std::make_unique<httplib::Client>(impl->endpoint);
  if (!impl->client->is_valid()) {
    return InvalidArgument("RPC URL: cannot use " + impl->endpoint);
  }
  impl->client->set_connection_timeout(impl->options.connect_timeout);
  impl->client->set_read_timeout(impl->options.request_timeout);
  impl->client->set_write_timeout(impl->options.request_timeout);
  impl->client->set_follow_location(false);
  return std::unique_ptr<JsonRpcClient>(new JsonRpcClient(std::move(impl)));
}

Result<Json> JsonRpcClient::Call(std::string_view method, const Json& params) {
  Impl& d = *impl_;
  const int64_t id = d.next_id++;
  Json body = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", params}};

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + d.options.request_timeout;
  std::string response;
  bool too_big = false;
  bool too_slow = false;

  httplib::Request req;
  req.method = "POST";
  req.path = d.url.path;
  req.body = DumpJson(body);
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "application/json");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (response.size() + n > d.options.max_response_bytes) {
      too_big = true;
      return false;
    }
    if (Clock::now() > deadline) {
      too_slow = true;
      return false;
    }
    response.append(data, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const std::string where = std::string(method) + " at " + d.endpoint;
  if (!d.client->send(req, res, err)) {
    if (too_big) {
      return MakeError(Code::kResourceExhausted, "response to " + where + " exceeds " +
                                                     std::to_string(d.options.max_response_bytes) +
                                                     " bytes");
    }
    if (too_slow || err == httplib::Error::ConnectionTimeout || Clock::now() >= deadline) {
      return MakeError(Code::kDeadlineExceeded, "no response to " + where + " in time");
    }
    return Unavailable("cannot reach " + where + ": " + httplib::to_string(err));
  }

  auto parsed = ParseJson(response);
  const bool is_object = parsed && parsed->is_object();
  if (res.status < 200 || res.status > 299) {
    if (is_object && parsed->contains("error")) {
      return tl::unexpected(
          JsonRpcErrorToError(method, (*parsed)["error"], d.options.revert_decoder));
    }
    return Unavailable("HTTP " + std::to_string(res.status) + " from " + where);
  }
  if (!is_object) return DataLoss("malformed JSON-RPC response to " + where);
  const Json& j = *parsed;
  auto version = j.find("jsonrpc");
  if (version != j.end() && !(version->is_string() && version->get<std::string>() == "2.0")) {
    return DataLoss("JSON-RPC response to " + where + ": bad jsonrpc version");
  }
  auto rid = j.find("id");
  if (rid == j.end() || !rid->is_number_integer() || rid->get<int64_t>() != id) {
    return DataLoss("JSON-RPC response to " + where + ": id does not match the request");
  }
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    return tl::unexpected(JsonRpcErrorToError(method, *e, d.options.revert_decoder));
  }
  auto result = j.find("result");
  if (result == j.end()) return DataLoss("JSON-RPC response to " + where + ": no result");
  return *result;
}

}  // namespace teecloud::chain
