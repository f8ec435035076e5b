// A client for the Docker Engine API (v1.41, what dockerd 20.10 speaks; podman's compatible
// socket answers the same calls) over the engine's unix socket.
//
// Every call opens its own connection, so one EngineClient may be used from several threads.
// Calls are bounded: a connect timeout, a per-call read timeout, and a cap on response bodies.
// Errors: the engine unreachable is kUnavailable with a message saying what to do; an engine
// error response keeps the engine's message (404 → kNotFound, 409 → kAlreadyExists,
// 400 → kInvalidArgument, others kInternal / kUnknown).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "compose/log_stream.h"

namespace teecloud::compose {

struct EngineOptions {
  std::string socket_path = "/var/run/docker.sock";
  std::string api_version = "v1.41";
  double connect_timeout_seconds = 5;
  // Read timeout of one call (container stop and wait add their own timeouts to it).
  double request_timeout_seconds = 60;
  // Bodies larger than this are refused (JSON answers, build output, non-follow logs).
  size_t max_response_bytes = 16u << 20;
};

struct EngineVersion {
  std::string version;      // "20.10.24+dfsg1"
  std::string api_version;  // "1.41"
  std::string os;
  std::string arch;
  std::string components;  // "Engine, containerd, runc" or "Podman Engine, ..."
};

struct ImageInfo {
  std::string id;  // "sha256:..."
  std::vector<std::string> repo_tags;
  int64_t size = 0;
  // The image's Config: what a container runs when its create request sets neither
  // (empty when the image sets none, e.g. `"Entrypoint": null`).
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string user;              // "" = root
};

struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  std::map<std::string, std::string> labels;
  bool internal = false;  // no route out of the network
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  std::map<std::string, std::string> labels;
  std::vector<std::string> container_ids;  // attached containers (inspect only)
};

struct VolumeSpec {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
};

struct VolumeInfo {
  std::string name;
  std::string driver;
  std::string mountpoint;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};

struct PortBinding {
  std::string host_ip;     // "" = all interfaces (the engine's default)
  uint16_t host_port = 0;  // 0 = the engine picks a free port
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp | sctp
};

struct RestartPolicy {
  std::string name = "no";  // no | always | on-failure | unless-stopped
  int max_retries = 0;      // on-failure only
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> cmd;         // nullopt: the image's CMD
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: the image's ENTRYPOINT
  std::vector<std::string> env;                        // "KEY=value"
  std::map<std::string, std::string> labels;
  std::vector<PortBinding> ports;
  // "source:target[:ro]": source is an absolute host path or a volume name.
  std::vector<std::string> binds;
  std::map<std::string, std::string> tmpfs;  // target → mount options ("" = defaults)
  std::string network;                       // "" = the engine default
  std::vector<std::string> network_aliases;  // resolvable names on `network`
  RestartPolicy restart;
  std::string working_dir;
  std::string user;
  std::string hostname;
  bool tty = false;
  bool open_stdin = false;
  bool init = false;  // run an init process (docker-init) as PID 1
  std::optional<int> stop_timeout_seconds;
  std::string stop_signal;
};

struct ContainerState {
  std::string status;  // created | running | paused | restarting | removing | exited | dead
  bool running = false;
  bool restarting = false;
  int exit_code = 0;
  std::string error;
  std::string health;  // "" (no healthcheck) | starting | healthy | unhealthy
  std::string started_at;
  std::string finished_at;
};

struct ContainerInfo {
  std::string id;
  std::string name;      // without the leading '/'
  std::string image;     // as requested ("teecloud/busybox:local")
  std::string image_id;  // "sha256:..."
  std::map<std::string, std::string> labels;
  // Config: what the container runs, as the engine stored it (image defaults merged in).
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  bool tty = false;
  ContainerState state;
  int restart_count = 0;
  std::vector<PortBinding> ports;  // actual bindings (host_port filled in when running)
  std::vector<std::string> networks;
};

struct ContainerSummary {
  std::string id;
  std::string name;  // first name, without the leading '/'
  std::string image;
  std::string state;   // "running", "exited", ...
  std::string status;  // "Up 3 seconds", "Exited (0) 2 minutes ago"
  std::map<std::string, std::string> labels;
};

struct LogsOptions {
  bool stdout = true;
  bool stderr = true;
  bool timestamps = false;
  // "all" or a number of lines from the end.
  std::string tail = "all";
  int64_t since_unix = 0;
  // FollowLogs only: stop after this long even while the container keeps running
  // (0 = until the container stops or the callback returns false).
  double follow_timeout_seconds = 0;
};

class EngineClient {
 public:
  explicit EngineClient(EngineOptions options);

  const EngineOptions& options() const { return options_; }

  // GET /_ping. The error when the socket does not answer says how to start an engine.
  Status Ping();
  Result<EngineVersion> Version();

  // Images. InspectImage: kNotFound when the image is not present locally.
  Result<ImageInfo> InspectImage(const std::string& name);
  // Builds from a tar build context (a Dockerfile at its root unless `dockerfile` says
  // otherwise) and tags the result. `progress` receives the builder's output text. The build
  // runs with networking off (no registry is reachable anyway).
  Status BuildImage(ByteView tar_context, const std::string& tag,
                    const std::function<void(std::string_view)>& progress = {},
                    const std::string& dockerfile = "Dockerfile");
  // Creates an image from a root filesystem tar (like `docker import`), e.g. with
  // changes = {"CMD [\"/bin/sh\"]"}. Faster than a build: no builder container.
  Status ImportImage(ByteView rootfs_tar, const std::string& reference,
                     const std::vector<std::string>& changes = {});
  Status RemoveImage(const std::string& name, bool force);

  // Networks. CreateNetwork returns the id; kAlreadyExists when the name is taken.
  Result<std::string> CreateNetwork(const NetworkSpec& spec);
  Result<NetworkInfo> InspectNetwork(const std::string& id_or_name);
  // label_filters: "key" or "key=value", all must match.
  Result<std::vector<NetworkInfo>> ListNetworks(const std::vector<std::string>& label_filters);
  Status RemoveNetwork(const std::string& id_or_name);

  // Volumes (engine-managed; teecloud points "local" volumes at host directories).
  Result<VolumeInfo> CreateVolume(const VolumeSpec& spec);
  Result<VolumeInfo> InspectVolume(const std::string& name);
  Result<std::vector<VolumeInfo>> ListVolumes(const std::vector<std::string>& label_filters);
  Status RemoveVolume(const std::string& name, bool force);

  // Containers. CreateContainer returns the id. Start/Stop succeed when the container is
  // already in that state.
  Result<std::string> CreateContainer(const ContainerSpec& spec);
  Status StartContainer(const std::string& id);
  Status StopContainer(const std::string& id, int timeout_seconds);
  Status RestartContainer(const std::string& id, int timeout_seconds);
  Status RemoveContainer(const std::string& id, bool force, bool remove_anonymous_volumes = false);
  Result<ContainerInfo> InspectContainer(const std::string& id);
  Result<std::vector<ContainerSummary>> ListContainers(
      const std::vector<std::string>& label_filters, bool include_stopped = true);
  // Blocks until the container is not running; returns its exit code. kDeadlineExceeded after
  // timeout_seconds.
  Result<int64_t> WaitContainer(const std::string& id, double timeout_seconds);

  // Logs so far (follow ignored), demultiplexed; bounded by max_response_bytes.
  Result<std::vector<LogChunk>> Logs(const std::string& id, const LogsOptions& options);
  // Follows the logs, calling on_chunk for each piece as it arrives, until the container
  // stops, on_chunk returns false, follow_timeout_seconds passes, or `cancelled` (polled
  // every 200 ms from another thread) returns true; all of these return OK.
  Status FollowLogs(const std::string& id, const LogsOptions& options,
                    const std::function<bool(const LogChunk&)>& on_chunk,
                    const std::function<bool()>& cancelled = {});

  // The message for an unreachable engine (exposed for callers that probe differently).
  std::string UnreachableMessage() const;

 private:
  struct Reply {
    int status = 0;
    std::string body;
  };
  struct CallOptions {
    std::string content_type;
    double read_timeout_seconds = 0;  // 0: options_.request_timeout_seconds
    // When set, the body of a 2xx answer goes here instead of Reply::body (no size cap
    // beyond what the receiver enforces); return false to stop reading.
    std::function<bool(const char*, size_t)> receiver;
    // Stops the call from another thread when it returns true (checked every 200 ms).
    std::function<bool()> cancelled;
  };
  Result<Reply> Call(const std::string& method, const std::string& path, std::string body,
                     const CallOptions& call);
  Result<Reply> CallJson(const std::string& method, const std::string& path,
                         const std::string& json_body = {});
  std::string ApiPath(std::string_view path) const;
  // POSTs a tar and reads the engine's JSON-lines progress stream ({"stream"|"status"|"error"}).
  // POST /containers/{id}/{action}?t=timeout (stop, restart).
  Status TimedContainerAction(const std::string& id, std::string_view action, int timeout_seconds);
  Status StreamingPost(const std::string& path, ByteView body,
                       const std::function<void(std::string_view)>& progress,
                       const std::string& what);

  EngineOptions options_;
};

// The JSON body of POST /containers/create for `spec` (also the input of compose's
// configuration hash: equal specs give equal bytes).
std::string ContainerCreateJson(const ContainerSpec& spec);

// Percent-encodes a string for a URL query (RFC 3986 unreserved characters pass).
std::string UrlEncode(std::string_view s);
// {"label": [filters...]} as the engine's `filters` query parameter (URL-encoded).
std::string LabelFiltersQuery(const std::vector<std::string>& label_filters);

}  // namespace teecloud::compose
