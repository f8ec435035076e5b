// HttpEthRpc: EthRpc over JSON-RPC/HTTP(S) against any Ethereum node.
//
// Not thread-safe (one in-flight request at a time, like JsonRpcClient). Response fields are
// parsed strictly: a missing or malformed field is kDataLoss naming the field.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "chain/eth_rpc.h"
#include "chain/json_rpc_client.h"

namespace teecloud::chain {

class HttpEthRpc final : public EthRpc {
 public:
  static Result<std::unique_ptr<HttpEthRpc>> Create(std::string_view url,
                                                    RpcClientOptions options = {});

  Result<uint64_t> ChainId() override;
  Result<uint64_t> BlockNumber() override;
  Result<std::optional<BlockHeader>> GetBlock(const BlockRef& block) override;
  Result<Bytes> GetCode(const Address& address, const BlockRef& block) override;
  Result<Bytes> Call(const CallRequest& call, const BlockRef& block) override;
  Result<uint64_t> EstimateGas(const CallRequest& call) override;
  Result<uint64_t> GetTransactionCount(const Address& address, const BlockRef& block) override;
  Result<FeeHistory> GetFeeHistory(uint64_t block_count, const BlockRef& newest,
                                   const std::vector<double>& reward_percentiles) override;
  Result<uint64_t> GasPrice() override;
  Result<uint64_t> MaxPriorityFeePerGas() override;
  Result<Hash32> SendRawTransaction(ByteView raw) override;
  Result<std::optional<TxReceipt>> GetTransactionReceipt(const Hash32& tx_hash) override;
  Result<std::vector<Log>> GetLogs(const LogFilter& filter) override;

  // Whether the node knows the "finalized"/"safe" tags; nullopt until first asked. When it
  // does not, those tags are served from "latest" (a node without finality, e.g. a dev chain).
  std::optional<bool> finality_tags_supported() const { return finality_supported_; }
  const std::string& endpoint() const { return client_->endpoint(); }

 private:
  explicit HttpEthRpc(std::unique_ptr<JsonRpcClient> client) : client_(std::move(client)) {}
  // Maps finalized/safe to latest on nodes that lack them (probed once, then remembered).
  Result<BlockRef> Resolve(const BlockRef& block);
  Result<std::optional<BlockHeader>> FetchBlock(const BlockRef& block);

  std::unique_ptr<JsonRpcClient> client_;
  std::optional<bool> finality_supported_;
};

// Test-chain controls of anvil (and hardhat): time travel and mining. Kept apart from EthRpc so
// production code cannot call them.
class AnvilRpc {
 public:
  static Result<std::unique_ptr<AnvilRpc>> Create(std::string_view url,
                                                  RpcClientOptions options = {});
  // evm_increaseTime: later blocks get timestamps `seconds` further ahead.
  Status IncreaseTime(uint64_t seconds);
  // evm_mine: mines one block now.
  Status Mine();

 private:
  explicit AnvilRpc(std::unique_ptr<JsonRpcClient> client) : client_(std::move(client)) {}
  std::unique_ptr<JsonRpcClient> client_;
};

}  // namespace teecloud::chain
