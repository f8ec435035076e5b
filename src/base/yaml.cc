#include "base/yaml.h"

#include <charconv>
#include <string>

namespace teecloud {

Result<YAML::Node> ParseYaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("yaml: line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("yaml: ") + e.what());
  }
}

namespace {
Json TypedScalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // Quoted scalar: always a string.
  if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t i;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && p == s.data() + s.size()) return i;
  double d;
  auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec2 == std::errc() && p2 == s.data() + s.size()) return d;
  return s;
}

Result<Json> Convert(const YAML::Node& n, bool typed, int depth) {
  if (depth > 64) return InvalidArgument("yaml: nesting deeper than 64");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      return typed ? TypedScalar(n) : Json(n.Scalar());
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& e : n) {
        ASSIGN_OR_RETURN(Json v, Convert(e, typed, depth + 1));
        arr.push_back(std::move(v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return InvalidArgument("yaml: non-scalar mapping key");
        ASSIGN_OR_RETURN(Json v, Convert(kv.second, typed, depth + 1));
        obj[kv.first.Scalar()] = std::move(v);
      }
      return obj;
    }
  }
  return InvalidArgument("yaml: unknown node type");
}
}  // namespace

Result<Json> YamlToJson(const YAML::Node& node, bool typed) {
  try {
    return Convert(node, typed, 0);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("yaml: ") + e.what());
  }
}

}  // namespace teecloud
