// Deployment: where a teecloud network's contracts live, written by `teecloud chain deploy` and
// read by every later command (default ~/.teecloud/deployment.json):
//   {"chain_id": 31337, "rpc": "http://127.0.0.1:8545", "registry": "0x..", "factory": "0x..",
//    "deployer": "0x..", "block": 3, "apps": {"hello": "0x.."}}
// "apps" maps names given to `teecloud app create` to app ids (optional).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "chain/types.h"

namespace teecloud::chain {

struct Deployment {
  uint64_t chain_id = 0;
  std::string rpc;
  Address registry{};
  Address factory{};
  Address deployer{};
  uint64_t block = 0;  // block of the last deployment transaction
  std::map<std::string, Address> apps;
};

OrderedJson DeploymentToJson(const Deployment& d);
Result<Deployment> ParseDeployment(std::string_view json_text);
Result<Deployment> LoadDeployment(const std::string& path);
// Creates the parent directory (0755) if needed; writes atomically with mode 0644.
Status SaveDeployment(const std::string& path, const Deployment& d);

}  // namespace teecloud::chain
