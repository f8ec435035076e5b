// Non-throwing adapter over nlohmann::json: the only place that catches its exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud {

using Json = nlohmann::json;
// Keeps object members in document order (for output humans read).
using OrderedJson = nlohmann::ordered_json;

// Parses JSON text. Rejects trailing garbage and nesting deeper than max_depth.
Result<Json> ParseJson(std::string_view text, size_t max_depth = 64);

// Typed member access with errors naming the field ("tcbInfo.version: expected integer").
Result<const Json*> JsonMember(const Json& obj, std::string_view key, std::string_view ctx);
Result<std::string> JsonString(const Json& obj, std::string_view key, std::string_view ctx);
Result<int64_t> JsonInt(const Json& obj, std::string_view key, std::string_view ctx);
Result<uint64_t> JsonUint(const Json& obj, std::string_view key, std::string_view ctx);
Result<bool> JsonBool(const Json& obj, std::string_view key, std::string_view ctx);
Result<const Json*> JsonArray(const Json& obj, std::string_view key, std::string_view ctx);
Result<const Json*> JsonObject(const Json& obj, std::string_view key, std::string_view ctx);
Result<Bytes> JsonHex(const Json& obj, std::string_view key, std::string_view ctx);

// Serializes without throwing: invalid UTF-8 in strings is replaced, never thrown.
std::string DumpJson(const Json& j, int indent = -1);
std::string DumpJson(const OrderedJson& j, int indent = -1);

}  // namespace teecloud
