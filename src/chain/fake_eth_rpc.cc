#include "chain/fake_eth_rpc.h"

#include <algorithm>

namespace teecloud::chain {

Status FakeEthRpc::Fail(const std::string& method) const {
  auto it = failures.find(method);
  if (it != failures.end()) return tl::unexpected(it->second);
  return OkStatus();
}

Result<uint64_t> FakeEthRpc::ChainId() {
  RETURN_IF_ERROR(Fail("eth_chainId"));
  return chain_id;
}

Result<uint64_t> FakeEthRpc::BlockNumber() {
  RETURN_IF_ERROR(Fail("eth_blockNumber"));
  return latest.number;
}

Result<std::optional<BlockHeader>> FakeEthRpc::GetBlock(const BlockRef& block) {
  RETURN_IF_ERROR(Fail("eth_getBlockByNumber"));
  if (block.kind == BlockRef::Kind::kNumber && block.number > latest.number) {
    return std::optional<BlockHeader>();
  }
  return std::optional<BlockHeader>(latest);
}

Result<Bytes> FakeEthRpc::GetCode(const Address& address, const BlockRef&) {
  RETURN_IF_ERROR(Fail("eth_getCode"));
  auto it = code.find(address);
  return it == code.end() ? Bytes{} : it->second;
}

Result<Bytes> FakeEthRpc::Call(const CallRequest& call, const BlockRef& block) {
  RETURN_IF_ERROR(Fail("eth_call"));
  BlockRef served = block;
  if (!has_finalized &&
      (block.kind == BlockRef::Kind::kFinalized || block.kind == BlockRef::Kind::kSafe)) {
    served = BlockRef::Latest();
  }
  call_blocks.push_back(served);
  if (!on_call) return Bytes{};
  return on_call(call, served);
}

Result<uint64_t> FakeEthRpc::EstimateGas(const CallRequest& call) {
  RETURN_IF_ERROR(Fail("eth_estimateGas"));
  if (on_estimate) return on_estimate(call);
  return 50000;
}

Result<uint64_t> FakeEthRpc::GetTransactionCount(const Address& address, const BlockRef&) {
  RETURN_IF_ERROR(Fail("eth_getTransactionCount"));
  auto it = nonces.find(address);
  return it == nonces.end() ? 0 : it->second;
}

Result<FeeHistory> FakeEthRpc::GetFeeHistory(uint64_t, const BlockRef&,
                                             const std::vector<double>&) {
  RETURN_IF_ERROR(Fail("eth_feeHistory"));
  return fee_history;
}

Result<uint64_t> FakeEthRpc::GasPrice() {
  RETURN_IF_ERROR(Fail("eth_gasPrice"));
  return gas_price;
}

Result<uint64_t> FakeEthRpc::MaxPriorityFeePerGas() {
  RETURN_IF_ERROR(Fail("eth_maxPriorityFeePerGas"));
  return max_priority_fee;
}

Result<Hash32> FakeEthRpc::SendRawTransaction(ByteView raw) {
  RETURN_IF_ERROR(Fail("eth_sendRawTransaction"));
  ASSIGN_OR_RETURN(DecodedTx tx, DecodeSignedTransaction(raw));
  if (!tx.chain_id || *tx.chain_id != chain_id) {
    return MakeError(Code::kFailedPrecondition, "json-rpc error -32000: invalid chain id");
  }
  uint64_t& nonce = nonces[tx.sender];
  if (tx.nonce != nonce) {
    return MakeError(Code::kFailedPrecondition, "json-rpc error -32000: nonce too low");
  }
  ++nonce;
  ++latest.number;
  Pending p;
  p.receipt.transaction_hash = tx.hash;
  p.receipt.block_number = latest.number;
  p.receipt.from = tx.sender;
  p.receipt.to = tx.to;
  p.receipt.status = next_status;
  p.receipt.gas_used = 21000;
  if (!tx.to) {
    // A stand-in for the CREATE address; tests only need it to be stable and non-zero.
    p.receipt.contract_address = Address{};
    p.receipt.contract_address->fill(0xcc);
    (*p.receipt.contract_address)[19] = static_cast<uint8_t>(tx.nonce);
  }
  p.polls_left = polls_until_mined;
  receipts_[tx.hash] = std::move(p);
  sent.push_back(std::move(tx));
  return sent.back().hash;
}

Result<std::optional<TxReceipt>> FakeEthRpc::GetTransactionReceipt(const Hash32& tx_hash) {
  ++receipt_polls;
  RETURN_IF_ERROR(Fail("eth_getTransactionReceipt"));
  auto it = receipts_.find(tx_hash);
  if (it == receipts_.end()) return std::optional<TxReceipt>();
  if (it->second.polls_left > 0) {
    --it->second.polls_left;
    return std::optional<TxReceipt>();
  }
  return std::optional<TxReceipt>(it->second.receipt);
}

Result<std::vector<Log>> FakeEthRpc::GetLogs(const LogFilter& filter) {
  RETURN_IF_ERROR(Fail("eth_getLogs"));
  std::vector<Log> out;
  for (const Log& log : logs) {
    if (!filter.addresses.empty() && std::find(filter.addresses.begin(), filter.addresses.end(),
                                               log.address) == filter.addresses.end()) {
      continue;
    }
    bool match = true;
    for (size_t i = 0; i < filter.topics.size() && match; ++i) {
      if (filter.topics[i].empty()) continue;
      match = i < log.topics.size() && std::find(filter.topics[i].begin(), filter.topics[i].end(),
                                                 log.topics[i]) != filter.topics[i].end();
    }
    if (match) out.push_back(log);
  }
  return out;
}

}  // namespace teecloud::chain
