// Non-throwing adapter over yaml-cpp: the only place that catches its exceptions.
#pragma once

#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/error.h"
#include "base/json.h"

namespace teecloud {

// Parses one YAML document. Errors carry the line and column.
Result<YAML::Node> ParseYaml(std::string_view text);

// Converts a YAML node to JSON. Scalars become strings unless `typed` (then YAML 1.2 core
// schema: null, booleans, integers, floats are recognized for plain scalars).
Result<Json> YamlToJson(const YAML::Node& node, bool typed = true);

}  // namespace teecloud
