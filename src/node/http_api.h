// The node's REST API (routes.h) over cpp-httplib, on loopback TCP and on a unix socket: JSON in
// and out, errors as {"error": {"code", "message"}} with 4xx/5xx, bodies bounded, unknown
// fields and query parameters refused. Every request is counted in Metrics and handed to the
// access-log callback once (the daemon logs it).
//
// Thread-safe; Stop() (also run by the destructor) ends streaming responses, closes the
// listeners and joins their threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "node/cvm.h"
#include "node/metrics.h"
#include "node/node_service.h"

namespace teecloud::node {

struct AccessLogEntry {
  std::string transport;  // "tcp" | "unix"
  std::string method;
  std::string path;
  std::string route;  // the route template, or "unmatched"
  int status = 0;
  size_t response_bytes = 0;
  double seconds = 0;
};

struct HttpApiOptions {
  std::string version;
  // Request bodies beyond this get 413 (a manifest is at most 1 MiB; JSON escaping of a manifest
  // sent as a string roughly doubles that, so the default leaves room).
  size_t max_body_bytes = 8 << 20;
  // Worker threads per listener (each `logs -f` stream holds one).
  int threads = 16;
  std::function<void(const AccessLogEntry&)> access_log;
  // What GET /v1/node/sim-trust serves: the backend's CvmBackend::SimulationTrust. Null: the
  // route answers 404 (no simulation PKI).
  std::function<Result<SimTrustMaterial>()> simulation_trust;
  // What GET /v1/apps/{app_id}/env-pubkey serves (the key provider's env key of that app). Null:
  // 404 (no key provider on this node).
  std::function<Result<EnvPublicKey>(ByteView app_id)> env_public_key;
};

// The API's JSON form of a CVM (schema "Cvm").
Json CvmToJson(const CvmRecord& cvm);

class HttpApi {
 public:
  // `service` and `clock` must outlive the HttpApi.
  HttpApi(NodeService& service, const Clock& clock, HttpApiOptions options);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds host:port (0: any free port) and serves in a thread. Returns the bound port.
  Result<int> ListenTcp(const std::string& host, int port);
  // Binds a unix socket at `path` (mode 0660) and serves in a thread. A stale socket file is
  // replaced; a live one (another node answering) is an error.
  Status ListenUnix(const std::string& path);
  void Stop();

  // (method, path template) of every route the servers answer; equals Routes().
  std::vector<std::pair<std::string, std::string>> RegisteredRoutes() const;
  Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace teecloud::node
