#include "node/node_client.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include "base/percent_encode.h"

namespace teecloud::node {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::unique_ptr<httplib::Client> MakeClient(const NodeEndpoint& ep) {
  std::unique_ptr<httplib::Client> c;
  if (ep.is_unix) {
    c = std::make_unique<httplib::Client>(ep.socket_path, 80);
    c->set_address_family(AF_UNIX);
  } else {
    c = std::make_unique<httplib::Client>(ep.host, ep.port);
  }
  c->set_connection_timeout(5, 0);
  return c;
}

constexpr std::string_view kUnreachable = "node not reachable at ";

Error Unreachable(const NodeEndpoint& ep, httplib::Error e) {
  return Error{Code::kUnavailable,
               std::string(kUnreachable) + ep.display + " (" + httplib::to_string(e) +
                   "): start it with `teecloud-node` or `make demo`, or point --node at it"};
}

Error ErrorFromReply(const httplib::Response& res) {
  auto j = ParseJson(res.body);
  if (j && j->is_object() && j->contains("error") && (*j)["error"].is_object()) {
    const Json& e = (*j)["error"];
    const std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : std::string();
    const std::string message = e.contains("message") && e["message"].is_string()
                                    ? e["message"].get<std::string>()
                                    : "HTTP " + std::to_string(res.status);
    Code c = CodeFromName(code);
    if (c == Code::kUnknown && res.status == 405) c = Code::kInvalidArgument;
    return Error{c, message};
  }
  return Error{res.status >= 500 ? Code::kUnavailable : Code::kInvalidArgument,
               "node replied HTTP " + std::to_string(res.status)};
}

Result<Json> JsonFrom(const httplib::Result& r, const NodeEndpoint& ep) {
  if (!r) return tl::unexpected(Unreachable(ep, r.error()));
  if (r->status < 200 || r->status >= 300) return tl::unexpected(ErrorFromReply(*r));
  auto j = ParseJson(r->body);
  if (!j) return Internal("node reply is not JSON");
  return std::move(*j);
}

}  // namespace

bool IsNodeUnreachable(const Error& e) {
  return e.code == Code::kUnavailable && e.message.starts_with(kUnreachable);
}

Result<NodeEndpoint> ParseNodeEndpoint(const std::string& spec) {
  NodeEndpoint ep;
  ep.display = spec;
  if (spec.empty()) return InvalidArgument("--node: empty");
  std::string rest = spec;
  if (rest.rfind("unix:", 0) == 0) {
    ep.is_unix = true;
    ep.socket_path = rest.substr(5);
    if (ep.socket_path.rfind("//", 0) == 0) ep.socket_path = ep.socket_path.substr(2);
    if (ep.socket_path.empty()) return InvalidArgument("--node " + spec + ": no socket path");
    return ep;
  }
  if (rest.rfind("https://", 0) == 0) {
    return InvalidArgument("--node " + spec + ": the node API is plain HTTP on loopback");
  }
  const bool had_scheme = rest.rfind("http://", 0) == 0;
  if (had_scheme) rest = rest.substr(7);
  if (!had_scheme && (rest.find('/') != std::string::npos ||
                      (rest.size() > 5 && rest.compare(rest.size() - 5, 5, ".sock") == 0))) {
    ep.is_unix = true;
    ep.socket_path = rest;
    return ep;
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    ep.host = rest;
    ep.port = 80;
  } else {
    ep.host = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1);
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p <= 0 || p > 65535) {
      return InvalidArgument("--node " + spec + ": bad port '" + port + "'");
    }
    ep.port = p;
  }
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']') {
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  }
  if (ep.host.empty()) return InvalidArgument("--node " + spec + ": no host");
  return ep;
}

std::string DefaultNodeDataDir() {
  if (std::string d = Env("TEECLOUD_NODE_DATA_DIR"); !d.empty()) return d;
  if (::geteuid() == 0) return "/var/lib/teecloud-node";
  if (std::string x = Env("XDG_DATA_HOME"); !x.empty()) return x + "/teecloud-node";
  if (std::string h = Env("HOME"); !h.empty()) return h + "/.local/share/teecloud-node";
  return "/tmp/teecloud-node-" + std::to_string(::geteuid());
}

NodeEndpoint DefaultNodeEndpoint() {
  if (std::string spec = Env("TEECLOUD_NODE"); !spec.empty()) {
    if (auto ep = ParseNodeEndpoint(spec)) return *ep;
  }
  const std::string sock = DefaultNodeDataDir() + "/node.sock";
  struct stat st {};
  if (::stat(sock.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    NodeEndpoint ep;
    ep.is_unix = true;
    ep.socket_path = sock;
    ep.display = sock;
    return ep;
  }
  NodeEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = kDefaultNodePort;
  ep.display = "http://127.0.0.1:" + std::to_string(kDefaultNodePort);
  return ep;
}

Result<Json> NodeClient::Get(const std::string& path) const {
  auto c = MakeClient(endpoint_);
  c->set_read_timeout(timeout_.count(), 0);
  return JsonFrom(c->Get(path), endpoint_);
}

Result<Json> NodeClient::Post(const std::string& path, const Json& body) const {
  auto c = MakeClient(endpoint_);
  c->set_read_timeout(timeout_.count(), 0);
  c->set_write_timeout(timeout_.count(), 0);
  return JsonFrom(c->Post(path, DumpJson(body), "application/json"), endpoint_);
}

Result<Json> NodeClient::Delete(const std::string& path) const {
  auto c = MakeClient(endpoint_);
  c->set_read_timeout(timeout_.count(), 0);
  return JsonFrom(c->Delete(path), endpoint_);
}

Result<std::string> NodeClient::GetText(const std::string& path) const {
  auto c = MakeClient(endpoint_);
  c->set_read_timeout(timeout_.count(), 0);
  auto r = c->Get(path);
  if (!r) return tl::unexpected(Unreachable(endpoint_, r.error()));
  if (r->status < 200 || r->status >= 300) return tl::unexpected(ErrorFromReply(*r));
  return std::move(r->body);
}

Status NodeClient::Stream(const std::string& path,
                          const std::function<bool(std::string_view)>& sink) const {
  auto c = MakeClient(endpoint_);
  // A followed log can be quiet for days.
  c->set_read_timeout(std::chrono::hours(24 * 365));
  int status = 0;
  std::string error_body;
  auto r = c->Get(
      path,
      [&](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t n) {
        if (status < 200 || status >= 300) {
          if (error_body.size() < (64 << 10)) error_body.append(data, n);
          return true;
        }
        return sink(std::string_view(data, n));
      });
  if (status != 0 && (status < 200 || status >= 300)) {
    httplib::Response res;
    res.status = status;
    res.body = error_body;
    return tl::unexpected(ErrorFromReply(res));
  }
  if (!r && r.error() != httplib::Error::Canceled) {
    return tl::unexpected(Unreachable(endpoint_, r.error()));
  }
  return OkStatus();
}

std::string EncodePathSegment(std::string_view s) { return PercentEncode(s); }

Code CodeFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Code::kUnauthenticated); ++i) {
    if (CodeName(static_cast<Code>(i)) == name) return static_cast<Code>(i);
  }
  return Code::kUnknown;
}

}  // namespace teecloud::node
