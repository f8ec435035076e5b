#include "chain/deployment.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"

namespace teecloud::chain {

namespace {

Result<Address> AddressMember(const Json& j, std::string_view key) {
  ASSIGN_OR_RETURN(std::string s, JsonString(j, key, "deployment"));
  auto a = ParseAddress(s);
  if (!a) return InvalidArgument("deployment." + std::string(key) + ": " + a.error().message);
  return *a;
}

// mkdir -p for the parent directories of `path`.
Status MakeParents(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Unavailable("cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  return OkStatus();
}

}  // namespace

OrderedJson DeploymentToJson(const Deployment& d) {
  OrderedJson j;
  j["chain_id"] = d.chain_id;
  j["rpc"] = d.rpc;
  j["registry"] = ChecksumAddress(d.registry);
  j["factory"] = ChecksumAddress(d.factory);
  j["deployer"] = ChecksumAddress(d.deployer);
  j["block"] = d.block;
  if (!d.apps.empty()) {
    OrderedJson apps = OrderedJson::object();
    for (const auto& [name, id] : d.apps) apps[name] = ChecksumAddress(id);
    j["apps"] = apps;
  }
  return j;
}

Result<Deployment> ParseDeployment(std::string_view json_text) {
  ASSIGN_OR_RETURN(Json j, ParseJson(json_text));
  if (!j.is_object()) return InvalidArgument("deployment: expected a JSON object");
  Deployment d;
  ASSIGN_OR_RETURN(d.chain_id, JsonUint(j, "chain_id", "deployment"));
  ASSIGN_OR_RETURN(d.rpc, JsonString(j, "rpc", "deployment"));
  ASSIGN_OR_RETURN(d.registry, AddressMember(j, "registry"));
  ASSIGN_OR_RETURN(d.factory, AddressMember(j, "factory"));
  ASSIGN_OR_RETURN(d.deployer, AddressMember(j, "deployer"));
  ASSIGN_OR_RETURN(d.block, JsonUint(j, "block", "deployment"));
  if (auto it = j.find("apps"); it != j.end()) {
    if (!it->is_object()) return InvalidArgument("deployment.apps: expected an object");
    for (const auto& [name, id] : it->items()) {
      if (!id.is_string())
        return InvalidArgument("deployment.apps." + name + ": expected an address");
      auto a = ParseAddress(id.get<std::string>());
      if (!a) return InvalidArgument("deployment.apps." + name + ": " + a.error().message);
      d.apps.emplace(name, *a);
    }
  }
  return d;
}

Result<Deployment> LoadDeployment(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, 1u << 20));
  auto d = ParseDeployment(text);
  if (!d) return tl::unexpected(d.error().WithContext(path));
  return d;
}

Status SaveDeployment(const std::string& path, const Deployment& d) {
  RETURN_IF_ERROR(MakeParents(path));
  const std::string text = DumpJson(DeploymentToJson(d), 2) + "\n";
  return WriteFileAtomic(path, AsBytes(text), 0644);
}

}  // namespace teecloud::chain
