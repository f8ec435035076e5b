#include "chain/eth_rpc.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "chain/abi.h"

namespace teecloud::chain {

bool IsRevert(const Error& e) {
  return e.code == Code::kAborted && std::string_view(e.message).starts_with(kRevertPrefix);
}

std::chrono::milliseconds SteadyTicker::Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

std::string DefaultRevertDecoder(ByteView data) {
  if (data.empty()) return "no reason given";
  if (auto reason = DecodeRevertReason(data)) return *reason;
  if (data.size() < 4) return "malformed revert data " + HexData(data);
  std::string out = "custom error " + HexData(data.first(4));
  if (data.size() > 4)
    out += " with data " + HexData(data.subspan(4).first(std::min<size_t>(data.size() - 4, 256)));
  return out;
}

void SteadyTicker::Sleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

Result<TxReceipt> WaitForReceipt(EthRpc& rpc, const Hash32& tx_hash,
                                 const ReceiptWaitOptions& options, Ticker& ticker) {
  const std::chrono::milliseconds start = ticker.Now();
  const std::chrono::milliseconds poll =
      options.poll_interval.count() > 0 ? options.poll_interval : std::chrono::milliseconds(1);
  Error last{Code::kDeadlineExceeded, ""};
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0 && options.on_wait) options.on_wait(ticker.Now() - start);
    auto receipt = rpc.GetTransactionReceipt(tx_hash);
    if (receipt) {
      if (receipt->has_value()) return std::move(**receipt);
    } else if (receipt.error().code == Code::kUnavailable ||
               receipt.error().code == Code::kDeadlineExceeded) {
      last = receipt.error();
    } else {
      return tl::unexpected(receipt.error());
    }
    const std::chrono::milliseconds left = options.timeout - (ticker.Now() - start);
    if (left.count() <= 0) break;
    ticker.Sleep(std::min(poll, left));
  }
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.3g s",
                static_cast<double>(options.timeout.count()) / 1000.0);
  std::string msg = "transaction " + HexData(tx_hash) + " not mined within " + seconds;
  if (!last.message.empty()) msg += " (last error: " + last.message + ")";
  return MakeError(Code::kDeadlineExceeded, msg);
}

}  // namespace teecloud::chain
