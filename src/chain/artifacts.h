// Compiled contract artifacts: the ABI and creation bytecode of each contract, produced during
// the build from contracts/src by contracts/build-artifacts.js (solc-js) into
// <build>/share/teecloud/contracts.json. Nothing compiled is committed to the repository.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "base/json.h"

namespace teecloud::chain {

// Overrides where the CLI looks for contracts.json.
inline constexpr char kContractsEnv[] = "TEECLOUD_CONTRACTS";

struct ContractArtifact {
  Json abi;        // the Solidity JSON ABI
  Bytes bytecode;  // creation code (append ABI-encoded constructor arguments to deploy)
};

struct ContractArtifacts {
  std::string compiler;  // solc version that produced them
  std::map<std::string, ContractArtifact> contracts;

  // kNotFound naming the contract when it is absent or has no bytecode.
  Result<const ContractArtifact*> Get(std::string_view name) const;
};

Result<ContractArtifacts> ParseContractArtifacts(std::string_view json_text);
Result<ContractArtifacts> LoadContractArtifacts(const std::string& path);

}  // namespace teecloud::chain
