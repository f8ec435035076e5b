#include "agent/http_api.h"

#include <errno.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <thread>

#include "base/json.h"

namespace teecloud::agent {
namespace {

// AppStatus is teecloud's own (the app runner's stage and services); the rest are dstack's.
constexpr std::array<std::string_view, 10> kMethods = {
    "GetQuote", "Attest",  "GetKey",  "GetTlsKey", "Info",
    "EmitEvent", "Sign",   "Verify",  "Version",   "AppStatus"};

ApiResponse ErrorResponse(int status, std::string message) {
  OrderedJson j;
  j["error"] = message;
  return ApiResponse{status, DumpJson(j), std::move(message)};
}

ApiResponse FromError(const Error& e) {
  return ErrorResponse(HttpStatusForCode(e.code), e.message);
}

ApiResponse Ok(const OrderedJson& j) { return ApiResponse{200, DumpJson(j), {}}; }

// Typed, strict access to a request object: only the listed fields may appear; a field that is
// absent or null takes its default (as dstack's protobuf-JSON requests do).
class Request {
 public:
  Request(const Json& obj, std::string_view method) : obj_(obj), method_(method) {}

  Status OnlyFields(std::initializer_list<std::string_view> names) const {
    for (const auto& [key, unused] : obj_.items()) {
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        return InvalidArgument(Ctx(key.substr(0, 64)) + ": unknown field");
      }
    }
    return OkStatus();
  }

  Result<std::string> String(std::string_view key) const {
    const Json* v = Find(key);
    if (!v) return std::string();
    if (!v->is_string()) return InvalidArgument(Ctx(key) + ": expected a string");
    return v->get<std::string>();
  }

  Result<bool> Bool(std::string_view key, bool fallback) const {
    const Json* v = Find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) return InvalidArgument(Ctx(key) + ": expected true or false");
    return v->get<bool>();
  }

  Result<std::optional<int64_t>> OptionalInt(std::string_view key) const {
    const Json* v = Find(key);
    if (!v) return std::optional<int64_t>();
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument(Ctx(key) + ": too large");
      return std::optional<int64_t>(static_cast<int64_t>(u));
    }
    if (!v->is_number_integer()) return InvalidArgument(Ctx(key) + ": expected an integer");
    return std::optional<int64_t>(v->get<int64_t>());
  }

  Result<Bytes> Hex(std::string_view key) const {
    ASSIGN_OR_RETURN(std::string s, String(key));
    auto b = FromHex(s);
    if (!b) return InvalidArgument(Ctx(key) + ": expected hex");
    return std::move(*b);
  }

  Result<std::vector<std::string>> StringArray(std::string_view key) const {
    const Json* v = Find(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) return InvalidArgument(Ctx(key) + ": expected an array of strings");
    for (const Json& e : *v) {
      if (!e.is_string()) return InvalidArgument(Ctx(key) + ": expected an array of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }

 private:
  const Json* Find(std::string_view key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string Ctx(std::string_view key) const {
    return std::string(method_) + "." + std::string(key);
  }

  const Json& obj_;
  std::string_view method_;
};

OrderedJson HexArray(const std::vector<Bytes>& items) {
  OrderedJson a = OrderedJson::array();
  for (const Bytes& b : items) a.push_back(ToHex(b));
  return a;
}

Result<OrderedJson> Dispatch(AgentService& service, std::string_view method, const Json& body) {
  Request req(body, method);
  OrderedJson out = OrderedJson::object();
  if (method == "GetQuote" || method == "Attest") {
    RETURN_IF_ERROR(req.OnlyFields({"report_data"}));
    ASSIGN_OR_RETURN(Bytes report_data, req.Hex("report_data"));
    if (method == "Attest") {
      ASSIGN_OR_RETURN(Bytes blob, service.Attest(report_data));
      out["attestation"] = ToHex(blob);
      return out;
    }
    ASSIGN_OR_RETURN(QuoteReply q, service.GetQuote(report_data));
    out["quote"] = ToHex(q.quote);
    out["event_log"] = q.event_log;
    out["report_data"] = ToHex(q.report_data);
    out["vm_config"] = q.vm_config;
    return out;
  }
  if (method == "GetKey") {
    RETURN_IF_ERROR(req.OnlyFields({"path", "purpose", "algorithm"}));
    KeyRequestArgs args;
    ASSIGN_OR_RETURN(args.path, req.String("path"));
    ASSIGN_OR_RETURN(args.purpose, req.String("purpose"));
    ASSIGN_OR_RETURN(args.algorithm, req.String("algorithm"));
    ASSIGN_OR_RETURN(KeyReply k, service.GetKey(args));
    out["key"] = ToHex(k.key.view());
    out["signature_chain"] = HexArray(k.signature_chain);
    return out;
  }
  if (method == "GetTlsKey") {
    RETURN_IF_ERROR(
        req.OnlyFields({"subject", "alt_names", "usage_ra_tls", "usage_server_auth",
                        "usage_client_auth", "not_before", "not_after", "with_app_info", "path"}));
    TlsKeyArgs args;
    ASSIGN_OR_RETURN(args.subject, req.String("subject"));
    ASSIGN_OR_RETURN(args.alt_names, req.StringArray("alt_names"));
    ASSIGN_OR_RETURN(args.usage_ra_tls, req.Bool("usage_ra_tls", false));
    ASSIGN_OR_RETURN(args.usage_server_auth, req.Bool("usage_server_auth", true));
    ASSIGN_OR_RETURN(args.usage_client_auth, req.Bool("usage_client_auth", false));
    ASSIGN_OR_RETURN(args.not_before, req.OptionalInt("not_before"));
    ASSIGN_OR_RETURN(args.not_after, req.OptionalInt("not_after"));
    ASSIGN_OR_RETURN(args.with_app_info, req.Bool("with_app_info", false));
    ASSIGN_OR_RETURN(args.path, req.String("path"));
    ASSIGN_OR_RETURN(TlsKeyReply t, service.GetTlsKey(args));
    out["key"] = t.key_pem;
    out["certificate_chain"] = t.certificate_chain;
    return out;
  }
  if (method == "Info") {
    RETURN_IF_ERROR(req.OnlyFields({}));
    ASSIGN_OR_RETURN(InfoReply i, service.Info());
    out["app_id"] = i.app_id;
    out["instance_id"] = i.instance_id;
    out["app_cert"] = i.app_cert;
    out["tcb_info"] = i.tcb_info;
    out["app_name"] = i.app_name;
    out["device_id"] = i.device_id;
    out["mr_aggregated"] = i.mr_aggregated;
    out["os_image_hash"] = i.os_image_hash;
    out["key_provider_info"] = i.key_provider_info;
    out["compose_hash"] = i.compose_hash;
    out["vm_config"] = i.vm_config;
    return out;
  }
  if (method == "EmitEvent") {
    RETURN_IF_ERROR(req.OnlyFields({"event", "payload"}));
    ASSIGN_OR_RETURN(std::string event, req.String("event"));
    ASSIGN_OR_RETURN(Bytes payload, req.Hex("payload"));
    RETURN_IF_ERROR(service.EmitEvent(event, payload));
    return out;
  }
  if (method == "Sign") {
    RETURN_IF_ERROR(req.OnlyFields({"algorithm", "data"}));
    SignArgs args;
    ASSIGN_OR_RETURN(args.algorithm, req.String("algorithm"));
    ASSIGN_OR_RETURN(args.data, req.Hex("data"));
    ASSIGN_OR_RETURN(SignReply s, service.Sign(args));
    out["signature"] = ToHex(s.signature);
    out["signature_chain"] = HexArray(s.signature_chain);
    out["public_key"] = ToHex(s.public_key);
    return out;
  }
  if (method == "Verify") {
    RETURN_IF_ERROR(req.OnlyFields({"algorithm", "data", "signature", "public_key"}));
    VerifyArgs args;
    ASSIGN_OR_RETURN(args.algorithm, req.String("algorithm"));
    ASSIGN_OR_RETURN(args.data, req.Hex("data"));
    ASSIGN_OR_RETURN(args.signature, req.Hex("signature"));
    ASSIGN_OR_RETURN(args.public_key, req.Hex("public_key"));
    ASSIGN_OR_RETURN(bool valid, service.Verify(args));
    out["valid"] = valid;
    return out;
  }
  if (method == "Version") {
    RETURN_IF_ERROR(req.OnlyFields({}));
    VersionReply v = service.Version();
    out["version"] = v.version;
    out["rev"] = v.rev;
    return out;
  }
  if (method == "AppStatus") {
    RETURN_IF_ERROR(req.OnlyFields({}));
    AppStatusReply a = service.AppStatus();
    out["stage"] = a.stage;
    out["detail"] = a.detail;
    out["services"] = OrderedJson::parse(a.services.dump());
    return out;
  }
  return NotFound("no such method");
}

// "/GetKey", "/prpc/GetKey" → "GetKey"; "" when the path names no method.
std::string_view MethodFromPath(std::string_view path) {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path.starts_with("/prpc/")) {
    path.remove_prefix(5);
  }
  if (!path.starts_with("/")) return {};
  path.remove_prefix(1);
  for (std::string_view m : kMethods) {
    if (path == m) return m;
  }
  return {};
}

std::string PrintablePrefix(std::string_view s, size_t n = 64) {
  std::string out;
  for (char c : s.substr(0, n)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > n) out += "...";
  return out;
}

}  // namespace

ApiResponse HandleApiRequest(AgentService& service, std::string_view path, std::string_view body) {
  std::string_view method = MethodFromPath(path);
  if (method.empty()) return ErrorResponse(404, "no such method: " + PrintablePrefix(path));
  Json request = Json::object();
  // An empty body is {} (SDKs send "{}", but curl -X POST sends nothing).
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = ParseJson(body);
    if (!parsed) return ErrorResponse(400, "request body is not valid JSON");
    if (!parsed->is_object()) return ErrorResponse(400, "request body must be a JSON object");
    request = std::move(*parsed);
  }
  auto reply = Dispatch(service, method, request);
  if (!reply) return FromError(reply.error());
  return Ok(*reply);
}

// ---------------------------------------------------------------------------------------------
// Server

namespace {

Status CheckSocketPath(const std::string& path) {
  if (path.empty()) return InvalidArgument("empty socket path");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return InvalidArgument(path + ": socket path is too long (max " +
                           std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)");
  }
  return OkStatus();
}

// A socket file left by an agent that died is removed; one that still accepts connections
// belongs to a live process and is left alone. Other file types are never removed.
Status ClearStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();
    return InvalidArgument(path + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return FailedPrecondition(path + ": exists and is not a socket; not replacing it");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket(): ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  if (rc == 0) return FailedPrecondition(path + ": another process is serving this socket");
  if (err != ECONNREFUSED) {
    return FailedPrecondition(path +
                              ": cannot tell whether the socket is in use: " + std::strerror(err));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return FailedPrecondition(path + ": cannot remove stale socket: " + std::strerror(errno));
  }
  return OkStatus();
}

std::string ErrorFromBody(const std::string& body) {
  auto j = ParseJson(body);
  if (j && j->is_object()) {
    auto it = j->find("error");
    if (it != j->end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

}  // namespace

struct ApiServer::Impl {
  struct Listener {
    std::string path;
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
    ino_t inode = 0;
    dev_t device = 0;
  };

  AgentService* service = nullptr;
  ServerOptions options;
  std::vector<Listener> listeners;
  std::mutex mu;
  bool started = false;
  bool stopped = false;

  void Configure(httplib::Server& server, const std::string& socket_path) {
    server.set_address_family(AF_UNIX);
    server.set_payload_max_length(options.max_body_bytes);
    // One request per connection: a body refused half-way leaves unread bytes on the
    // connection, which must not be parsed as a next request.
    server.set_keep_alive_max_count(1);
    server.set_read_timeout(options.io_timeout_seconds, 0);
    server.set_write_timeout(options.io_timeout_seconds, 0);

    const size_t max_body = options.max_body_bytes;
    AgentService* svc = service;
    auto handle = [svc, max_body](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader* reader) {
      std::string body;
      if (reader) {
        bool too_large = false;
        const bool ok = (*reader)([&](const char* data, size_t len) {
          if (body.size() + len > max_body) {
            too_large = true;
            return false;
          }
          body.append(data, len);
          return true;
        });
        if (!ok || too_large) {
          ApiResponse r = (too_large || res.status == 413)
                              ? ErrorResponse(413, "request body is larger than " +
                                                       std::to_string(max_body) + " bytes")
                              : ErrorResponse(400, "could not read the request body");
          res.status = r.status;
          res.set_content(r.body, "application/json");
          return;
        }
      }
      ApiResponse r = HandleApiRequest(*svc, req.path, body);
      res.status = r.status;
      res.set_content(r.body, "application/json");
    };
    for (std::string_view m : kMethods) {
      for (std::string_view prefix : {"/", "/prpc/"}) {
        const std::string route = std::string(prefix) + std::string(m);
        server.Post(route,
                    [handle](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) { handle(req, res, &reader); });
        if (m == "Info" || m == "Version" || m == "AppStatus") {
          server.Get(route, [handle](const httplib::Request& req, httplib::Response& res) {
            handle(req, res, nullptr);
          });
        }
      }
    }
    // Everything httplib answers itself (unknown paths and methods, unparsable requests,
    // oversized bodies) gets a JSON error too.
    server.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message;
      switch (res.status) {
        case 404:
          message = "no such method: " + req.method.substr(0, 16) + " " + PrintablePrefix(req.path);
          break;
        case 413:
          message = "request body is larger than " + std::to_string(max_body) + " bytes";
          break;
        default:
          message = std::string("bad request (HTTP ") + std::to_string(res.status) + ")";
      }
      res.set_content(ErrorResponse(res.status, message).body, "application/json");
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(ErrorResponse(500, "internal error").body, "application/json");
        });
    auto on_request = options.on_request;
    if (on_request) {
      server.set_logger(
          [on_request, socket_path](const httplib::Request& req, const httplib::Response& res) {
            RequestLogEntry e;
            e.socket = socket_path;
            e.method = PrintablePrefix(req.method, 16);
            e.path = PrintablePrefix(req.path, 128);
            e.status = res.status;
            if (res.status >= 400) e.error = ErrorFromBody(res.body);
            on_request(e);
          });
    }
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Bind(AgentService& service, ServerOptions options) {
  if (options.socket_paths.empty()) return InvalidArgument("no socket to serve on");
  if ((options.socket_mode & 0002) != 0) {
    return InvalidArgument("socket mode must not be world-writable");
  }
  auto impl = std::make_unique<Impl>();
  impl->service = &service;
  impl->options = std::move(options);
  auto server = std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
  Impl& s = *server->impl_;
  for (const std::string& path : s.options.socket_paths) {
    RETURN_IF_ERROR(CheckSocketPath(path));
    for (const auto& l : s.listeners) {
      if (l.path == path) return InvalidArgument(path + ": socket given twice");
    }
    RETURN_IF_ERROR(ClearStaleSocket(path));
    Impl::Listener l;
    l.path = path;
    l.server = std::make_unique<httplib::Server>();
    s.Configure(*l.server, path);
    // The socket file is created by bind(2) with mode 0777 & ~umask: a restrictive umask
    // closes the window before chmod sets the final mode.
    const mode_t old_umask = ::umask(0177);
    const bool bound = l.server->bind_to_port(path, 80);
    ::umask(old_umask);
    if (!bound) return Unavailable(path + ": cannot bind the socket");
    struct stat st {};
    if (::chmod(path.c_str(), s.options.socket_mode) != 0 || ::lstat(path.c_str(), &st) != 0) {
      const std::string why = std::strerror(errno);
      l.server->stop();
      ::unlink(path.c_str());
      return Internal(path + ": cannot set the socket mode: " + why);
    }
    l.inode = st.st_ino;
    l.device = st.st_dev;
    s.listeners.push_back(std::move(l));
  }
  return server;
}

void ApiServer::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  for (auto& l : impl_->listeners) {
    httplib::Server* server = l.server.get();
    l.thread = std::thread([server] { server->listen_after_bind(); });
  }
  // httplib's stop() only acts on a running server: wait until every listener runs, so a
  // Stop() right after Start() cannot be lost (bounded: listening needs no I/O).
  for (auto& l : impl_->listeners) {
    for (int i = 0; i < 5000 && !l.server->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

void ApiServer::Stop() {
  std::lock_guard lock(impl_->mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  for (auto& l : impl_->listeners) l.server->stop();
  for (auto& l : impl_->listeners) {
    if (l.thread.joinable()) l.thread.join();
    // Remove the socket file only if it is still ours (not replaced by another agent).
    struct stat st {};
    if (::lstat(l.path.c_str(), &st) == 0 && st.st_ino == l.inode && st.st_dev == l.device) {
      ::unlink(l.path.c_str());
    }
  }
}

}  // namespace teecloud::agent
