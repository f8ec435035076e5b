#include "compose/engine_client.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "base/json.h"
#include "base/percent_encode.h"

namespace teecloud::compose {

namespace {

// Safe JSON accessors: the engine's answers are trusted in shape only as far as we check.
std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}
int64_t Int(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return (it != j.end() && it->is_number_integer()) ? it->get<int64_t>() : 0;
}
bool Bool(const Json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
const Json& Member(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
std::map<std::string, std::string> StrMap(const Json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}
std::vector<std::string> StrList(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}
Json MapJson(const std::map<std::string, std::string>& m) {
  Json o = Json::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// Path segments keep '/' and ':' (image references "repo/name:tag" route as-is).
std::string PathEscape(std::string_view s) { return PercentEncode(s, "/:@"); }

std::string WithoutQuery(const std::string& path) { return path.substr(0, path.find('?')); }

std::string PortKey(uint16_t port, const std::string& protocol) {
  return std::to_string(port) + "/" + (protocol.empty() ? "tcp" : protocol);
}

// "80/tcp" → (80, "tcp")
bool ParsePortKey(const std::string& key, uint16_t& port, std::string& protocol) {
  const size_t slash = key.find('/');
  const std::string num = key.substr(0, slash);
  protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
  if (num.empty() || num.size() > 5) return false;
  unsigned v = 0;
  for (char c : num) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

std::vector<PortBinding> ParsePortMap(const Json& ports) {
  std::vector<PortBinding> out;
  if (!ports.is_object()) return out;
  for (auto it = ports.begin(); it != ports.end(); ++it) {
    PortBinding base;
    if (!ParsePortKey(it.key(), base.container_port, base.protocol)) continue;
    if (!it.value().is_array()) continue;
    for (const auto& b : it.value()) {
      PortBinding pb = base;
      pb.host_ip = Str(b, "HostIp");
      const std::string hp = Str(b, "HostPort");
      uint16_t host_port = 0;
      std::string unused;
      if (!hp.empty() && ParsePortKey(hp, host_port, unused)) pb.host_port = host_port;
      out.push_back(pb);
    }
  }
  return out;
}

Code CodeForStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kAlreadyExists;
    case 501:
      return Code::kUnimplemented;
    case 503:
      return Code::kUnavailable;
    default:
      return status >= 500 ? Code::kInternal : Code::kUnknown;
  }
}

NetworkInfo ParseNetwork(const Json& j) {
  NetworkInfo n;
  n.id = Str(j, "Id");
  n.name = Str(j, "Name");
  n.driver = Str(j, "Driver");
  n.labels = StrMap(Member(j, "Labels"));
  const Json& containers = Member(j, "Containers");
  if (containers.is_object()) {
    for (auto it = containers.begin(); it != containers.end(); ++it) {
      n.container_ids.push_back(it.key());
    }
  }
  return n;
}

VolumeInfo ParseVolume(const Json& j) {
  VolumeInfo v;
  v.name = Str(j, "Name");
  v.driver = Str(j, "Driver");
  v.mountpoint = Str(j, "Mountpoint");
  v.labels = StrMap(Member(j, "Labels"));
  v.options = StrMap(Member(j, "Options"));
  return v;
}

std::string Seconds(double s) { return std::to_string(static_cast<int64_t>(std::ceil(s))) + "s"; }

}  // namespace

std::string UrlEncode(std::string_view s) { return PercentEncode(s); }

std::string LabelFiltersQuery(const std::vector<std::string>& label_filters) {
  Json f = Json::object();
  f["label"] = Json::array();
  for (const auto& l : label_filters) f["label"].push_back(l);
  return UrlEncode(DumpJson(f));
}

std::string ContainerCreateJson(const ContainerSpec& spec) {
  Json c = Json::object();
  c["Image"] = spec.image;
  if (spec.cmd) c["Cmd"] = *spec.cmd;
  if (spec.entrypoint) c["Entrypoint"] = *spec.entrypoint;
  c["Env"] = spec.env;
  c["Labels"] = MapJson(spec.labels);
  if (!spec.working_dir.empty()) c["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) c["User"] = spec.user;
  if (!spec.hostname.empty()) c["Hostname"] = spec.hostname;
  c["Tty"] = spec.tty;
  c["OpenStdin"] = spec.open_stdin;
  if (spec.stop_timeout_seconds) c["StopTimeout"] = *spec.stop_timeout_seconds;
  if (!spec.stop_signal.empty()) c["StopSignal"] = spec.stop_signal;

  Json host = Json::object();
  Json exposed = Json::object();
  Json bindings = Json::object();
  for (const auto& p : spec.ports) {
    const std::string key = PortKey(p.container_port, p.protocol);
    exposed[key] = Json::object();
    if (!bindings.contains(key)) bindings[key] = Json::array();
    bindings[key].push_back(
        {{"HostIp", p.host_ip}, {"HostPort", p.host_port ? std::to_string(p.host_port) : ""}});
  }
  if (!exposed.empty()) c["ExposedPorts"] = exposed;
  host["PortBindings"] = bindings;
  host["Binds"] = spec.binds;
  if (!spec.tmpfs.empty()) host["Tmpfs"] = MapJson(spec.tmpfs);
  host["RestartPolicy"] = {{"Name", spec.restart.name == "no" ? "" : spec.restart.name},
                           {"MaximumRetryCount", spec.restart.max_retries}};
  if (spec.init) host["Init"] = true;
  if (!spec.network.empty()) host["NetworkMode"] = spec.network;
  c["HostConfig"] = host;
  if (!spec.network.empty()) {
    Json endpoint = Json::object();
    if (!spec.network_aliases.empty()) endpoint["Aliases"] = spec.network_aliases;
    c["NetworkingConfig"] = {{"EndpointsConfig", {{spec.network, endpoint}}}};
  }
  return DumpJson(c);
}

EngineClient::EngineClient(EngineOptions options) : options_(std::move(options)) {}

std::string EngineClient::UnreachableMessage() const {
  return "container engine not reachable at " + options_.socket_path +
         ": is dockerd running? (scripts/dockerd.sh start)";
}

std::string EngineClient::ApiPath(std::string_view path) const {
  return "/" + options_.api_version + std::string(path);
}

Result<EngineClient::Reply> EngineClient::Call(const std::string& method, const std::string& path,
                                               std::string body, const CallOptions& call) {
  if (options_.socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return InvalidArgument("engine socket path too long: " + options_.socket_path);
  }
  httplib::Client cli(options_.socket_path, 80);
  cli.set_address_family(AF_UNIX);
  cli.set_keep_alive(false);
  const auto split = [](double s, const auto& set) {
    const double whole = std::floor(s);
    set(static_cast<time_t>(whole), static_cast<time_t>((s - whole) * 1e6));
  };
  split(options_.connect_timeout_seconds,
        [&](time_t a, time_t b) { cli.set_connection_timeout(a, b); });
  const double read_timeout =
      call.read_timeout_seconds > 0 ? call.read_timeout_seconds : options_.request_timeout_seconds;
  split(read_timeout, [&](time_t a, time_t b) { cli.set_read_timeout(a, b); });
  cli.set_write_timeout(static_cast<time_t>(std::max(5.0, options_.request_timeout_seconds)), 0);

  httplib::Request req;
  req.method = method;
  req.path = path;
  // Go's HTTP server rejects the socket path httplib would put in Host.
  req.set_header("Host", "docker");
  if (!call.content_type.empty()) req.set_header("Content-Type", call.content_type);
  req.body = std::move(body);

  int status = 0;
  Reply reply;
  bool too_big = false;
  bool receiver_stopped = false;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status >= 200 && status < 300 && call.receiver) {
      if (!call.receiver(data, n)) {
        receiver_stopped = true;
        return false;
      }
      return true;
    }
    if (reply.body.size() + n > options_.max_response_bytes) {
      too_big = true;
      return false;
    }
    reply.body.append(data, n);
    return true;
  };

  // A watcher stops the call from outside when asked to (log follow deadlines, cancellation).
  std::atomic<bool> watcher_fired{false};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watcher;
  if (call.cancelled) {
    watcher = std::thread([&] {
      std::unique_lock<std::mutex> lock(mu);
      while (!done) {
        if (cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; })) break;
        // Once fired, keep stopping: a stop() that lands before the socket exists is a no-op.
        if (watcher_fired || call.cancelled()) {
          watcher_fired = true;
          cli.stop();
        }
      }
    });
  }
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = cli.send(req, res, err);
  if (watcher.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
    watcher.join();
  }

  const std::string what = method + " " + WithoutQuery(path);
  if (!ok) {
    if (too_big) {
      return MakeError(Code::kResourceExhausted,
                       "container engine: answer to " + what + " larger than " +
                           std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (receiver_stopped || watcher_fired) {
      return MakeError(Code::kCancelled, "container engine: " + what + ": stopped");
    }
    switch (err) {
      case httplib::Error::Connection:
      case httplib::Error::ConnectionTimeout:
        return Unavailable(UnreachableMessage());
      case httplib::Error::Read:
        if (status == 0) {
          return MakeError(Code::kDeadlineExceeded, "container engine: no answer to " + what +
                                                        " within " + Seconds(read_timeout) +
                                                        " (or the engine closed the connection)");
        }
        return MakeError(Code::kDeadlineExceeded, "container engine: answer to " + what +
                                                      " incomplete after " + Seconds(read_timeout));
      default:
        return Unavailable("container engine: " + what + " failed: " + httplib::to_string(err));
    }
  }
  reply.status = res.status;
  if (reply.status < 200 || reply.status >= 400) {
    std::string message;
    if (auto j = ParseJson(reply.body); j.has_value()) message = Str(*j, "message");
    if (message.empty()) message = reply.body.substr(0, 512);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
    if (message.empty()) message = "HTTP " + std::to_string(reply.status);
    return MakeError(CodeForStatus(reply.status), "container engine: " + message + " (" + what +
                                                      " → HTTP " + std::to_string(reply.status) +
                                                      ")");
  }
  return reply;
}

Result<EngineClient::Reply> EngineClient::CallJson(const std::string& method,
                                                   const std::string& path,
                                                   const std::string& json_body) {
  CallOptions call;
  if (!json_body.empty()) call.content_type = "application/json";
  return Call(method, ApiPath(path), json_body, call);
}

namespace {
Result<Json> ParseAnswer(const std::string& body, std::string_view what) {
  auto j = ParseJson(body);
  if (!j.has_value()) {
    return MakeError(Code::kInternal,
                     "container engine: malformed JSON answer to " + std::string(what));
  }
  return std::move(*j);
}
}  // namespace

Status EngineClient::Ping() {
  CallOptions call;
  ASSIGN_OR_RETURN(Reply r, Call("GET", "/_ping", {}, call));
  if (r.body != "OK") return Internal("container engine: unexpected /_ping answer");
  return OkStatus();
}

Result<EngineVersion> EngineClient::Version() {
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/version"));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "/version"));
  EngineVersion v;
  v.version = Str(j, "Version");
  v.api_version = Str(j, "ApiVersion");
  v.os = Str(j, "Os");
  v.arch = Str(j, "Arch");
  const Json& comps = Member(j, "Components");
  if (comps.is_array()) {
    for (const auto& c : comps) {
      if (!v.components.empty()) v.components += ", ";
      v.components += Str(c, "Name");
    }
  }
  return v;
}

Result<ImageInfo> EngineClient::InspectImage(const std::string& name) {
  if (name.empty()) return InvalidArgument("image name is empty");
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/images/" + PathEscape(name) + "/json"));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "image inspect"));
  ImageInfo info;
  info.id = Str(j, "Id");
  info.repo_tags = StrList(Member(j, "RepoTags"));
  info.size = Int(j, "Size");
  const Json& config = Member(j, "Config");
  info.entrypoint = StrList(Member(config, "Entrypoint"));
  info.cmd = StrList(Member(config, "Cmd"));
  info.env = StrList(Member(config, "Env"));
  info.user = Str(config, "User");
  return info;
}

Status EngineClient::StreamingPost(const std::string& path, ByteView body,
                                   const std::function<void(std::string_view)>& progress,
                                   const std::string& what) {
  std::string pending;
  std::string stream_error;
  size_t seen = 0;
  bool too_big = false;
  const auto handle_line = [&](std::string_view line) {
    if (line.empty()) return;
    auto j = ParseJson(line);
    if (!j.has_value()) return;
    if (std::string e = Str(*j, "error"); !e.empty()) stream_error = e;
    if (!progress) return;
    if (std::string s = Str(*j, "stream"); !s.empty()) progress(s);
    if (std::string s = Str(*j, "status"); !s.empty()) progress(s + "\n");
  };
  CallOptions call;
  call.content_type = "application/x-tar";
  call.read_timeout_seconds = std::max(options_.request_timeout_seconds, 600.0);
  call.receiver = [&](const char* data, size_t n) {
    seen += n;
    if (seen > options_.max_response_bytes) {
      too_big = true;
      return false;
    }
    pending.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      handle_line(std::string_view(pending).substr(start, nl - start));
    }
    pending.erase(0, start);
    return true;
  };
  auto r = Call("POST", ApiPath(path), std::string(AsStringView(body)), call);
  if (too_big) return MakeError(Code::kResourceExhausted, what + ": output too large");
  if (!r.has_value()) return tl::unexpected(r.error().WithContext(what));
  handle_line(pending);
  if (!stream_error.empty()) {
    while (!stream_error.empty() && stream_error.back() == '\n') stream_error.pop_back();
    return InvalidArgument(what + ": " + stream_error);
  }
  return OkStatus();
}

Status EngineClient::BuildImage(ByteView tar_context, const std::string& tag,
                                const std::function<void(std::string_view)>& progress,
                                const std::string& dockerfile) {
  if (tag.empty()) return InvalidArgument("build: empty tag");
  return StreamingPost("/build?t=" + UrlEncode(tag) + "&dockerfile=" + UrlEncode(dockerfile) +
                           "&rm=1&forcerm=1&networkmode=none",
                       tar_context, progress, "build " + tag);
}

Status EngineClient::ImportImage(ByteView rootfs_tar, const std::string& reference,
                                 const std::vector<std::string>& changes) {
  // "repo/name:tag" → repo "repo/name", tag "tag" (a ':' before the last '/' is a registry port).
  const size_t slash = reference.rfind('/');
  const size_t colon = reference.rfind(':');
  std::string repo = reference, tag = "latest";
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo = reference.substr(0, colon);
    tag = reference.substr(colon + 1);
  }
  if (repo.empty() || tag.empty())
    return InvalidArgument("import: bad image reference " + reference);
  std::string path = "/images/create?fromSrc=-&repo=" + UrlEncode(repo) + "&tag=" + UrlEncode(tag);
  for (const auto& c : changes) path += "&changes=" + UrlEncode(c);
  return StreamingPost(path, rootfs_tar, {}, "import " + reference);
}

Status EngineClient::RemoveImage(const std::string& name, bool force) {
  RETURN_IF_ERROR(
      CallJson("DELETE", "/images/" + PathEscape(name) + (force ? "?force=1" : "?force=0")));
  return OkStatus();
}

Result<std::string> EngineClient::CreateNetwork(const NetworkSpec& spec) {
  Json body = {{"Name", spec.name},
               {"Driver", spec.driver},
               {"Labels", MapJson(spec.labels)},
               {"Internal", spec.internal},
               {"CheckDuplicate", true}};
  ASSIGN_OR_RETURN(Reply r, CallJson("POST", "/networks/create", DumpJson(body)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "network create"));
  std::string id = Str(j, "Id");
  if (id.empty()) return Internal("container engine: network create returned no id");
  return id;
}

Result<NetworkInfo> EngineClient::InspectNetwork(const std::string& id_or_name) {
  if (id_or_name.empty()) return InvalidArgument("network name is empty");
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/networks/" + PathEscape(id_or_name)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "network inspect"));
  NetworkInfo n = ParseNetwork(j);
  // The engine matches id prefixes and names; only an exact name or id is "this network".
  if (n.name != id_or_name && n.id != id_or_name && n.id.rfind(id_or_name, 0) != 0) {
    return NotFound("container engine: network " + id_or_name + " not found");
  }
  return n;
}

Result<std::vector<NetworkInfo>> EngineClient::ListNetworks(
    const std::vector<std::string>& label_filters) {
  ASSIGN_OR_RETURN(Reply r,
                   CallJson("GET", "/networks?filters=" + LabelFiltersQuery(label_filters)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "network list"));
  std::vector<NetworkInfo> out;
  if (j.is_array()) {
    for (const auto& e : j) out.push_back(ParseNetwork(e));
  }
  return out;
}

Status EngineClient::RemoveNetwork(const std::string& id_or_name) {
  RETURN_IF_ERROR(CallJson("DELETE", "/networks/" + PathEscape(id_or_name)));
  return OkStatus();
}

Result<VolumeInfo> EngineClient::CreateVolume(const VolumeSpec& spec) {
  Json body = {{"Name", spec.name},
               {"Driver", spec.driver},
               {"DriverOpts", MapJson(spec.driver_opts)},
               {"Labels", MapJson(spec.labels)}};
  ASSIGN_OR_RETURN(Reply r, CallJson("POST", "/volumes/create", DumpJson(body)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "volume create"));
  return ParseVolume(j);
}

Result<VolumeInfo> EngineClient::InspectVolume(const std::string& name) {
  if (name.empty()) return InvalidArgument("volume name is empty");
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/volumes/" + PathEscape(name)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "volume inspect"));
  return ParseVolume(j);
}

Result<std::vector<VolumeInfo>> EngineClient::ListVolumes(
    const std::vector<std::string>& label_filters) {
  ASSIGN_OR_RETURN(Reply r,
                   CallJson("GET", "/volumes?filters=" + LabelFiltersQuery(label_filters)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "volume list"));
  std::vector<VolumeInfo> out;
  const Json& vols = Member(j, "Volumes");
  if (vols.is_array()) {
    for (const auto& e : vols) out.push_back(ParseVolume(e));
  }
  return out;
}

Status EngineClient::RemoveVolume(const std::string& name, bool force) {
  RETURN_IF_ERROR(
      CallJson("DELETE", "/volumes/" + PathEscape(name) + (force ? "?force=1" : "?force=0")));
  return OkStatus();
}

Result<std::string> EngineClient::CreateContainer(const ContainerSpec& spec) {
  if (spec.image.empty()) return InvalidArgument("container create: empty image");
  std::string path = "/containers/create";
  if (!spec.name.empty()) path += "?name=" + UrlEncode(spec.name);
  ASSIGN_OR_RETURN(Reply r, CallJson("POST", path, ContainerCreateJson(spec)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "container create"));
  std::string id = Str(j, "Id");
  if (id.empty()) return Internal("container engine: container create returned no id");
  return id;
}

Status EngineClient::StartContainer(const std::string& id) {
  RETURN_IF_ERROR(CallJson("POST", "/containers/" + PathEscape(id) + "/start"));  // 204 or 304
  return OkStatus();
}

Status EngineClient::StopContainer(const std::string& id, int timeout_seconds) {
  return TimedContainerAction(id, "stop", timeout_seconds);
}

Status EngineClient::RestartContainer(const std::string& id, int timeout_seconds) {
  return TimedContainerAction(id, "restart", timeout_seconds);
}

Status EngineClient::TimedContainerAction(const std::string& id, std::string_view action,
                                          int timeout_seconds) {
  // The engine waits up to the timeout before it answers: the read timeout covers it.
  const int t = std::max(0, timeout_seconds);
  CallOptions call;
  call.read_timeout_seconds = options_.request_timeout_seconds + t;
  RETURN_IF_ERROR(Call("POST",
                       ApiPath("/containers/" + PathEscape(id) + "/" + std::string(action) +
                               "?t=" + std::to_string(t)),
                       {}, call));
  return OkStatus();
}

Status EngineClient::RemoveContainer(const std::string& id, bool force,
                                     bool remove_anonymous_volumes) {
  RETURN_IF_ERROR(CallJson("DELETE", "/containers/" + PathEscape(id) +
                                         "?force=" + (force ? "1" : "0") +
                                         "&v=" + (remove_anonymous_volumes ? "1" : "0")));
  return OkStatus();
}

Result<ContainerInfo> EngineClient::InspectContainer(const std::string& id) {
  if (id.empty()) return InvalidArgument("container id is empty");
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/containers/" + PathEscape(id) + "/json"));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "container inspect"));
  ContainerInfo info;
  info.id = Str(j, "Id");
  info.name = Str(j, "Name");
  if (!info.name.empty() && info.name[0] == '/') info.name.erase(0, 1);
  info.image_id = Str(j, "Image");
  const Json& config = Member(j, "Config");
  info.image = Str(config, "Image");
  info.labels = StrMap(Member(config, "Labels"));
  info.entrypoint = StrList(Member(config, "Entrypoint"));
  info.cmd = StrList(Member(config, "Cmd"));
  info.env = StrList(Member(config, "Env"));
  info.tty = Bool(config, "Tty");
  const Json& state = Member(j, "State");
  info.state.status = Str(state, "Status");
  info.state.running = Bool(state, "Running");
  info.state.restarting = Bool(state, "Restarting");
  info.state.exit_code = static_cast<int>(Int(state, "ExitCode"));
  info.state.error = Str(state, "Error");
  info.state.started_at = Str(state, "StartedAt");
  info.state.finished_at = Str(state, "FinishedAt");
  info.state.health = Str(Member(state, "Health"), "Status");
  info.restart_count = static_cast<int>(Int(j, "RestartCount"));
  const Json& net = Member(j, "NetworkSettings");
  info.ports = ParsePortMap(Member(net, "Ports"));
  if (info.ports.empty())
    info.ports = ParsePortMap(Member(Member(j, "HostConfig"), "PortBindings"));
  const Json& networks = Member(net, "Networks");
  if (networks.is_object()) {
    for (auto it = networks.begin(); it != networks.end(); ++it) info.networks.push_back(it.key());
  }
  return info;
}

Result<std::vector<ContainerSummary>> EngineClient::ListContainers(
    const std::vector<std::string>& label_filters, bool include_stopped) {
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", std::string("/containers/json?all=") +
                                                (include_stopped ? "1" : "0") +
                                                "&filters=" + LabelFiltersQuery(label_filters)));
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r.body, "container list"));
  std::vector<ContainerSummary> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    ContainerSummary s;
    s.id = Str(e, "Id");
    auto names = StrList(Member(e, "Names"));
    if (!names.empty()) s.name = names[0].rfind('/', 0) == 0 ? names[0].substr(1) : names[0];
    s.image = Str(e, "Image");
    s.state = Str(e, "State");
    s.status = Str(e, "Status");
    s.labels = StrMap(Member(e, "Labels"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<int64_t> EngineClient::WaitContainer(const std::string& id, double timeout_seconds) {
  CallOptions call;
  call.read_timeout_seconds = std::max(0.1, timeout_seconds);
  auto r = Call("POST", ApiPath("/containers/" + PathEscape(id) + "/wait?condition=not-running"),
                {}, call);
  if (!r.has_value()) {
    if (r.error().code == Code::kDeadlineExceeded) {
      return MakeError(
          Code::kDeadlineExceeded,
          "container " + id.substr(0, 12) + " still running after " + Seconds(timeout_seconds));
    }
    return tl::unexpected(r.error());
  }
  ASSIGN_OR_RETURN(Json j, ParseAnswer(r->body, "container wait"));
  if (std::string e = Str(Member(j, "Error"), "Message"); !e.empty()) {
    return Internal("container engine: wait: " + e);
  }
  return Int(j, "StatusCode");
}

namespace {
std::string LogsQuery(const LogsOptions& o, bool follow) {
  std::string q = std::string("?stdout=") + (o.stdout ? "1" : "0") +
                  "&stderr=" + (o.stderr ? "1" : "0") + "&follow=" + (follow ? "1" : "0") +
                  "&timestamps=" + (o.timestamps ? "1" : "0") + "&tail=" + UrlEncode(o.tail);
  if (o.since_unix > 0) q += "&since=" + std::to_string(o.since_unix);
  return q;
}
}  // namespace

Result<std::vector<LogChunk>> EngineClient::Logs(const std::string& id,
                                                 const LogsOptions& options) {
  ASSIGN_OR_RETURN(ContainerInfo info, InspectContainer(id));
  ASSIGN_OR_RETURN(Reply r, CallJson("GET", "/containers/" + PathEscape(id) + "/logs" +
                                                LogsQuery(options, false)));
  LogDemuxer demux(info.tty);
  std::vector<LogChunk> out;
  RETURN_IF_ERROR(demux.Feed(AsBytes(r.body), out));
  if (!demux.AtFrameBoundary()) return DataLoss("container logs: stream ends inside a frame");
  return out;
}

Status EngineClient::FollowLogs(const std::string& id, const LogsOptions& options,
                                const std::function<bool(const LogChunk&)>& on_chunk,
                                const std::function<bool()>& cancelled) {
  ASSIGN_OR_RETURN(ContainerInfo info, InspectContainer(id));
  LogDemuxer demux(info.tty);
  Status feed_status = OkStatus();
  std::vector<LogChunk> chunks;
  CallOptions call;
  const bool bounded = options.follow_timeout_seconds > 0;
  // A following stream may be quiet for long; the watcher, not the read timeout, bounds it.
  call.read_timeout_seconds = bounded ? options.follow_timeout_seconds + 5 : 7 * 24 * 3600.0;
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options.follow_timeout_seconds * 1000));
  if (bounded || cancelled) {
    call.cancelled = [&] {
      return (bounded && std::chrono::steady_clock::now() >= deadline) ||
             (cancelled && cancelled());
    };
  }
  call.receiver = [&](const char* data, size_t n) {
    chunks.clear();
    feed_status = demux.Feed(ByteView(reinterpret_cast<const uint8_t*>(data), n), chunks);
    if (!feed_status) return false;
    for (const auto& c : chunks) {
      if (!on_chunk(c)) return false;
    }
    return true;
  };
  auto r =
      Call("GET", ApiPath("/containers/" + PathEscape(id) + "/logs" + LogsQuery(options, true)), {},
           call);
  if (!feed_status) return feed_status;
  if (!r.has_value()) {
    if (r.error().code == Code::kCancelled) return OkStatus();
    return tl::unexpected(r.error());
  }
  return OkStatus();
}

}  // namespace teecloud::compose
