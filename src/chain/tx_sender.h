// TransactionSender: builds, signs, sends a transaction and waits for its receipt.
//
// Nonce from eth_getTransactionCount(pending); gas from eth_estimateGas (+20%), which is also
// where a call that would revert fails, with its decoded reason, before anything is sent; fees:
// EIP-1559 (maxFee = 2 * baseFee + tip, tip from eth_maxPriorityFeePerGas, else the median of
// eth_feeHistory's 50th percentile) when the latest block has a base fee, else a legacy EIP-155
// transaction at eth_gasPrice. A mined transaction with status 0 is an error (kAborted) whose
// reason comes from replaying the call on the parent block.
//
// Not thread-safe; one sender per account (nonces are not coordinated across senders).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "chain/eth_rpc.h"
#include "chain/signer.h"
#include "chain/types.h"

namespace teecloud::chain {

struct TxRequest {
  std::optional<Address> to;  // absent: contract creation (data = init code)
  Bytes data;
  U256 value{};
};

struct SendOptions {
  bool legacy = false;                // force a type-0 (EIP-155) transaction
  std::optional<uint64_t> gas_limit;  // skip eth_estimateGas
  ReceiptWaitOptions wait;
  // Progress lines for humans ("transaction 0x... sent, waiting for the receipt"); may be empty.
  std::function<void(std::string_view)> progress;
};

struct SuggestedFees {
  bool eip1559 = true;
  uint64_t max_fee_per_gas = 0;           // EIP-1559
  uint64_t max_priority_fee_per_gas = 0;  // EIP-1559
  uint64_t gas_price = 0;                 // legacy
};

struct SentTx {
  Hash32 hash{};
  TxReceipt receipt;
};

class TransactionSender {
 public:
  // `rpc`, `signer` and `ticker` must outlive the sender.
  TransactionSender(EthRpc& rpc, const Signer& signer, uint64_t chain_id, Ticker& ticker)
      : rpc_(rpc), signer_(signer), chain_id_(chain_id), ticker_(ticker) {}

  Result<SuggestedFees> SuggestFees(bool legacy);
  // Sends and waits for the receipt (bounded by options.wait). Errors: reverts (kAborted, with
  // the reason, before sending when the estimate reverts), node refusals (kFailedPrecondition),
  // kDeadlineExceeded when not mined in time (the transaction may still be mined later).
  Result<SentTx> Send(const TxRequest& request, const SendOptions& options);

 private:
  EthRpc& rpc_;
  const Signer& signer_;
  uint64_t chain_id_;
  Ticker& ticker_;
};

}  // namespace teecloud::chain
