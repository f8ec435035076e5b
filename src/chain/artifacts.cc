#include "chain/artifacts.h"

#include "base/file.h"
#include "chain/types.h"

namespace teecloud::chain {

Result<const ContractArtifact*> ContractArtifacts::Get(std::string_view name) const {
  auto it = contracts.find(std::string(name));
  if (it == contracts.end() || it->second.bytecode.empty()) {
    return NotFound("contract artifacts: no bytecode for " + std::string(name));
  }
  return &it->second;
}

Result<ContractArtifacts> ParseContractArtifacts(std::string_view json_text) {
  ASSIGN_OR_RETURN(Json j, ParseJson(json_text, 256));
  if (!j.is_object()) return InvalidArgument("contract artifacts: expected a JSON object");
  ContractArtifacts out;
  if (auto it = j.find("compiler"); it != j.end() && it->is_string()) out.compiler = *it;
  ASSIGN_OR_RETURN(const Json* contracts, JsonObject(j, "contracts", "contract artifacts"));
  for (const auto& [name, c] : contracts->items()) {
    const std::string ctx = "contract artifacts: " + name;
    if (!c.is_object()) return InvalidArgument(ctx + ": expected an object");
    ContractArtifact a;
    ASSIGN_OR_RETURN(const Json* abi, JsonArray(c, "abi", ctx));
    a.abi = *abi;
    ASSIGN_OR_RETURN(std::string code, JsonString(c, "bytecode", ctx));
    auto bytes = ParseHexData(code);
    if (!bytes) return InvalidArgument(ctx + ".bytecode: " + bytes.error().message);
    a.bytecode = std::move(*bytes);
    out.contracts.emplace(name, std::move(a));
  }
  return out;
}

Result<ContractArtifacts> LoadContractArtifacts(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, 32u << 20));
  auto artifacts = ParseContractArtifacts(text);
  if (!artifacts) return tl::unexpected(artifacts.error().WithContext(path));
  return artifacts;
}

}  // namespace teecloud::chain
