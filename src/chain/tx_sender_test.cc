// TransactionSender and WaitForReceipt logic against FakeEthRpc and FakeTicker (no network, no
// sleeping).
#include "chain/tx_sender.h"

#include <gtest/gtest.h>

#include "chain/abi.h"
#include "chain/fake_eth_rpc.h"

namespace teecloud::chain {
namespace {

using namespace std::chrono_literals;

Signer TestSigner() {
  auto key = ParsePrivateKeyHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  auto signer = Signer::FromPrivateKey(std::move(*key));
  EXPECT_TRUE(signer.has_value());
  return std::move(*signer);
}

TxRequest CallTo(uint8_t last_byte) {
  TxRequest r;
  r.to = Address{};
  (*r.to)[19] = last_byte;
  r.data = {0xde, 0xad, 0xbe, 0xef};
  return r;
}

TEST(TxSenderTest, SendsEip1559WithSuggestedFees) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.nonces[signer.address()] = 7;
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  std::vector<std::string> progress;
  SendOptions options;
  options.progress = [&](std::string_view line) { progress.emplace_back(line); };
  auto sent = sender.Send(CallTo(1), options);
  ASSERT_TRUE(sent.has_value()) << sent.error().ToString();
  ASSERT_EQ(rpc.sent.size(), 1u);
  const DecodedTx& tx = rpc.sent[0];
  EXPECT_EQ(tx.type, 2);
  EXPECT_EQ(tx.nonce, 7u);
  EXPECT_EQ(tx.sender, signer.address());
  EXPECT_EQ(tx.gas_limit, 60000u);  // 50000 estimated + 20%
  EXPECT_EQ(*tx.chain_id, 31337u);
  EXPECT_EQ(tx.data, (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(sent->hash, tx.hash);
  EXPECT_TRUE(sent->receipt.status);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_NE(progress[0].find(HexData(tx.hash)), std::string::npos);

  auto fees = sender.SuggestFees(false);
  ASSERT_TRUE(fees.has_value());
  EXPECT_TRUE(fees->eip1559);
  EXPECT_EQ(fees->max_priority_fee_per_gas, 1'000'000'000u);
  EXPECT_EQ(fees->max_fee_per_gas, 3'000'000'000u);  // 2 * base fee + tip
}

TEST(TxSenderTest, LegacyWithoutBaseFeeOrWhenAsked) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  rpc.latest.base_fee_per_gas.reset();
  ASSERT_TRUE(sender.Send(CallTo(1), {}).has_value());
  rpc.latest.base_fee_per_gas = 7;
  SendOptions legacy;
  legacy.legacy = true;
  ASSERT_TRUE(sender.Send(CallTo(1), legacy).has_value());
  ASSERT_EQ(rpc.sent.size(), 2u);
  for (const DecodedTx& tx : rpc.sent) {
    EXPECT_EQ(tx.type, 0);
    EXPECT_EQ(*tx.chain_id, 31337u);  // EIP-155
    EXPECT_EQ(tx.sender, signer.address());
  }
  EXPECT_EQ(rpc.sent[1].nonce, 1u);
}

TEST(TxSenderTest, TipFromFeeHistoryWhenTheMethodIsMissing) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.max_priority_fee = tl::unexpected(Error{Code::kUnimplemented, "json-rpc error -32601"});
  rpc.fee_history.reward = {{5}, {1}, {3}};
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  auto fees = sender.SuggestFees(false);
  ASSERT_TRUE(fees.has_value()) << fees.error().ToString();
  EXPECT_EQ(fees->max_priority_fee_per_gas, 3u);
  EXPECT_EQ(fees->max_fee_per_gas, 2'000'000'003u);
  // Transport trouble is not papered over.
  rpc.max_priority_fee = tl::unexpected(Error{Code::kUnavailable, "down"});
  EXPECT_EQ(sender.SuggestFees(false).error().code, Code::kUnavailable);
}

TEST(TxSenderTest, RevertingEstimateStopsBeforeSending) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.on_estimate = [](const CallRequest&) -> Result<uint64_t> {
    return MakeError(Code::kAborted, "execution reverted: AppIsFrozen()");
  };
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  auto sent = sender.Send(CallTo(1), {});
  ASSERT_FALSE(sent.has_value());
  EXPECT_TRUE(IsRevert(sent.error()));
  EXPECT_EQ(sent.error().message, "execution reverted: AppIsFrozen()");
  EXPECT_TRUE(rpc.sent.empty());
}

TEST(TxSenderTest, WaitsForTheReceiptWithoutSleeping) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.polls_until_mined = 3;
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  SendOptions options;
  options.wait.poll_interval = 1s;
  options.wait.timeout = 60s;
  std::vector<int64_t> waits;
  options.wait.on_wait = [&](std::chrono::milliseconds elapsed) {
    waits.push_back(elapsed.count());
  };
  auto sent = sender.Send(CallTo(1), options);
  ASSERT_TRUE(sent.has_value()) << sent.error().ToString();
  EXPECT_EQ(rpc.receipt_polls, 4);
  EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 3000}));
  EXPECT_EQ(ticker.Now(), 3s);
}

TEST(TxSenderTest, ReceiptWaitIsBounded) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.polls_until_mined = 1'000'000;
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  SendOptions options;
  options.wait.poll_interval = 2s;
  options.wait.timeout = 5s;
  auto sent = sender.Send(CallTo(1), options);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, Code::kDeadlineExceeded);
  EXPECT_EQ(ticker.Now(), 5s);
  EXPECT_EQ(rpc.receipt_polls, 4);  // at 0, 2, 4 and 5 s
}

TEST(TxSenderTest, TransportErrorsWhilePollingAreRetriedUntilTheDeadline) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  rpc.failures["eth_getTransactionReceipt"] = Error{Code::kUnavailable, "connection refused"};
  ReceiptWaitOptions wait;
  wait.poll_interval = 1s;
  wait.timeout = 3s;
  auto r = WaitForReceipt(rpc, Hash32{}, wait, ticker);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos);
  EXPECT_EQ(rpc.receipt_polls, 4);
  // Anything else ends the wait at once.
  rpc.failures["eth_getTransactionReceipt"] = Error{Code::kDataLoss, "bad receipt"};
  rpc.receipt_polls = 0;
  EXPECT_EQ(WaitForReceipt(rpc, Hash32{}, wait, ticker).error().code, Code::kDataLoss);
  EXPECT_EQ(rpc.receipt_polls, 1);
}

TEST(TxSenderTest, MinedRevertReportsTheReplayedReason) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  rpc.next_status = false;
  rpc.on_call = [](const CallRequest&, const BlockRef& block) -> Result<Bytes> {
    EXPECT_EQ(block.kind, BlockRef::Kind::kNumber);
    return MakeError(Code::kAborted, "execution reverted: NoProposal(manifestHash=0x00)");
  };
  TransactionSender sender(rpc, signer, rpc.chain_id, ticker);
  auto sent = sender.Send(CallTo(1), {});
  ASSERT_FALSE(sent.has_value());
  EXPECT_TRUE(IsRevert(sent.error()));
  EXPECT_NE(sent.error().message.find("NoProposal"), std::string::npos);
  EXPECT_NE(sent.error().message.find(HexData(rpc.sent[0].hash)), std::string::npos);
}

TEST(TxSenderTest, NodeRefusalIsReported) {
  FakeEthRpc rpc;
  FakeTicker ticker;
  Signer signer = TestSigner();
  TransactionSender sender(rpc, signer, 1, ticker);  // wrong chain id for this node
  auto sent = sender.Send(CallTo(1), {});
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, Code::kFailedPrecondition);
}

TEST(FakeEthRpcTest, FinalizedFallback) {
  FakeEthRpc rpc;
  rpc.has_finalized = false;
  ASSERT_TRUE(rpc.Call(CallRequest{}, BlockRef::Finalized()).has_value());
  rpc.has_finalized = true;
  ASSERT_TRUE(rpc.Call(CallRequest{}, BlockRef::Finalized()).has_value());
  EXPECT_EQ(rpc.call_blocks, (std::vector<BlockRef>{BlockRef::Latest(), BlockRef::Finalized()}));
}

}  // namespace
}  // namespace teecloud::chain
