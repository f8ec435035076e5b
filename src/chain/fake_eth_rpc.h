// FakeEthRpc: an in-memory EthRpc for logic tests (transaction building, receipt waits,
// bindings). It does not execute the EVM: eth_call answers come from a handler the test sets.
//
// Sent transactions are parsed (DecodeSignedTransaction) and recorded; each gets a receipt that
// becomes visible after `polls_until_mined` receipt polls, with status `next_status`.
// Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "chain/eth_rpc.h"
#include "chain/transaction.h"

namespace teecloud::chain {

class FakeEthRpc final : public EthRpc {
 public:
  // --- what the node answers (tests set these) ---
  uint64_t chain_id = 31337;
  BlockHeader latest{1, {}, 1'700'000'000, 1'000'000'000};
  bool has_finalized = true;  // false: "finalized" is unknown (Call falls back to latest)
  uint64_t gas_price = 2'000'000'000;
  Result<uint64_t> max_priority_fee = 1'000'000'000;
  FeeHistory fee_history;
  std::map<Address, uint64_t> nonces;
  std::map<Address, Bytes> code;
  std::function<Result<Bytes>(const CallRequest&, const BlockRef&)> on_call;
  std::function<Result<uint64_t>(const CallRequest&)> on_estimate;  // default: 50000
  std::vector<Log> logs;
  int polls_until_mined = 0;
  bool next_status = true;
  // Method name ("eth_call", ...) -> error to return instead of answering.
  std::map<std::string, Error> failures;

  // --- what happened ---
  std::vector<DecodedTx> sent;
  std::vector<BlockRef> call_blocks;  // the block of every eth_call, as served
  int receipt_polls = 0;

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

 private:
  Status Fail(const std::string& method) const;
  struct Pending {
    TxReceipt receipt;
    int polls_left = 0;
  };
  std::map<Hash32, Pending> receipts_;
};

}  // namespace teecloud::chain
