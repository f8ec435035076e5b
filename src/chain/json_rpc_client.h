// JsonRpcClient: JSON-RPC 2.0 over HTTP(S) POST (cpp-httplib), bounded in time and size.
//
// One request at a time: not thread-safe (use one client per thread). Errors follow the model
// in eth_rpc.h: JSON-RPC errors keep the node's code and message, reverts are kAborted with the
// reason decoded from error.data. Error messages name the endpoint as scheme://host:port only,
// never its path or query (RPC URLs often carry an API key there).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "chain/eth_rpc.h"

namespace teecloud::chain {

struct RpcClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Bound on one whole request: connecting, sending and reading the response.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Larger responses are cut off and fail with kResourceExhausted.
  size_t max_response_bytes = 16u << 20;
  // Turns revert data into a reason; DefaultRevertDecoder when empty.
  RevertDecoder revert_decoder;
};

class JsonRpcClient {
 public:
  // `url`: http://host[:port][/path] or https://...; user:password@ is not supported.
  static Result<std::unique_ptr<JsonRpcClient>> Create(std::string_view url,
                                                       RpcClientOptions options = {});
  ~JsonRpcClient();
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  // Sends {"jsonrpc":"2.0","id":n,"method":...,"params":...}; returns "result".
  Result<Json> Call(std::string_view method, const Json& params);

  // scheme://host:port, for messages.
  const std::string& endpoint() const;

 private:
  struct Impl;
  explicit JsonRpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Maps a JSON-RPC error object ({"code", "message", "data"}) to an Error (exposed for tests).
Error JsonRpcErrorToError(std::string_view method, const Json& error,
                          const RevertDecoder& revert_decoder);

}  // namespace teecloud::chain
