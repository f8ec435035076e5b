// The node's REST routes, as one table. The HTTP server registers exactly these and the OpenAPI
// document is generated from them, so the two cannot drift (http_api_test checks both).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace teecloud::node {

enum class RouteId {
  kHealth,
  kOpenApi,
  kMetrics,
  kNodeInfo,
  kSimTrust,
  kEnvPublicKey,
  kListCvms,
  kDeploy,
  kInspect,
  kRemove,
  kStart,
  kStop,
  kRestart,
  kUpgrade,
  kLogs,
  kEvents,
  kAttest,
};

struct QueryParam {
  std::string_view name;
  std::string_view type;  // "boolean" | "integer"
  std::string_view description;
};

struct RouteSpec {
  RouteId id;
  std::string_view method;  // "GET", "POST", "DELETE"
  std::string_view path;    // OpenAPI template, e.g. "/v1/cvms/{ref}"
  std::string_view operation_id;
  std::string_view summary;
  std::string_view request_schema;  // components/schemas name; "" = no body
  bool request_body_required = false;
  int success_status = 200;
  std::string_view response_schema;  // components/schemas name; "" = not JSON
  std::string_view response_content_type;
  std::vector<QueryParam> query;
};

const std::vector<RouteSpec>& Routes();

// The template with each "{name}" replaced by a capture group for one path segment.
std::string PathRegex(std::string_view path_template);

// The names of the "{name}" parameters, in order.
std::vector<std::string> PathParams(std::string_view path_template);

}  // namespace teecloud::node
