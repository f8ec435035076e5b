// The OpenAPI 3.0 document of the node's REST API, generated from the route table (routes.h)
// and the schemas of its bodies. Served at GET /openapi.json.
#pragma once

#include <string>

#include "base/json.h"

namespace teecloud::node {

OrderedJson BuildOpenApiDocument(const std::string& version);

}  // namespace teecloud::node
