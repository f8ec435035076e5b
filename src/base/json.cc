#include "base/json.h"

namespace teecloud {

Result<Json> ParseJson(std::string_view text, size_t max_depth) {
  // A quick bracket scan bounds recursion before nlohmann's recursive parser sees the text.
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return InvalidArgument("json: nesting deeper than " + std::to_string(max_depth));
      }
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("json: malformed document");
  return j;
}

Result<const Json*> JsonMember(const Json& obj, std::string_view key, std::string_view ctx) {
  if (!obj.is_object()) return InvalidArgument(std::string(ctx) + ": expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) {
    return InvalidArgument(std::string(ctx) + "." + std::string(key) + ": missing");
  }
  return &*it;
}

namespace {
std::string Field(std::string_view ctx, std::string_view key) {
  return std::string(ctx) + "." + std::string(key);
}
}  // namespace

Result<std::string> JsonString(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (!v->is_string()) return InvalidArgument(Field(ctx, key) + ": expected a string");
  return v->get_ref<const std::string&>();
}

Result<int64_t> JsonInt(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return OutOfRange(Field(ctx, key) + ": too large");
    return static_cast<int64_t>(u);
  }
  if (!v->is_number_integer()) return InvalidArgument(Field(ctx, key) + ": expected an integer");
  return v->get<int64_t>();
}

Result<uint64_t> JsonUint(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer()) {
    int64_t i = v->get<int64_t>();
    if (i < 0) return OutOfRange(Field(ctx, key) + ": negative");
    return static_cast<uint64_t>(i);
  }
  return InvalidArgument(Field(ctx, key) + ": expected an unsigned integer");
}

Result<bool> JsonBool(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (!v->is_boolean()) return InvalidArgument(Field(ctx, key) + ": expected a boolean");
  return v->get<bool>();
}

Result<const Json*> JsonArray(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (!v->is_array()) return InvalidArgument(Field(ctx, key) + ": expected an array");
  return v;
}

Result<const Json*> JsonObject(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, JsonMember(obj, key, ctx));
  if (!v->is_object()) return InvalidArgument(Field(ctx, key) + ": expected an object");
  return v;
}

Result<Bytes> JsonHex(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(std::string s, JsonString(obj, key, ctx));
  auto b = FromHex(s);
  if (!b) return InvalidArgument(Field(ctx, key) + ": " + b.error().message);
  return std::move(*b);
}

std::string DumpJson(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}
std::string DumpJson(const OrderedJson& j, int indent) {
  return j.dump(indent, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace teecloud
