// HttpEthRpc / JsonRpcClient against a tiny JSON-RPC node (cpp-httplib server on 127.0.0.1:0)
// whose answers each test scripts: errors, reverts, oversized and malformed responses, the
// finalized-tag fallback, receipt waits and timeouts.
#include "chain/http_eth_rpc.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "chain/abi.h"
#include "chain/contracts.h"

namespace teecloud::chain {
namespace {

using namespace std::chrono_literals;

// A scripted JSON-RPC node. `answer` gets (method, params) and returns the JSON-RPC "result"
// or, for a Json object with key "error", the error; `raw` overrides the whole HTTP body.
class FakeNode {
 public:
  struct Reply {
    Json result;
    std::optional<Json> error;
    std::optional<std::string> raw;  // whole body, as is
    int status = 200;
  };
  using Handler = std::function<Reply(const std::string& method, const Json& params)>;

  FakeNode() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = ParseJson(req.body);
      if (!body) {
        res.status = 400;
        return;
      }
      const std::string method = (*body)["method"].get<std::string>();
      Handler handler;
      {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.push_back({method, (*body)["params"]});
        paths_.push_back(req.path);
        handler = handler_;
      }
      Reply reply = handler ? handler(method, (*body)["params"]) : Reply{};
      res.status = reply.status;
      if (reply.raw) {
        res.set_content(*reply.raw, "application/json");
        return;
      }
      Json out = {{"jsonrpc", "2.0"}, {"id", (*body)["id"]}};
      if (reply.error) {
        out["error"] = *reply.error;
      } else {
        out["result"] = reply.result;
      }
      res.set_content(out.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }

  ~FakeNode() {
    // stop() only works once the accept loop runs; it starts within milliseconds.
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
    server_.stop();
    thread_.join();
  }

  void Answer(Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(h);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::vector<std::pair<std::string, Json>> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::string> paths() {
    std::lock_guard<std::mutex> lock(mu_);
    return paths_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  Handler handler_;
  std::vector<std::pair<std::string, Json>> calls_;
  std::vector<std::string> paths_;
};

FakeNode::Reply Ok(Json r) {
  return FakeNode::Reply{std::move(r), std::nullopt, std::nullopt, 200};
}
FakeNode::Reply RpcError(int code, std::string message, Json data = nullptr) {
  Json e = {{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) e["data"] = std::move(data);
  return FakeNode::Reply{nullptr, e, std::nullopt, 200};
}

std::unique_ptr<HttpEthRpc> Connect(FakeNode& node, RpcClientOptions options = {}) {
  auto rpc = HttpEthRpc::Create(node.url(), std::move(options));
  EXPECT_TRUE(rpc.has_value());
  return std::move(*rpc);
}

Bytes ErrorString(std::string_view reason) {
  auto data = EncodeCall("Error(string)", {AbiString(reason)});
  EXPECT_TRUE(data.has_value());
  return *data;
}

TEST(HttpEthRpcTest, Basics) {
  FakeNode node;
  node.Answer([](const std::string& method, const Json&) {
    if (method == "eth_chainId") return Ok("0x7a69");
    if (method == "eth_blockNumber") return Ok("0x2a");
    if (method == "eth_gasPrice") return Ok("0x77359400");
    if (method == "eth_maxPriorityFeePerGas") return Ok("0x3b9aca00");
    if (method == "eth_getTransactionCount") return Ok("0x5");
    if (method == "eth_estimateGas") return Ok("0x5208");
    if (method == "eth_getCode") return Ok("0x6080");
    return RpcError(-32601, "Method not found");
  });
  auto rpc = Connect(node);
  EXPECT_EQ(*rpc->ChainId(), 31337u);
  EXPECT_EQ(*rpc->BlockNumber(), 42u);
  EXPECT_EQ(*rpc->GasPrice(), 2'000'000'000u);
  EXPECT_EQ(*rpc->MaxPriorityFeePerGas(), 1'000'000'000u);
  Address a{};
  a[19] = 1;
  EXPECT_EQ(*rpc->GetTransactionCount(a, BlockRef::Pending()), 5u);
  CallRequest call;
  call.from = a;
  call.to = a;
  call.value = U256FromUint64(7);
  EXPECT_EQ(*rpc->EstimateGas(call), 21000u);
  EXPECT_EQ(*rpc->GetCode(a, BlockRef::Latest()), (Bytes{0x60, 0x80}));
  auto calls = node.calls();
  ASSERT_EQ(calls.size(), 7u);
  EXPECT_EQ(calls[4].second, Json::array({HexData(a), "pending"}));
  EXPECT_EQ(calls[5].second[0]["value"], "0x7");
  EXPECT_EQ(calls[5].second[0]["to"], "0x0000000000000000000000000000000000000001");
  auto unknown = rpc->GetFeeHistory(1, BlockRef::Latest(), {});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, Code::kUnimplemented);
}

TEST(HttpEthRpcTest, JsonRpcErrorsKeepCodeAndMessage) {
  FakeNode node;
  node.Answer([](const std::string&, const Json&) {
    return RpcError(-32000, "nonce too low: next nonce 7, tx nonce 3");
  });
  auto rpc = Connect(node);
  auto r = rpc->SendRawTransaction(Bytes{0x02});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("-32000"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("nonce too low"), std::string::npos);
  EXPECT_NE(r.error().message.find("eth_sendRawTransaction"), std::string::npos);
  EXPECT_FALSE(IsRevert(r.error()));
}

TEST(HttpEthRpcTest, RevertReasonsAreDecoded) {
  FakeNode node;
  Json answer;
  std::mutex mu;
  node.Answer([&](const std::string&, const Json&) {
    std::lock_guard<std::mutex> lock(mu);
    return FakeNode::Reply{nullptr, answer, std::nullopt, 200};
  });
  auto set = [&](Json e) {
    std::lock_guard<std::mutex> lock(mu);
    answer = std::move(e);
  };
  RpcClientOptions options;
  options.revert_decoder = DecodeTeeCloudRevert;
  auto rpc = Connect(node, options);
  CallRequest call;
  call.to = Address{};

  // geth / anvil: code 3, data = Error(string).
  set({{"code", 3},
       {"message", "execution reverted: not allowed"},
       {"data", HexData(ErrorString("not allowed"))}});
  auto r = rpc->Call(call, BlockRef::Latest());
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(IsRevert(r.error()));
  EXPECT_EQ(r.error().message, "execution reverted: not allowed");

  // Data nested one level down (some nodes), reverting in eth_estimateGas.
  set({{"code", -32603},
       {"message", "execution reverted"},
       {"data", {{"data", HexData(ErrorString("nested"))}}}});
  auto gas = rpc->EstimateGas(call);
  ASSERT_FALSE(gas.has_value());
  EXPECT_EQ(gas.error().message, "execution reverted: nested");

  // A custom error of the contracts, decoded with its arguments.
  auto custom =
      EncodeCall("TimelockNotElapsed(uint64,uint256)", {AbiUint(1700003600), AbiUint(1700000001)});
  set({{"code", 3}, {"message", "execution reverted"}, {"data", HexData(*custom)}});
  r = rpc->Call(call, BlockRef::Latest());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "execution reverted: TimelockNotElapsed(readyAt=1700003600, nowTs=1700000001)");

  // Panic(0x11) and an unknown custom error.
  auto panic = EncodeCall("Panic(uint256)", {AbiUint(0x11)});
  set({{"code", 3}, {"message", "execution reverted"}, {"data", HexData(*panic)}});
  EXPECT_EQ(rpc->Call(call, BlockRef::Latest()).error().message, "execution reverted: panic 0x11");
  set({{"code", 3}, {"message", "execution reverted"}, {"data", "0xdeadbeef"}});
  EXPECT_EQ(rpc->Call(call, BlockRef::Latest()).error().message,
            "execution reverted: custom error 0xdeadbeef");

  // No data: the node's message is all there is.
  set({{"code", -32000}, {"message", "execution reverted: Ownable: caller is not the owner"}});
  EXPECT_EQ(rpc->Call(call, BlockRef::Latest()).error().message,
            "execution reverted: Ownable: caller is not the owner");
  set({{"code", 3}, {"message", "execution reverted"}, {"data", "0x"}});
  EXPECT_EQ(rpc->Call(call, BlockRef::Latest()).error().message,
            "execution reverted: no reason given");
}

TEST(HttpEthRpcTest, OversizedResponseIsRefused) {
  FakeNode node;
  const std::string huge = "\"0x" + std::string(2 << 20, '0') + "\"";
  node.Answer([&](const std::string&, const Json&) {
    FakeNode::Reply r;
    r.raw = R"({"jsonrpc":"2.0","id":1,"result":)" + huge + "}";
    return r;
  });
  RpcClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto rpc = Connect(node, options);
  auto r = rpc->Call(CallRequest{}, BlockRef::Latest());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kResourceExhausted);
  EXPECT_NE(r.error().message.find("1048576"), std::string::npos);
}

TEST(HttpEthRpcTest, MalformedResponses) {
  FakeNode node;
  std::atomic<int> mode{0};
  node.Answer([&](const std::string&, const Json&) {
    FakeNode::Reply r;
    switch (mode.load()) {
      case 0:
        r.raw = "not json";
        break;
      case 1:
        r.raw = R"({"jsonrpc":"2.0","id":999,"result":"0x1"})";
        break;
      case 2:
        r.raw = "upstream overloaded";
        r.status = 503;
        break;
      case 3:
        r.raw = R"({"jsonrpc":"2.0","id":1})";
        break;
      default:
        r.result = 17;  // a number where a quantity string belongs
    }
    return r;
  });
  auto rpc = Connect(node);
  EXPECT_EQ(rpc->ChainId().error().code, Code::kDataLoss);
  mode = 1;
  EXPECT_EQ(rpc->ChainId().error().code, Code::kDataLoss);
  mode = 2;
  auto unavailable = rpc->ChainId();
  EXPECT_EQ(unavailable.error().code, Code::kUnavailable);
  EXPECT_NE(unavailable.error().message.find("HTTP 503"), std::string::npos);
  mode = 3;
  EXPECT_EQ(rpc->ChainId().error().code, Code::kDataLoss);
  mode = 4;
  EXPECT_EQ(rpc->ChainId().error().code, Code::kDataLoss);
}

TEST(HttpEthRpcTest, FinalizedFallsBackToLatestWhenUnknown) {
  FakeNode node;
  node.Answer([](const std::string& method, const Json& params) {
    if (method == "eth_getBlockByNumber" && params[0] == "finalized") {
      return RpcError(-32602, "invalid block tag: finalized");
    }
    if (method == "eth_call") return Ok("0x01");
    return RpcError(-32601, "Method not found");
  });
  auto rpc = Connect(node);
  EXPECT_FALSE(rpc->finality_tags_supported().has_value());
  ASSERT_TRUE(rpc->Call(CallRequest{}, BlockRef::Finalized()).has_value());
  ASSERT_TRUE(rpc->Call(CallRequest{}, BlockRef::Safe()).has_value());
  ASSERT_TRUE(rpc->Call(CallRequest{}, BlockRef::Number(5)).has_value());
  EXPECT_EQ(rpc->finality_tags_supported(), std::optional<bool>(false));
  auto calls = node.calls();
  ASSERT_EQ(calls.size(), 4u);  // one probe, remembered
  EXPECT_EQ(calls[0].first, "eth_getBlockByNumber");
  EXPECT_EQ(calls[1].second[1], "latest");
  EXPECT_EQ(calls[2].second[1], "latest");
  EXPECT_EQ(calls[3].second[1], "0x5");
}

TEST(HttpEthRpcTest, FinalizedUsedWhenKnown) {
  FakeNode node;
  node.Answer([](const std::string& method, const Json&) {
    if (method == "eth_getBlockByNumber") {
      return Ok({{"number", "0x10"},
                 {"hash", "0x" + std::string(64, 'a')},
                 {"timestamp", "0x6553f100"},
                 {"baseFeePerGas", "0x7"}});
    }
    return Ok("0x");
  });
  auto rpc = Connect(node);
  ASSERT_TRUE(rpc->Call(CallRequest{}, BlockRef::Finalized()).has_value());
  EXPECT_EQ(rpc->finality_tags_supported(), std::optional<bool>(true));
  EXPECT_EQ(node.calls().back().second[1], "finalized");
  auto block = rpc->GetBlock(BlockRef::Finalized());
  ASSERT_TRUE(block.has_value() && block->has_value());
  EXPECT_EQ((*block)->number, 16u);
  EXPECT_EQ((*block)->timestamp, 1700000000u);
  EXPECT_EQ((*block)->base_fee_per_gas, std::optional<uint64_t>(7));
}

Json ReceiptJson(const std::string& status) {
  return {{"transactionHash", "0x" + std::string(64, '1')},
          {"blockNumber", "0x3"},
          {"blockHash", "0x" + std::string(64, '2')},
          {"from", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
          {"to", nullptr},
          {"contractAddress", "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
          {"status", status},
          {"gasUsed", "0x5208"},
          {"effectiveGasPrice", "0x3b9aca07"},
          {"logs", Json::array({{{"address", "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
                                 {"topics", Json::array({"0x" + std::string(64, '3')})},
                                 {"data", "0x00ff"},
                                 {"blockNumber", "0x3"},
                                 {"transactionHash", "0x" + std::string(64, '1')},
                                 {"logIndex", "0x0"},
                                 {"removed", false}}})}};
}

TEST(HttpEthRpcTest, ReceiptWaitPollsUntilMined) {
  FakeNode node;
  std::atomic<int> polls{0};
  node.Answer([&](const std::string&, const Json&) {
    return ++polls < 3 ? Ok(nullptr) : Ok(ReceiptJson("0x1"));
  });
  auto rpc = Connect(node);
  SteadyTicker ticker;
  ReceiptWaitOptions wait;
  wait.poll_interval = 5ms;
  wait.timeout = 10s;
  int waits = 0;
  wait.on_wait = [&](std::chrono::milliseconds) { ++waits; };
  auto receipt = WaitForReceipt(*rpc, Hash32{}, wait, ticker);
  ASSERT_TRUE(receipt.has_value()) << receipt.error().ToString();
  EXPECT_EQ(polls.load(), 3);
  EXPECT_EQ(waits, 2);
  EXPECT_TRUE(receipt->status);
  EXPECT_EQ(receipt->block_number, 3u);
  EXPECT_EQ(receipt->gas_used, 21000u);
  EXPECT_FALSE(receipt->to.has_value());
  ASSERT_TRUE(receipt->contract_address.has_value());
  EXPECT_EQ(ChecksumAddress(*receipt->contract_address),
            "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  ASSERT_EQ(receipt->logs.size(), 1u);
  EXPECT_EQ(receipt->logs[0].data, (Bytes{0x00, 0xff}));
}

TEST(HttpEthRpcTest, ReceiptWaitTimesOut) {
  FakeNode node;
  node.Answer([](const std::string&, const Json&) { return Ok(nullptr); });
  auto rpc = Connect(node);
  SteadyTicker ticker;
  ReceiptWaitOptions wait;
  wait.poll_interval = 10ms;
  wait.timeout = 150ms;
  const auto start = std::chrono::steady_clock::now();
  auto receipt = WaitForReceipt(*rpc, Hash32{}, wait, ticker);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(receipt.has_value());
  EXPECT_EQ(receipt.error().code, Code::kDeadlineExceeded);
  EXPECT_NE(receipt.error().message.find("not mined within"), std::string::npos);
  EXPECT_GE(node.calls().size(), 3u);
  EXPECT_LT(took, 5s);
}

TEST(HttpEthRpcTest, MalformedReceiptNamesTheField) {
  FakeNode node;
  node.Answer([](const std::string&, const Json&) {
    Json r = ReceiptJson("0x1");
    r.erase("blockHash");
    return Ok(r);
  });
  auto rpc = Connect(node);
  auto receipt = rpc->GetTransactionReceipt(Hash32{});
  ASSERT_FALSE(receipt.has_value());
  EXPECT_EQ(receipt.error().code, Code::kDataLoss);
  EXPECT_NE(receipt.error().message.find("receipt.blockHash"), std::string::npos);
}

TEST(HttpEthRpcTest, LogsAndFeeHistory) {
  FakeNode node;
  node.Answer([](const std::string& method, const Json&) {
    if (method == "eth_getLogs") return Ok(ReceiptJson("0x1")["logs"]);
    return Ok({{"oldestBlock", "0x1"},
               {"baseFeePerGas", Json::array({"0x3b9aca00", "0x342770c0"})},
               {"gasUsedRatio", Json::array({0.5})},
               {"reward", Json::array({Json::array({"0x1"})})}});
  });
  auto rpc = Connect(node);
  LogFilter filter;
  Address a{};
  a[0] = 0xaa;
  filter.addresses = {a};
  filter.topics = {{Hash32{}}, {}, {Hash32{}, Hash32{}}};
  filter.from_block = BlockRef::Number(1);
  auto logs = rpc->GetLogs(filter);
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].block_number, 3u);
  const Json sent = node.calls()[0].second[0];
  EXPECT_EQ(sent["fromBlock"], "0x1");
  EXPECT_EQ(sent["toBlock"], "latest");
  EXPECT_EQ(sent["address"], HexData(a));
  EXPECT_TRUE(sent["topics"][1].is_null());
  EXPECT_EQ(sent["topics"][2].size(), 2u);
  auto history = rpc->GetFeeHistory(1, BlockRef::Latest(), {50.0});
  ASSERT_TRUE(history.has_value()) << history.error().ToString();
  EXPECT_EQ(history->base_fee_per_gas, (std::vector<uint64_t>{1'000'000'000, 875'000'000}));
  EXPECT_EQ(history->reward, (std::vector<std::vector<uint64_t>>{{1}}));
}

TEST(HttpEthRpcTest, SlowNodeTimesOut) {
  FakeNode node;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  node.Answer([&](const std::string&, const Json&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, 10s, [&] { return release; });
    return Ok("0x1");
  });
  RpcClientOptions options;
  options.request_timeout = 200ms;
  auto rpc = Connect(node, options);
  auto r = rpc->ChainId();
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().code == Code::kDeadlineExceeded || r.error().code == Code::kUnavailable)
      << r.error().ToString();
}

TEST(HttpEthRpcTest, UnreachableNodeAndUrlHygiene) {
  int closed_port = 0;
  {
    FakeNode node;
    closed_port = node.port();
  }
  auto rpc = HttpEthRpc::Create("http://127.0.0.1:" + std::to_string(closed_port) +
                                "/v3/secret-api-key?token=hunter2");
  ASSERT_TRUE(rpc.has_value());
  auto r = (*rpc)->ChainId();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnavailable);
  // Endpoints are named without their path or query (API keys live there).
  EXPECT_EQ(r.error().message.find("secret-api-key"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);

  EXPECT_FALSE(HttpEthRpc::Create("ftp://127.0.0.1:1").has_value());
  EXPECT_FALSE(HttpEthRpc::Create("127.0.0.1:8545").has_value());
  EXPECT_FALSE(HttpEthRpc::Create("http://user:pw@127.0.0.1:8545").has_value());
  EXPECT_FALSE(HttpEthRpc::Create("http://127.0.0.1:0").has_value());
  EXPECT_FALSE(HttpEthRpc::Create("http://127.0.0.1:99999").has_value());
  EXPECT_FALSE(HttpEthRpc::Create("http://:8545").has_value());
  EXPECT_TRUE(HttpEthRpc::Create("http://[::1]:8545/rpc").has_value());
  EXPECT_TRUE(HttpEthRpc::Create("https://rpc.example.org/v3/key").has_value());
}

TEST(HttpEthRpcTest, PostsToTheUrlPath) {
  FakeNode node;
  node.Answer([](const std::string&, const Json&) { return Ok("0x1"); });
  auto rpc = HttpEthRpc::Create(node.url() + "/v3/key?x=1");
  ASSERT_TRUE(rpc.has_value());
  ASSERT_TRUE((*rpc)->ChainId().has_value());
  EXPECT_EQ(node.paths().at(0), "/v3/key");
}

}  // namespace
}  // namespace teecloud::chain
