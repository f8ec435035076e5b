// EthRpc: the Ethereum JSON-RPC methods teecloud uses, behind an interface so logic can be
// tested against FakeEthRpc and run against any node (HttpEthRpc).
//
// Error model (every method):
//   kAborted            the EVM reverted (eth_call / eth_estimateGas, or a mined transaction
//                       with status 0); the message is "execution reverted: <decoded reason>".
//   kFailedPrecondition the node answered with another JSON-RPC error (nonce too low,
//                       insufficient funds, ...): "json-rpc error <code>: <message>".
//   kUnimplemented      the node does not know the method (-32601).
//   kUnavailable / kDeadlineExceeded / kResourceExhausted / kDataLoss
//                       transport failure, timeout, oversized or malformed response.
// Messages never contain private keys (nothing here ever sees one).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "chain/types.h"

namespace teecloud::chain {

// Prefix of every revert error message.
inline constexpr std::string_view kRevertPrefix = "execution reverted";
// True for errors that report an EVM revert.
bool IsRevert(const Error& e);

// Turns ABI-encoded revert data into a human reason. The default understands Error(string) and
// Panic(uint256) and names any other selector ("custom error 0x1234abcd with data 0x...");
// contracts.h has one that also knows teecloud's custom errors.
using RevertDecoder = std::function<std::string(ByteView revert_data)>;
std::string DefaultRevertDecoder(ByteView revert_data);

// eth_call / eth_estimateGas arguments. `to` absent means contract creation.
struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;
  Bytes data;
  U256 value{};
  std::optional<uint64_t> gas;
};

struct BlockHeader {
  uint64_t number = 0;
  Hash32 hash{};
  uint64_t timestamp = 0;
  std::optional<uint64_t> base_fee_per_gas;  // absent before London / on legacy chains
};

struct Log {
  Address address{};
  std::vector<Hash32> topics;
  Bytes data;
  uint64_t block_number = 0;
  Hash32 block_hash{};
  Hash32 transaction_hash{};
  uint64_t log_index = 0;
  bool removed = false;
};

struct TxReceipt {
  Hash32 transaction_hash{};
  uint64_t block_number = 0;
  Hash32 block_hash{};
  Address from{};
  std::optional<Address> to;
  std::optional<Address> contract_address;  // contract creation only
  bool status = false;                      // true: success
  uint64_t gas_used = 0;
  std::optional<uint64_t> effective_gas_price;
  std::vector<Log> logs;
};

struct FeeHistory {
  uint64_t oldest_block = 0;
  std::vector<uint64_t> base_fee_per_gas;  // one more entry than blocks (the next block)
  std::vector<double> gas_used_ratio;
  std::vector<std::vector<uint64_t>> reward;  // per block, per requested percentile
};

// eth_getLogs filter. Each topics[i] is a set of alternatives; an empty set matches anything.
struct LogFilter {
  std::vector<Address> addresses;
  std::vector<std::vector<Hash32>> topics;
  BlockRef from_block = BlockRef::Earliest();
  BlockRef to_block = BlockRef::Latest();
};

class EthRpc {
 public:
  virtual ~EthRpc() = default;

  virtual Result<uint64_t> ChainId() = 0;
  virtual Result<uint64_t> BlockNumber() = 0;
  // nullopt when the node has no such block.
  virtual Result<std::optional<BlockHeader>> GetBlock(const BlockRef& block) = 0;
  virtual Result<Bytes> GetCode(const Address& address, const BlockRef& block) = 0;
  // eth_call. A revert is kAborted with the decoded reason. Implementations resolve
  // BlockRef::Finalized() / Safe() to latest on nodes that do not know those tags.
  virtual Result<Bytes> Call(const CallRequest& call, const BlockRef& block) = 0;
  virtual Result<uint64_t> EstimateGas(const CallRequest& call) = 0;
  // The next nonce: eth_getTransactionCount(address, block) (use Pending() to send).
  virtual Result<uint64_t> GetTransactionCount(const Address& address, const BlockRef& block) = 0;
  virtual Result<FeeHistory> GetFeeHistory(uint64_t block_count, const BlockRef& newest,
                                           const std::vector<double>& reward_percentiles) = 0;
  virtual Result<uint64_t> GasPrice() = 0;
  virtual Result<uint64_t> MaxPriorityFeePerGas() = 0;
  // Returns the hash the node computed.
  virtual Result<Hash32> SendRawTransaction(ByteView raw) = 0;
  // nullopt while the transaction is not mined (or unknown).
  virtual Result<std::optional<TxReceipt>> GetTransactionReceipt(const Hash32& tx_hash) = 0;
  virtual Result<std::vector<Log>> GetLogs(const LogFilter& filter) = 0;
};

// Monotonic time and sleeping, behind an interface so bounded waits are testable without
// sleeping (FakeTicker).
class Ticker {
 public:
  virtual ~Ticker() = default;
  virtual std::chrono::milliseconds Now() = 0;
  virtual void Sleep(std::chrono::milliseconds d) = 0;
};

class SteadyTicker final : public Ticker {
 public:
  std::chrono::milliseconds Now() override;
  void Sleep(std::chrono::milliseconds d) override;
};

// Sleep() advances Now() instead of sleeping.
class FakeTicker final : public Ticker {
 public:
  std::chrono::milliseconds Now() override { return now_; }
  void Sleep(std::chrono::milliseconds d) override { now_ += d; }

 private:
  std::chrono::milliseconds now_{0};
};

struct ReceiptWaitOptions {
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  // Called before each poll after the first (progress output); may be empty.
  std::function<void(std::chrono::milliseconds elapsed)> on_wait;
};

// Polls eth_getTransactionReceipt until the transaction is mined or `timeout` has passed
// (kDeadlineExceeded). Transport errors while polling (kUnavailable, kDeadlineExceeded) are
// retried until the deadline; any other error ends the wait. A receipt with status 0 is
// returned as it is (the caller decides; see TransactionSender).
Result<TxReceipt> WaitForReceipt(EthRpc& rpc, const Hash32& tx_hash,
                                 const ReceiptWaitOptions& options, Ticker& ticker);

}  // namespace teecloud::chain
