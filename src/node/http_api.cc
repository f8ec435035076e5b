#include "node/http_api.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "node/openapi.h"
#include "node/routes.h"

namespace teecloud::node {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Set by the pre-routing handler and the route wrapper, read by the logger: httplib runs all
// three for one request on the same worker thread.
thread_local SteadyClock::time_point t_request_start;
thread_local std::string t_route;

struct ApiRequest {
  std::vector<std::string> path_params;
  std::map<std::string, std::string> query;
  std::string body;
};

// A streaming body: writes chunks until done or `cancelled`.
using StreamFn = std::function<void(const LogSink& write, const std::function<bool()>& cancelled)>;

struct ApiReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  StreamFn stream;
};

std::string ErrorBody(std::string_view code, const std::string& message) {
  return DumpJson(Json{{"error", {{"code", code}, {"message", message}}}});
}

ApiReply ErrorReply(const Error& e) {
  ApiReply r;
  r.status = HttpStatusForCode(e.code);
  r.body = ErrorBody(CodeName(e.code), e.message);
  return r;
}

ApiReply JsonReply(const Json& j, int status = 200) {
  ApiReply r;
  r.status = status;
  r.body = DumpJson(j);
  return r;
}

// The request body as a JSON object with only `allowed` members. An empty body is {} unless
// `required`.
Result<Json> ParseBody(const std::string& body, std::initializer_list<std::string_view> allowed,
                       bool required) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (required) return InvalidArgument("request body: a JSON object is required");
    return Json::object();
  }
  auto j = ParseJson(body);
  if (!j) return InvalidArgument("request body is not valid JSON");
  if (!j->is_object()) return InvalidArgument("request body: expected a JSON object");
  for (const auto& [key, value] : j->items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return InvalidArgument(
          "request body: unknown field '" + key + "'" +
          (list.empty() ? " (no fields are accepted)" : " (accepted: " + list + ")"));
    }
  }
  return std::move(*j);
}

Result<bool> QueryBool(const ApiRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return false;
  const std::string& v = it->second;
  if (v.empty() || v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return InvalidArgument("query parameter " + name + ": expected true or false");
}

Result<std::optional<int64_t>> QueryInt(const ApiRequest& req, const std::string& name, int64_t min,
                                        int64_t max) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::optional<int64_t>();
  const std::string& v = it->second;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < min || n > max) {
    return InvalidArgument("query parameter " + name + ": expected an integer in " +
                           std::to_string(min) + ".." + std::to_string(max));
  }
  return std::optional<int64_t>(n);
}

Result<std::string> ManifestText(const Json& body) {
  ASSIGN_OR_RETURN(const Json* m, JsonMember(body, "manifest", "request"));
  if (m->is_string()) return m->get<std::string>();
  if (m->is_object()) return DumpJson(*m);
  return InvalidArgument("request.manifest: expected the manifest as a JSON object or its text");
}

Json HistoryToJson(const std::vector<StateStore::ManifestHistoryEntry>& history) {
  Json arr = Json::array();
  for (const auto& h : history) {
    arr.push_back({{"generation", h.generation},
                   {"manifest_hash", h.manifest_hash},
                   {"at", FormatRfc3339(h.at)}});
  }
  return arr;
}

}  // namespace

Json CvmToJson(const CvmRecord& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"app_id", c.app_id},
          {"instance_id", c.instance_id},
          {"manifest_hash", c.manifest_hash},
          {"status", CvmStatusName(c.status)},
          {"desired_state", DesiredStateName(c.desired)},
          {"status_detail", c.status_detail},
          {"restart_policy", RestartPolicyName(c.restart_policy)},
          {"restart_count", c.restart_count},
          {"generation", c.generation},
          {"ports", PortsToJson(c.ports)},
          {"agent_pid", c.agent.pid},
          {"has_secrets", !c.sealed_env.empty()},
          {"created_at", FormatRfc3339(c.created_at)},
          {"updated_at", FormatRfc3339(c.updated_at)}};
}

struct HttpApi::Impl {
  using Handler = std::function<ApiReply(const ApiRequest&)>;

  struct Listener {
    std::string transport;
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
    std::string socket_path;  // unix only, removed at Stop
  };

  Impl(NodeService& s, const Clock& c, HttpApiOptions o)
      : service(s), clock(c), options(std::move(o)), started_at(c.Now()) {
    handlers = {
        {RouteId::kHealth,
         [](const ApiRequest&) {
           return JsonReply({{"status", "ok"}});
         }},
        {RouteId::kOpenApi,
         [this](const ApiRequest&) {
           ApiReply r;
           r.body = DumpJson(BuildOpenApiDocument(options.version), 2);
           return r;
         }},
        {RouteId::kMetrics, [this](const ApiRequest& r) { return HandleMetrics(r); }},
        {RouteId::kNodeInfo, [this](const ApiRequest& r) { return HandleNodeInfo(r); }},
        {RouteId::kSimTrust, [this](const ApiRequest& r) { return HandleSimTrust(r); }},
        {RouteId::kEnvPublicKey, [this](const ApiRequest& r) { return HandleEnvPublicKey(r); }},
        {RouteId::kListCvms, [this](const ApiRequest& r) { return HandleList(r); }},
        {RouteId::kDeploy, [this](const ApiRequest& r) { return HandleDeploy(r); }},
        {RouteId::kInspect, [this](const ApiRequest& r) { return HandleInspect(r); }},
        {RouteId::kRemove, [this](const ApiRequest& r) { return HandleRemove(r); }},
        {RouteId::kStart,
         [this](const ApiRequest& r) {
           return HandleLifecycle(r, [this](const std::string& ref) { return service.Start(ref); });
         }},
        {RouteId::kStop,
         [this](const ApiRequest& r) {
           return HandleLifecycle(r, [this](const std::string& ref) { return service.Stop(ref); });
         }},
        {RouteId::kRestart,
         [this](const ApiRequest& r) {
           return HandleLifecycle(r,
                                  [this](const std::string& ref) { return service.Restart(ref); });
         }},
        {RouteId::kUpgrade, [this](const ApiRequest& r) { return HandleUpgrade(r); }},
        {RouteId::kLogs, [this](const ApiRequest& r) { return HandleLogs(r); }},
        {RouteId::kEvents, [this](const ApiRequest& r) { return HandleEvents(r); }},
        {RouteId::kAttest, [this](const ApiRequest& r) { return HandleAttest(r); }},
    };
    // The table is the contract: every route has a handler and nothing else does.
    TEECLOUD_CHECK(handlers.size() == Routes().size());
    for (const RouteSpec& spec : Routes()) TEECLOUD_CHECK(handlers.count(spec.id) == 1);
  }

  // --- handlers ---

  ApiReply HandleMetrics(const ApiRequest&) {
    MetricsSnapshot snap;
    snap.version = options.version;
    snap.backend = std::string(service.backend_name());
    snap.counters = service.counters();
    for (CvmStatus s : AllCvmStatuses()) snap.cvms_by_status[std::string(CvmStatusName(s))] = 0;
    if (auto all = service.List(true)) {
      for (const CvmRecord& c : *all) {
        snap.cvms_by_status[std::string(CvmStatusName(c.status))] += 1;
        if (c.status != CvmStatus::kRemoved) {
          snap.restarts_by_cvm.emplace_back(c.name, c.restart_count);
        }
      }
    }
    ApiReply r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.Render(snap);
    return r;
  }

  ApiReply HandleNodeInfo(const ApiRequest&) {
    auto all = service.List(false);
    if (!all) return ErrorReply(all.error());
    Json counts = Json::object();
    for (CvmStatus s : AllCvmStatuses()) {
      if (s != CvmStatus::kRemoved) counts[std::string(CvmStatusName(s))] = 0;
    }
    for (const CvmRecord& c : *all) {
      Json& n = counts[std::string(CvmStatusName(c.status))];
      n = n.get<int64_t>() + 1;
    }
    return JsonReply({{"version", options.version},
                      {"api_version", "v1"},
                      {"backend", service.backend_name()},
                      {"started_at", FormatRfc3339(started_at)},
                      {"cvms", counts}});
  }

  ApiReply HandleSimTrust(const ApiRequest&) {
    constexpr char kNone[] =
        "this node has no simulation PKI: its quotes come from a real TEE; verify them against "
        "the hardware vendor's root (for TDX, Intel's, the default of `teecloud verify`)";
    if (!options.simulation_trust) return ErrorReply(Error{Code::kNotFound, kNone});
    auto trust = options.simulation_trust();
    if (!trust) {
      if (trust.error().code == Code::kNotFound) {
        return ErrorReply(
            Error{Code::kNotFound, std::string(kNone) + " (" + trust.error().message + ")"});
      }
      return ErrorReply(trust.error());
    }
    auto collateral = ParseJson(trust->collateral_json);
    if (!collateral || !collateral->is_object()) {
      return ErrorReply(Error{Code::kInternal, "the node's simulation collateral is not JSON"});
    }
    return JsonReply(
        {{"root_pem", trust->root_pem}, {"collateral", *collateral}, {"simulated", true}});
  }

  ApiReply HandleEnvPublicKey(const ApiRequest& req) {
    auto app_id = FromHex(req.path_params.at(0));
    if (!app_id || app_id->size() != 20) {
      return ErrorReply(Error{Code::kInvalidArgument, "app_id: expected 40 hex digits"});
    }
    if (!options.env_public_key) {
      return ErrorReply(Error{Code::kNotFound, "this node has no key provider for app secrets"});
    }
    auto key = options.env_public_key(*app_id);
    if (!key) return ErrorReply(key.error());
    return JsonReply({{"app_id", ToHex(*app_id)},
                      {"public_key", ToHex(key->public_key)},
                      {"key_provider", key->key_provider},
                      {"key_provider_id", ToHex(key->key_provider_id)}});
  }

  ApiReply HandleList(const ApiRequest& req) {
    auto all = QueryBool(req, "all");
    if (!all) return ErrorReply(all.error());
    auto cvms = service.List(*all);
    if (!cvms) return ErrorReply(cvms.error());
    Json arr = Json::array();
    for (const CvmRecord& c : *cvms) arr.push_back(CvmToJson(c));
    return JsonReply({{"cvms", arr}});
  }

  ApiReply HandleDeploy(const ApiRequest& req) {
    auto body =
        ParseBody(req.body, {"name", "manifest", "ports", "restart_policy", "app_id", "sealed_env"},
                  true);
    if (!body) return ErrorReply(body.error());
    DeployRequest d;
    auto name = JsonString(*body, "name", "request");
    if (!name) return ErrorReply(name.error());
    d.name = *name;
    auto manifest = ManifestText(*body);
    if (!manifest) return ErrorReply(manifest.error());
    d.manifest_json = std::move(*manifest);
    if (body->contains("ports")) {
      auto ports = PortsFromJson((*body)["ports"], "request.ports");
      if (!ports) return ErrorReply(ports.error());
      d.ports = std::move(*ports);
    }
    if (body->contains("restart_policy")) {
      auto text = JsonString(*body, "restart_policy", "request");
      if (!text) return ErrorReply(text.error());
      auto policy = ParseRestartPolicy(*text);
      if (!policy) return ErrorReply(policy.error());
      d.restart_policy = *policy;
    }
    if (body->contains("app_id")) {
      auto app_id = JsonString(*body, "app_id", "request");
      if (!app_id) return ErrorReply(app_id.error());
      d.app_id = *app_id;
    }
    if (body->contains("sealed_env")) {
      auto sealed = SealedEnv(*body);
      if (!sealed) return ErrorReply(sealed.error());
      d.sealed_env = std::move(*sealed);
    }
    auto result = service.Deploy(d);
    if (!result) return ErrorReply(result.error());
    return JsonReply({{"cvm", CvmToJson(result->cvm)}, {"resumed", result->resumed}}, 201);
  }

  ApiReply HandleInspect(const ApiRequest& req) {
    const std::string& ref = req.path_params.at(0);
    auto cvm = service.Inspect(ref);
    if (!cvm) return ErrorReply(cvm.error());
    Json j = CvmToJson(*cvm);
    auto manifest = ParseJson(cvm->manifest_json);
    j["manifest"] = manifest ? *manifest : Json(cvm->manifest_json);
    Json events = Json::array();
    if (auto ev = service.Events(cvm->id, 20)) {
      for (const CvmEvent& e : *ev) events.push_back(EventToJson(e));
    }
    j["events"] = events;
    if (auto h = service.ManifestHistory(cvm->id)) j["manifest_history"] = HistoryToJson(*h);
    return JsonReply(j);
  }

  ApiReply HandleRemove(const ApiRequest& req) {
    auto purge = QueryBool(req, "purge");
    if (!purge) return ErrorReply(purge.error());
    auto cvm = service.Remove(req.path_params.at(0), *purge);
    if (!cvm) return ErrorReply(cvm.error());
    return JsonReply({{"cvm", CvmToJson(*cvm)}, {"purged", *purge}});
  }

  ApiReply HandleLifecycle(const ApiRequest& req,
                           const std::function<Result<CvmRecord>(const std::string&)>& op) {
    auto body = ParseBody(req.body, {}, false);
    if (!body) return ErrorReply(body.error());
    auto cvm = op(req.path_params.at(0));
    if (!cvm) return ErrorReply(cvm.error());
    return JsonReply(CvmToJson(*cvm));
  }

  static Result<Bytes> SealedEnv(const Json& body) {
    ASSIGN_OR_RETURN(const std::string hex, JsonString(body, "sealed_env", "request"));
    auto bytes = FromHex(hex);
    if (!bytes) return InvalidArgument("request.sealed_env: expected hex");
    return std::move(*bytes);
  }

  ApiReply HandleUpgrade(const ApiRequest& req) {
    auto body = ParseBody(req.body, {"manifest", "ports", "sealed_env"}, true);
    if (!body) return ErrorReply(body.error());
    UpgradeRequest u;
    auto manifest = ManifestText(*body);
    if (!manifest) return ErrorReply(manifest.error());
    u.manifest_json = std::move(*manifest);
    if (body->contains("ports")) {
      auto ports = PortsFromJson((*body)["ports"], "request.ports");
      if (!ports) return ErrorReply(ports.error());
      u.ports = std::move(*ports);
    }
    if (body->contains("sealed_env")) {
      auto sealed = SealedEnv(*body);
      if (!sealed) return ErrorReply(sealed.error());
      u.sealed_env = std::move(*sealed);
    }
    auto cvm = service.Upgrade(req.path_params.at(0), u);
    if (!cvm) return ErrorReply(cvm.error());
    return JsonReply(CvmToJson(*cvm));
  }

  ApiReply HandleLogs(const ApiRequest& req) {
    auto tail = QueryInt(req, "tail", 0, 1000000);
    if (!tail) return ErrorReply(tail.error());
    auto follow = QueryBool(req, "follow");
    if (!follow) return ErrorReply(follow.error());
    const std::string ref = req.path_params.at(0);
    LogOptions opts;
    opts.tail_lines = tail->value_or(-1);
    if (!*follow) {
      std::string text;
      Status s = service.Logs(ref, opts, [&](std::string_view chunk) {
        text.append(chunk);
        return true;
      });
      if (!s) return ErrorReply(s.error());
      ApiReply r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = std::move(text);
      return r;
    }
    // Fail before the 200 goes out when the CVM does not exist or has no logs.
    LogOptions probe;
    probe.tail_lines = 0;
    Status exists = service.Logs(ref, probe, [](std::string_view) { return true; });
    if (!exists) return ErrorReply(exists.error());
    // httplib cannot tell that a follower went away until a write fails, so an abandoned
    // `logs -f` of a quiet CVM holds its worker until the CVM prints again or the node stops.
    // Followers are therefore capped at half the workers.
    if (followers.load() >= std::max(1, options.threads / 2)) {
      return ErrorReply(
          Error{Code::kResourceExhausted, "too many followed log streams; try again later"});
    }
    ApiReply r;
    r.content_type = "text/plain; charset=utf-8";
    r.stream = [this, ref, opts](const LogSink& write, const std::function<bool()>& cancelled) {
      followers++;
      LogOptions o = opts;
      o.follow = true;
      o.cancelled = cancelled;
      (void)service.Logs(ref, o, write);
      followers--;
    };
    return r;
  }

  ApiReply HandleEvents(const ApiRequest& req) {
    auto limit = QueryInt(req, "limit", 1, kMaxEventsPerCvm);
    if (!limit) return ErrorReply(limit.error());
    auto events = service.Events(req.path_params.at(0), static_cast<int>(limit->value_or(100)));
    if (!events) return ErrorReply(events.error());
    Json arr = Json::array();
    for (const CvmEvent& e : *events) arr.push_back(EventToJson(e));
    return JsonReply({{"events", arr}});
  }

  ApiReply HandleAttest(const ApiRequest& req) {
    auto body = ParseBody(req.body, {"nonce"}, true);
    if (!body) return ErrorReply(body.error());
    auto nonce_hex = JsonString(*body, "nonce", "request");
    if (!nonce_hex) return ErrorReply(nonce_hex.error());
    auto nonce = FromHex(*nonce_hex);
    if (!nonce) return ErrorReply(Error{Code::kInvalidArgument, "request.nonce: not hex"});
    auto a = service.Attest(req.path_params.at(0), *nonce);
    if (!a) return ErrorReply(a.error());
    return JsonReply({{"cvm_id", a->cvm.id},
                      {"name", a->cvm.name},
                      {"app_id", a->cvm.app_id},
                      {"instance_id", a->cvm.instance_id},
                      {"manifest_hash", a->cvm.manifest_hash},
                      {"nonce", ToHex(a->nonce)},
                      {"report_data", ToHex(a->report_data)},
                      {"quote", ToHex(a->attestation.quote)},
                      {"event_log", a->attestation.event_log},
                      {"tee", a->attestation.tee},
                      {"simulated", a->attestation.simulated}});
  }

  // --- plumbing ---

  void Install(httplib::Server& server, const std::string& transport) {
    server.set_payload_max_length(options.max_body_bytes);
    const int threads = options.threads;
    server.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_request_start = SteadyClock::now();
      t_route = "unmatched";
      return httplib::Server::HandlerResponse::Unhandled;
    });
    for (const RouteSpec& spec : Routes()) {
      const Handler& handler = handlers.at(spec.id);
      const std::string pattern = PathRegex(spec.path);
      const RouteSpec* sp = &spec;
      auto wrapped = [this, sp, &handler](const httplib::Request& req, httplib::Response& res) {
        t_route = std::string(sp->path);
        ApiRequest ar;
        for (size_t i = 1; i < req.matches.size(); ++i) ar.path_params.push_back(req.matches[i]);
        for (const auto& [k, v] : req.params) {
          bool known = false;
          for (const QueryParam& q : sp->query) known = known || q.name == k;
          if (!known) {
            Write(res,
                  ErrorReply(Error{Code::kInvalidArgument, "unknown query parameter '" + k + "'"}));
            return;
          }
          if (ar.query.count(k)) {
            Write(res, ErrorReply(Error{Code::kInvalidArgument,
                                        "query parameter '" + k + "' given twice"}));
            return;
          }
          ar.query[k] = v;
        }
        ar.body = req.body;
        Write(res, handler(ar));
      };
      registered.emplace_back(std::string(spec.method), std::string(spec.path));
      if (spec.method == "GET") {
        server.Get(pattern, wrapped);
      } else if (spec.method == "POST") {
        server.Post(pattern, wrapped);
      } else if (spec.method == "DELETE") {
        server.Delete(pattern, wrapped);
      } else {
        TEECLOUD_CHECK(false && "route method not supported");
      }
    }
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                     httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string code = "UNKNOWN";
      std::string message = "HTTP " + std::to_string(res.status);
      if (res.status == 404) {
        // A known path with another method is 405, not 404.
        std::string allowed;
        for (const RouteSpec& spec : Routes()) {
          if (std::regex_match(req.path, std::regex(PathRegex(spec.path)))) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(spec.method);
          }
        }
        if (!allowed.empty()) {
          res.status = 405;
          res.set_header("Allow", allowed);
          code = "METHOD_NOT_ALLOWED";
          message = req.method + " is not allowed on " + req.path + " (allowed: " + allowed + ")";
        } else {
          code = "NOT_FOUND";
          message = "no route " + req.method + " " + req.path + " (see GET /openapi.json)";
        }
      } else if (res.status == 413) {
        code = "RESOURCE_EXHAUSTED";
        message = "request body larger than the node accepts";
      } else if (res.status == 400) {
        code = "INVALID_ARGUMENT";
        message = "malformed HTTP request";
      }
      res.set_content(ErrorBody(code, message), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(ErrorBody("INTERNAL", "internal error"), "application/json");
        });
    server.set_logger([this, transport](const httplib::Request& req, const httplib::Response& res) {
      const double seconds =
          std::chrono::duration<double>(SteadyClock::now() - t_request_start).count();
      const std::string route = t_route.empty() ? "unmatched" : t_route;
      metrics.RecordRequest(req.method, route, res.status, seconds);
      if (options.access_log) {
        options.access_log(AccessLogEntry{transport, req.method, req.path, route, res.status,
                                          res.body.size(), seconds});
      }
      t_route.clear();
    });
  }

  void Write(httplib::Response& res, ApiReply reply) {
    res.status = reply.status;
    if (!reply.stream) {
      res.set_content(reply.body, reply.content_type);
      return;
    }
    StreamFn stream = std::move(reply.stream);
    res.set_chunked_content_provider(
        reply.content_type, [this, stream](size_t, httplib::DataSink& sink) {
          stream([&sink](std::string_view chunk) { return sink.write(chunk.data(), chunk.size()); },
                 [this, &sink] { return stopping.load() || !sink.is_writable(); });
          sink.done();
          return true;
        });
  }

  NodeService& service;
  const Clock& clock;
  HttpApiOptions options;
  UnixTime started_at;
  Metrics metrics;
  std::map<RouteId, Handler> handlers;
  std::atomic<bool> stopping{false};
  std::atomic<int> followers{0};
  std::mutex mu;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::pair<std::string, std::string>> registered;  // of the first listener
};

HttpApi::HttpApi(NodeService& service, const Clock& clock, HttpApiOptions options)
    : impl_(std::make_unique<Impl>(service, clock, std::move(options))) {}

HttpApi::~HttpApi() { Stop(); }

Metrics& HttpApi::metrics() { return impl_->metrics; }

std::vector<std::pair<std::string, std::string>> HttpApi::RegisteredRoutes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->registered;
}

namespace {
// listen_after_bind() runs in its thread; stop() before it has started would be lost (and the
// join would hang), so a listener is only handed out once it runs.
Status WaitRunning(httplib::Server& server, const std::string& what) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (!server.is_running()) {
    if (SteadyClock::now() > deadline) return Internal(what + ": server did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return OkStatus();
}
}  // namespace

Result<int> HttpApi::ListenTcp(const std::string& host, int port) {
  auto l = std::make_unique<Impl::Listener>();
  l->transport = "tcp";
  l->server = std::make_unique<httplib::Server>();
  {
    std::lock_guard lock(impl_->mu);
    impl_->registered.clear();
    impl_->Install(*l->server, "tcp");
  }
  int bound = port;
  if (port == 0) {
    bound = l->server->bind_to_any_port(host);
    if (bound <= 0) return Unavailable("cannot listen on " + host + ": no free port");
  } else if (!l->server->bind_to_port(host, port)) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                       " (in use, or not a local address)");
  }
  httplib::Server* server = l->server.get();
  l->thread = std::thread([server] { server->listen_after_bind(); });
  const Status running = WaitRunning(*server, "tcp " + host);
  std::lock_guard lock(impl_->mu);
  impl_->listeners.push_back(std::move(l));
  if (!running) return tl::unexpected(running.error());
  return bound;
}

Status HttpApi::ListenUnix(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return FailedPrecondition(path + " exists and is not a socket; not replacing it");
    }
    httplib::Client probe(path, 80);
    probe.set_address_family(AF_UNIX);
    probe.set_connection_timeout(1, 0);
    probe.set_read_timeout(2, 0);
    if (auto r = probe.Get("/healthz")) {
      return MakeError(Code::kAlreadyExists, "another node is already serving on " + path +
                                                 " (HTTP " + std::to_string(r->status) + ")");
    }
    ::unlink(path.c_str());
  }
  auto l = std::make_unique<Impl::Listener>();
  l->transport = "unix";
  l->server = std::make_unique<httplib::Server>();
  l->server->set_address_family(AF_UNIX);
  {
    std::lock_guard lock(impl_->mu);
    impl_->registered.clear();
    impl_->Install(*l->server, "unix");
  }
  if (!l->server->bind_to_port(path, 80))
    return Unavailable("cannot listen on unix socket " + path);
  if (::chmod(path.c_str(), 0660) != 0) {
    return Internal("cannot chmod 0660 " + path + ": " + std::strerror(errno));
  }
  l->socket_path = path;
  httplib::Server* server = l->server.get();
  l->thread = std::thread([server] { server->listen_after_bind(); });
  const Status running = WaitRunning(*server, "unix " + path);
  std::lock_guard lock(impl_->mu);
  impl_->listeners.push_back(std::move(l));
  return running;
}

void HttpApi::Stop() {
  impl_->stopping = true;
  std::vector<std::unique_ptr<Impl::Listener>> listeners;
  {
    std::lock_guard lock(impl_->mu);
    listeners.swap(impl_->listeners);
  }
  for (auto& l : listeners) l->server->stop();
  for (auto& l : listeners) {
    if (l->thread.joinable()) l->thread.join();
    if (!l->socket_path.empty()) ::unlink(l->socket_path.c_str());
  }
}

}  // namespace teecloud::node
