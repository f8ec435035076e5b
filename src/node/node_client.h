// A client of the node's REST API (what the `teecloud` CLI uses): HTTP+JSON over the node's
// unix socket or loopback TCP, errors mapped back to Error with the node's message.
// Thread-compatible.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace teecloud::node {

inline constexpr int kDefaultNodePort = 7310;

struct NodeEndpoint {
  bool is_unix = false;
  std::string socket_path;  // is_unix
  std::string host;         // TCP
  int port = 0;
  std::string display;  // as the user would write it
};

// "http://HOST:PORT", "HOST:PORT", "unix:PATH", or a path (containing '/' or ending in
// ".sock") of a unix socket.
Result<NodeEndpoint> ParseNodeEndpoint(const std::string& spec);

// Whether `e` says the node itself could not be reached (a transport failure), as opposed to an
// error the node answered with (which may also be kUnavailable, e.g. its engine is down).
bool IsNodeUnreachable(const Error& e);

// Where a local node keeps its state by default: $TEECLOUD_NODE_DATA_DIR; else
// /var/lib/teecloud-node for root; else $XDG_DATA_HOME/teecloud-node or
// ~/.local/share/teecloud-node.
std::string DefaultNodeDataDir();

// $TEECLOUD_NODE; else the default data dir's node.sock when it exists; else
// http://127.0.0.1:7310.
NodeEndpoint DefaultNodeEndpoint();

class NodeClient {
 public:
  explicit NodeClient(NodeEndpoint endpoint,
                      std::chrono::seconds timeout = std::chrono::seconds(120))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  // `path` includes the query string. Replies that are not 2xx become errors with the node's
  // code and message; an unreachable node is kUnavailable with what to do about it.
  Result<Json> Get(const std::string& path) const;
  Result<Json> Post(const std::string& path, const Json& body) const;
  Result<Json> Delete(const std::string& path) const;
  // A text reply (logs), whole.
  Result<std::string> GetText(const std::string& path) const;
  // A streamed text reply: `sink` gets each chunk until the node ends the stream or `sink`
  // returns false. No read timeout (for `logs -f`).
  Status Stream(const std::string& path, const std::function<bool(std::string_view)>& sink) const;

  const NodeEndpoint& endpoint() const { return endpoint_; }

 private:
  NodeEndpoint endpoint_;
  std::chrono::seconds timeout_;
};

// Percent-encodes one path segment (a CVM name, id or app id).
std::string EncodePathSegment(std::string_view s);

// The Code for an error code name ("NOT_FOUND"); kUnknown for anything else.
Code CodeFromName(std::string_view name);

}  // namespace teecloud::node
