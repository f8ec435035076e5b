#include "chain/tx_sender.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "chain/transaction.h"

namespace teecloud::chain {

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

Result<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  if (a > kMax - b) return OutOfRange("fee overflow");
  return a + b;
}

Result<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > kMax / a) return OutOfRange("fee overflow");
  return a * b;
}

bool NodeLacksMethod(const Error& e) {
  return e.code == Code::kUnimplemented || e.code == Code::kInvalidArgument ||
         e.code == Code::kFailedPrecondition;
}

}  // namespace

Result<SuggestedFees> TransactionSender::SuggestFees(bool legacy) {
  SuggestedFees fees;
  std::optional<uint64_t> base_fee;
  if (!legacy) {
    ASSIGN_OR_RETURN(auto latest, rpc_.GetBlock(BlockRef::Latest()));
    if (!latest) return DataLoss("the node has no latest block");
    base_fee = latest->base_fee_per_gas;
  }
  if (!base_fee) {
    fees.eip1559 = false;
    ASSIGN_OR_RETURN(fees.gas_price, rpc_.GasPrice());
    return fees;
  }
  uint64_t tip = 0;
  auto suggested = rpc_.MaxPriorityFeePerGas();
  if (suggested) {
    tip = *suggested;
  } else if (NodeLacksMethod(suggested.error())) {
    ASSIGN_OR_RETURN(FeeHistory history, rpc_.GetFeeHistory(5, BlockRef::Latest(), {50.0}));
    std::vector<uint64_t> rewards;
    for (const auto& row : history.reward) {
      if (!row.empty()) rewards.push_back(row[0]);
    }
    if (!rewards.empty()) {
      std::sort(rewards.begin(), rewards.end());
      tip = rewards[rewards.size() / 2];
    }
  } else {
    return tl::unexpected(suggested.error());
  }
  ASSIGN_OR_RETURN(uint64_t doubled, CheckedMul(*base_fee, 2));
  ASSIGN_OR_RETURN(fees.max_fee_per_gas, CheckedAdd(doubled, tip));
  fees.max_priority_fee_per_gas = tip;
  return fees;
}

Result<SentTx> TransactionSender::Send(const TxRequest& request, const SendOptions& options) {
  const Address from = signer_.address();
  ASSIGN_OR_RETURN(uint64_t nonce, rpc_.GetTransactionCount(from, BlockRef::Pending()));

  uint64_t gas_limit = 0;
  if (options.gas_limit) {
    gas_limit = *options.gas_limit;
  } else {
    CallRequest call{from, request.to, request.data, request.value, std::nullopt};
    ASSIGN_OR_RETURN(uint64_t estimate, rpc_.EstimateGas(call));
    ASSIGN_OR_RETURN(gas_limit, CheckedAdd(estimate, estimate / 5));
    gas_limit = std::max<uint64_t>(gas_limit, 21000);
  }

  ASSIGN_OR_RETURN(SuggestedFees fees, SuggestFees(options.legacy));
  SignedTx signed_tx;
  if (fees.eip1559) {
    Eip1559Tx tx;
    tx.chain_id = chain_id_;
    tx.nonce = nonce;
    tx.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
    tx.max_fee_per_gas = fees.max_fee_per_gas;
    tx.gas_limit = gas_limit;
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    ASSIGN_OR_RETURN(signed_tx, SignTransaction(tx, signer_));
  } else {
    LegacyTx tx;
    tx.nonce = nonce;
    tx.gas_price = fees.gas_price;
    tx.gas_limit = gas_limit;
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    tx.chain_id = chain_id_;
    ASSIGN_OR_RETURN(signed_tx, SignTransaction(tx, signer_));
  }

  ASSIGN_OR_RETURN(Hash32 node_hash, rpc_.SendRawTransaction(signed_tx.raw));
  if (node_hash != signed_tx.hash) {
    return DataLoss("the node reports transaction hash " + HexData(node_hash) + ", expected " +
                    HexData(signed_tx.hash));
  }
  if (options.progress) {
    options.progress("transaction " + HexData(signed_tx.hash) + " sent (nonce " +
                     std::to_string(nonce) + "), waiting for its receipt");
  }
  ASSIGN_OR_RETURN(TxReceipt receipt, WaitForReceipt(rpc_, signed_tx.hash, options.wait, ticker_));
  if (!receipt.status) {
    std::string reason = "execution reverted: no reason given";
    CallRequest replay{from, request.to, request.data, request.value, gas_limit};
    const BlockRef parent =
        BlockRef::Number(receipt.block_number > 0 ? receipt.block_number - 1 : 0);
    auto replayed = rpc_.Call(replay, parent);
    if (!replayed && IsRevert(replayed.error())) reason = replayed.error().message;
    return MakeError(Code::kAborted, reason + " (transaction " + HexData(signed_tx.hash) +
                                         " in block " + std::to_string(receipt.block_number) + ")");
  }
  return SentTx{signed_tx.hash, std::move(receipt)};
}

}  // namespace teecloud::chain
