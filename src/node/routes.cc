#include "node/routes.h"

namespace teecloud::node {

namespace {
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4; charset=utf-8";
}  // namespace

const std::vector<RouteSpec>& Routes() {
  static const std::vector<RouteSpec> routes = {
      {RouteId::kHealth,
       "GET",
       "/healthz",
       "health",
       "Liveness: the node answers",
       "",
       false,
       200,
       "Health",
       kJson,
       {}},
      {RouteId::kOpenApi,
       "GET",
       "/openapi.json",
       "openapi",
       "This API's OpenAPI 3 document",
       "",
       false,
       200,
       "",
       kJson,
       {}},
      {RouteId::kMetrics,
       "GET",
       "/metrics",
       "metrics",
       "Prometheus metrics",
       "",
       false,
       200,
       "",
       kPrometheus,
       {}},
      {RouteId::kNodeInfo,
       "GET",
       "/v1/node",
       "nodeInfo",
       "The node: version, backend, CVM counts",
       "",
       false,
       200,
       "NodeInfo",
       kJson,
       {}},
      {RouteId::kSimTrust,
       "GET",
       "/v1/node/sim-trust",
       "simTrust",
       "The simulation root and collateral that verify this node's simulated quotes (404 when "
       "its TEE is not simulated)",
       "",
       false,
       200,
       "SimTrust",
       kJson,
       {}},
      {RouteId::kEnvPublicKey,
       "GET",
       "/v1/apps/{app_id}/env-pubkey",
       "envPublicKey",
       "The public key an app's deployment secrets are sealed to (X25519), from this node's key "
       "provider",
       "",
       false,
       200,
       "EnvPublicKey",
       kJson,
       {}},
      {RouteId::kListCvms,
       "GET",
       "/v1/cvms",
       "listCvms",
       "List CVMs",
       "",
       false,
       200,
       "CvmList",
       kJson,
       {{"all", "boolean", "Include removed CVMs whose data is kept (tombstones)"}}},
      {RouteId::kDeploy,
       "POST",
       "/v1/cvms",
       "deployCvm",
       "Deploy a manifest as a new CVM (or resume a removed one of that name)",
       "DeployRequest",
       true,
       201,
       "DeployResponse",
       kJson,
       {}},
      {RouteId::kInspect,
       "GET",
       "/v1/cvms/{ref}",
       "inspectCvm",
       "A CVM with its manifest, recent events and manifest history",
       "",
       false,
       200,
       "CvmDetail",
       kJson,
       {}},
      {RouteId::kRemove,
       "DELETE",
       "/v1/cvms/{ref}",
       "removeCvm",
       "Remove a CVM; its data is kept unless purge=true",
       "",
       false,
       200,
       "RemoveResponse",
       kJson,
       {{"purge", "boolean", "Also delete the CVM's data (instance seed, agent state, volumes)"}}},
      {RouteId::kStart,
       "POST",
       "/v1/cvms/{ref}/start",
       "startCvm",
       "Start a stopped CVM",
       "EmptyRequest",
       false,
       200,
       "Cvm",
       kJson,
       {}},
      {RouteId::kStop,
       "POST",
       "/v1/cvms/{ref}/stop",
       "stopCvm",
       "Stop a CVM (its agent gets SIGTERM, then SIGKILL)",
       "EmptyRequest",
       false,
       200,
       "Cvm",
       kJson,
       {}},
      {RouteId::kRestart,
       "POST",
       "/v1/cvms/{ref}/restart",
       "restartCvm",
       "Stop and start a CVM",
       "EmptyRequest",
       false,
       200,
       "Cvm",
       kJson,
       {}},
      {RouteId::kUpgrade,
       "POST",
       "/v1/cvms/{ref}/upgrade",
       "upgradeCvm",
       "Run a new manifest with the same app id, instance and data",
       "UpgradeRequest",
       true,
       200,
       "Cvm",
       kJson,
       {}},
      {RouteId::kLogs,
       "GET",
       "/v1/cvms/{ref}/logs",
       "cvmLogs",
       "The CVM's output (agent and, later, services)",
       "",
       false,
       200,
       "",
       kText,
       {{"tail", "integer", "Only the last N lines (default: all that is kept)"},
        {"follow", "boolean", "Keep streaming new output (chunked) until the client leaves"}}},
      {RouteId::kEvents,
       "GET",
       "/v1/cvms/{ref}/events",
       "cvmEvents",
       "Lifecycle events of a CVM, oldest first",
       "",
       false,
       200,
       "EventList",
       kJson,
       {{"limit", "integer", "At most this many, the newest (default 100, max 500)"}}},
      {RouteId::kAttest,
       "POST",
       "/v1/cvms/{ref}/attest",
       "attestCvm",
       "A fresh quote from the CVM's agent over SHA-512(\"teecloud-node-attest:v1:\" || nonce)",
       "AttestRequest",
       true,
       200,
       "AttestResponse",
       kJson,
       {}},
  };
  return routes;
}

std::string PathRegex(std::string_view path_template) {
  std::string out;
  for (size_t i = 0; i < path_template.size(); ++i) {
    const char c = path_template[i];
    if (c == '{') {
      const size_t close = path_template.find('}', i);
      out += "([^/]+)";
      i = close;
    } else if (c == '.' || c == '+' || c == '*' || c == '?' || c == '(' || c == ')' || c == '[' ||
               c == ']' || c == '^' || c == '$' || c == '|' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> PathParams(std::string_view path_template) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = path_template.find('{', pos)) != std::string_view::npos) {
    const size_t close = path_template.find('}', pos);
    out.emplace_back(path_template.substr(pos + 1, close - pos - 1));
    pos = close;
  }
  return out;
}

}  // namespace teecloud::node
