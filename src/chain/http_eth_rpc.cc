#include "chain/http_eth_rpc.h"

#include <utility>

namespace teecloud::chain {

namespace {

// Strict accessors over node responses: every failure names the field.
Result<const Json*> Field(const Json& obj, std::string_view key, std::string_view ctx) {
  if (!obj.is_object()) return DataLoss(std::string(ctx) + ": expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) return DataLoss(std::string(ctx) + "." + std::string(key) + ": missing");
  return &*it;
}

Result<std::string> StringOf(const Json& v, std::string_view what) {
  if (!v.is_string()) return DataLoss(std::string(what) + ": expected a string");
  return v.get<std::string>();
}

template <typename T, typename F>
Result<T> Parsed(const Json& v, std::string_view what, F parse) {
  ASSIGN_OR_RETURN(std::string s, StringOf(v, what));
  auto r = parse(s);
  if (!r) return DataLoss(std::string(what) + ": " + r.error().message);
  return *r;
}

Result<uint64_t> QuantityOf(const Json& v, std::string_view what) {
  return Parsed<uint64_t>(v, what, [](std::string_view s) { return ParseQuantity(s); });
}
Result<Hash32> HashOf(const Json& v, std::string_view what) {
  return Parsed<Hash32>(v, what, [](std::string_view s) { return ParseHash32(s); });
}
Result<Address> AddressOf(const Json& v, std::string_view what) {
  // Nodes send lower-case addresses; accept any case without checksum validation here.
  return Parsed<Address>(v, what, [](std::string_view s) -> Result<Address> {
    if (s.size() != 42) return InvalidArgument("expected 0x and 40 hex digits");
    ASSIGN_OR_RETURN(Bytes b, ParseHexData(s));
    return AddressFromBytes(b);
  });
}
Result<Bytes> DataOf(const Json& v, std::string_view what) {
  return Parsed<Bytes>(v, what, [](std::string_view s) { return ParseHexData(s); });
}

std::string Ctx(std::string_view ctx, std::string_view key) {
  return std::string(ctx) + "." + std::string(key);
}

Result<uint64_t> QuantityField(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, Field(obj, key, ctx));
  return QuantityOf(*v, Ctx(ctx, key));
}
Result<Hash32> HashField(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, Field(obj, key, ctx));
  return HashOf(*v, Ctx(ctx, key));
}
Result<Address> AddressField(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* v, Field(obj, key, ctx));
  return AddressOf(*v, Ctx(ctx, key));
}
// Absent or null -> nullopt.
Result<std::optional<Address>> OptionalAddressField(const Json& obj, std::string_view key,
                                                    std::string_view ctx) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<Address>();
  ASSIGN_OR_RETURN(Address a, AddressOf(*it, Ctx(ctx, key)));
  return std::optional<Address>(a);
}
Result<std::optional<uint64_t>> OptionalQuantityField(const Json& obj, std::string_view key,
                                                      std::string_view ctx) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<uint64_t>();
  ASSIGN_OR_RETURN(uint64_t q, QuantityOf(*it, Ctx(ctx, key)));
  return std::optional<uint64_t>(q);
}

Result<Log> ParseLog(const Json& j, std::string_view ctx) {
  Log log;
  ASSIGN_OR_RETURN(log.address, AddressField(j, "address", ctx));
  ASSIGN_OR_RETURN(const Json* topics, Field(j, "topics", ctx));
  if (!topics->is_array() || topics->size() > 4) {
    return DataLoss(Ctx(ctx, "topics") + ": expected an array of at most 4 hashes");
  }
  for (const Json& t : *topics) {
    ASSIGN_OR_RETURN(Hash32 h, HashOf(t, Ctx(ctx, "topics")));
    log.topics.push_back(h);
  }
  ASSIGN_OR_RETURN(const Json* data, Field(j, "data", ctx));
  ASSIGN_OR_RETURN(log.data, DataOf(*data, Ctx(ctx, "data")));
  ASSIGN_OR_RETURN(auto block, OptionalQuantityField(j, "blockNumber", ctx));
  log.block_number = block.value_or(0);
  if (auto it = j.find("blockHash"); it != j.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(log.block_hash, HashOf(*it, Ctx(ctx, "blockHash")));
  }
  if (auto it = j.find("transactionHash"); it != j.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(log.transaction_hash, HashOf(*it, Ctx(ctx, "transactionHash")));
  }
  ASSIGN_OR_RETURN(auto index, OptionalQuantityField(j, "logIndex", ctx));
  log.log_index = index.value_or(0);
  if (auto it = j.find("removed"); it != j.end() && it->is_boolean()) log.removed = it->get<bool>();
  return log;
}

Result<std::vector<Log>> ParseLogs(const Json& j, std::string_view ctx) {
  if (!j.is_array()) return DataLoss(std::string(ctx) + ": expected an array");
  std::vector<Log> logs;
  logs.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(Log log, ParseLog(j[i], std::string(ctx) + "[" + std::to_string(i) + "]"));
    logs.push_back(std::move(log));
  }
  return logs;
}

Result<TxReceipt> ParseReceipt(const Json& j) {
  constexpr std::string_view ctx = "receipt";
  TxReceipt r;
  ASSIGN_OR_RETURN(r.transaction_hash, HashField(j, "transactionHash", ctx));
  ASSIGN_OR_RETURN(r.block_number, QuantityField(j, "blockNumber", ctx));
  ASSIGN_OR_RETURN(r.block_hash, HashField(j, "blockHash", ctx));
  ASSIGN_OR_RETURN(r.from, AddressField(j, "from", ctx));
  ASSIGN_OR_RETURN(r.to, OptionalAddressField(j, "to", ctx));
  ASSIGN_OR_RETURN(r.contract_address, OptionalAddressField(j, "contractAddress", ctx));
  ASSIGN_OR_RETURN(uint64_t status, QuantityField(j, "status", ctx));
  if (status > 1) return DataLoss("receipt.status: expected 0x0 or 0x1");
  r.status = status == 1;
  ASSIGN_OR_RETURN(r.gas_used, QuantityField(j, "gasUsed", ctx));
  ASSIGN_OR_RETURN(r.effective_gas_price, OptionalQuantityField(j, "effectiveGasPrice", ctx));
  ASSIGN_OR_RETURN(const Json* logs, Field(j, "logs", ctx));
  ASSIGN_OR_RETURN(r.logs, ParseLogs(*logs, "receipt.logs"));
  return r;
}

Result<BlockHeader> ParseBlock(const Json& j) {
  constexpr std::string_view ctx = "block";
  BlockHeader b;
  ASSIGN_OR_RETURN(b.number, QuantityField(j, "number", ctx));
  ASSIGN_OR_RETURN(b.hash, HashField(j, "hash", ctx));
  ASSIGN_OR_RETURN(b.timestamp, QuantityField(j, "timestamp", ctx));
  ASSIGN_OR_RETURN(b.base_fee_per_gas, OptionalQuantityField(j, "baseFeePerGas", ctx));
  return b;
}

Result<FeeHistory> ParseFeeHistory(const Json& j) {
  constexpr std::string_view ctx = "feeHistory";
  FeeHistory h;
  ASSIGN_OR_RETURN(h.oldest_block, QuantityField(j, "oldestBlock", ctx));
  ASSIGN_OR_RETURN(const Json* base, Field(j, "baseFeePerGas", ctx));
  if (!base->is_array()) return DataLoss("feeHistory.baseFeePerGas: expected an array");
  for (const Json& v : *base) {
    ASSIGN_OR_RETURN(uint64_t fee, QuantityOf(v, "feeHistory.baseFeePerGas"));
    h.base_fee_per_gas.push_back(fee);
  }
  if (auto it = j.find("gasUsedRatio"); it != j.end() && it->is_array()) {
    for (const Json& v : *it) {
      if (!v.is_number()) return DataLoss("feeHistory.gasUsedRatio: expected numbers");
      h.gas_used_ratio.push_back(v.get<double>());
    }
  }
  if (auto it = j.find("reward"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return DataLoss("feeHistory.reward: expected an array");
    for (const Json& row : *it) {
      if (!row.is_array()) return DataLoss("feeHistory.reward: expected arrays");
      std::vector<uint64_t> rewards;
      for (const Json& v : row) {
        ASSIGN_OR_RETURN(uint64_t reward, QuantityOf(v, "feeHistory.reward"));
        rewards.push_back(reward);
      }
      h.reward.push_back(std::move(rewards));
    }
  }
  return h;
}

Json CallToJson(const CallRequest& call) {
  Json j = Json::object();
  if (call.from) j["from"] = HexData(*call.from);
  if (call.to) j["to"] = HexData(*call.to);
  j["data"] = HexData(call.data);
  if (!IsAllZero(ByteView(call.value.data(), call.value.size())))
    j["value"] = QuantityHex(call.value);
  if (call.gas) j["gas"] = QuantityHex(*call.gas);
  return j;
}

}  // namespace

Result<std::unique_ptr<HttpEthRpc>> HttpEthRpc::Create(std::string_view url,
                                                       RpcClientOptions options) {
  ASSIGN_OR_RETURN(auto client, JsonRpcClient::Create(url, std::move(options)));
  return std::unique_ptr<HttpEthRpc>(new HttpEthRpc(std::move(client)));
}

Result<uint64_t> HttpEthRpc::ChainId() {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_chainId", Json::array()));
  return QuantityOf(r, "eth_chainId");
}

Result<uint64_t> HttpEthRpc::BlockNumber() {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_blockNumber", Json::array()));
  return QuantityOf(r, "eth_blockNumber");
}

Result<std::optional<BlockHeader>> HttpEthRpc::FetchBlock(const BlockRef& block) {
  ASSIGN_OR_RETURN(Json r,
                   client_->Call("eth_getBlockByNumber", Json::array({block.ToRpc(), false})));
  if (r.is_null()) return std::optional<BlockHeader>();
  ASSIGN_OR_RETURN(BlockHeader b, ParseBlock(r));
  return std::optional<BlockHeader>(b);
}

Result<BlockRef> HttpEthRpc::Resolve(const BlockRef& block) {
  if (block.kind != BlockRef::Kind::kFinalized && block.kind != BlockRef::Kind::kSafe) return block;
  if (!finality_supported_) {
    auto probe = FetchBlock(BlockRef::Finalized());
    if (probe) {
      finality_supported_ = probe->has_value();
    } else {
      const Code c = probe.error().code;
      if (c != Code::kInvalidArgument && c != Code::kFailedPrecondition &&
          c != Code::kUnimplemented) {
        return tl::unexpected(probe.error());  // transport trouble: decide next time
      }
      finality_supported_ = false;
    }
  }
  return *finality_supported_ ? block : BlockRef::Latest();
}

Result<std::optional<BlockHeader>> HttpEthRpc::GetBlock(const BlockRef& block) {
  ASSIGN_OR_RETURN(BlockRef resolved, Resolve(block));
  return FetchBlock(resolved);
}

Result<Bytes> HttpEthRpc::GetCode(const Address& address, const BlockRef& block) {
  ASSIGN_OR_RETURN(BlockRef resolved, Resolve(block));
  ASSIGN_OR_RETURN(Json r,
                   client_->Call("eth_getCode", Json::array({HexData(address), resolved.ToRpc()})));
  return DataOf(r, "eth_getCode");
}

Result<Bytes> HttpEthRpc::Call(const CallRequest& call, const BlockRef& block) {
  ASSIGN_OR_RETURN(BlockRef resolved, Resolve(block));
  ASSIGN_OR_RETURN(Json r,
                   client_->Call("eth_call", Json::array({CallToJson(call), resolved.ToRpc()})));
  return DataOf(r, "eth_call");
}

Result<uint64_t> HttpEthRpc::EstimateGas(const CallRequest& call) {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_estimateGas", Json::array({CallToJson(call)})));
  return QuantityOf(r, "eth_estimateGas");
}

Result<uint64_t> HttpEthRpc::GetTransactionCount(const Address& address, const BlockRef& block) {
  ASSIGN_OR_RETURN(BlockRef resolved, Resolve(block));
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_getTransactionCount",
                                         Json::array({HexData(address), resolved.ToRpc()})));
  return QuantityOf(r, "eth_getTransactionCount");
}

Result<FeeHistory> HttpEthRpc::GetFeeHistory(uint64_t block_count, const BlockRef& newest,
                                             const std::vector<double>& reward_percentiles) {
  ASSIGN_OR_RETURN(BlockRef resolved, Resolve(newest));
  Json percentiles = Json::array();
  for (double p : reward_percentiles) percentiles.push_back(p);
  ASSIGN_OR_RETURN(Json r,
                   client_->Call("eth_feeHistory", Json::array({QuantityHex(block_count),
                                                                resolved.ToRpc(), percentiles})));
  return ParseFeeHistory(r);
}

Result<uint64_t> HttpEthRpc::GasPrice() {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_gasPrice", Json::array()));
  return QuantityOf(r, "eth_gasPrice");
}

Result<uint64_t> HttpEthRpc::MaxPriorityFeePerGas() {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_maxPriorityFeePerGas", Json::array()));
  return QuantityOf(r, "eth_maxPriorityFeePerGas");
}

Result<Hash32> HttpEthRpc::SendRawTransaction(ByteView raw) {
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_sendRawTransaction", Json::array({HexData(raw)})));
  return HashOf(r, "eth_sendRawTransaction");
}

Result<std::optional<TxReceipt>> HttpEthRpc::GetTransactionReceipt(const Hash32& tx_hash) {
  ASSIGN_OR_RETURN(Json r,
                   client_->Call("eth_getTransactionReceipt", Json::array({HexData(tx_hash)})));
  if (r.is_null()) return std::optional<TxReceipt>();
  ASSIGN_OR_RETURN(TxReceipt receipt, ParseReceipt(r));
  return std::optional<TxReceipt>(std::move(receipt));
}

Result<std::vector<Log>> HttpEthRpc::GetLogs(const LogFilter& filter) {
  ASSIGN_OR_RETURN(BlockRef from, Resolve(filter.from_block));
  ASSIGN_OR_RETURN(BlockRef to, Resolve(filter.to_block));
  Json f = {{"fromBlock", from.ToRpc()}, {"toBlock", to.ToRpc()}};
  if (filter.addresses.size() == 1) {
    f["address"] = HexData(filter.addresses[0]);
  } else if (!filter.addresses.empty()) {
    Json a = Json::array();
    for (const Address& addr : filter.addresses) a.push_back(HexData(addr));
    f["address"] = a;
  }
  if (!filter.topics.empty()) {
    Json topics = Json::array();
    for (const auto& alternatives : filter.topics) {
      if (alternatives.empty()) {
        topics.push_back(nullptr);
      } else if (alternatives.size() == 1) {
        topics.push_back(HexData(alternatives[0]));
      } else {
        Json any = Json::array();
        for (const Hash32& t : alternatives) any.push_back(HexData(t));
        topics.push_back(any);
      }
    }
    f["topics"] = topics;
  }
  ASSIGN_OR_RETURN(Json r, client_->Call("eth_getLogs", Json::array({f})));
  return ParseLogs(r, "eth_getLogs");
}

Result<std::unique_ptr<AnvilRpc>> AnvilRpc::Create(std::string_view url, RpcClientOptions options) {
  ASSIGN_OR_RETURN(auto client, JsonRpcClient::Create(url, std::move(options)));
  return std::unique_ptr<AnvilRpc>(new AnvilRpc(std::move(client)));
}

Status AnvilRpc::IncreaseTime(uint64_t seconds) {
  // anvil takes a number; hardhat takes a number too.
  ASSIGN_OR_RETURN(Json r, client_->Call("evm_increaseTime", Json::array({seconds})));
  (void)r;
  return OkStatus();
}

Status AnvilRpc::Mine() {
  ASSIGN_OR_RETURN(Json r, client_->Call("evm_mine", Json::array()));
  (void)r;
  return OkStatus();
}

}  // namespace teecloud::chain
