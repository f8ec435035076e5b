// Shared plumbing of the chain command groups (`teecloud chain|registry|app`): options common to
// every command, the deployment file, the RPC connection, the signer, sending a transaction
// with progress on stderr, and mapping errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "chain/deployment.h"
#include "chain/http_eth_rpc.h"
#include "chain/signer.h"
#include "chain/tx_sender.h"
#include "chain/types.h"
#include "cli/command.h"

namespace teecloud::cli {

// Options every chain command takes. `--key-file` and the receipt wait only where a
// transaction is sent; `--block` only where state is read.
struct ChainOptions {
  std::string deployment;  // --deployment; default ~/.teecloud/deployment.json
  std::string rpc;         // --rpc; default: the deployment's
  std::string key_file;    // --key-file (else TEECLOUD_PRIVATE_KEY)
  double timeout_seconds = 120;
  bool legacy_tx = false;
  std::string block = "latest";
  bool json = false;
};

enum class ChainFlags { kRead = 1, kSend = 2, kJson = 4 };
inline int operator|(ChainFlags a, ChainFlags b) {
  return static_cast<int>(a) | static_cast<int>(b);
}

// Adds --deployment, --rpc and, per `flags`, --key-file/--timeout/--legacy-tx, --block, --json.
void AddChainOptions(CLI::App* cmd, ChainOptions& o, int flags);

// ~/.teecloud/deployment.json ("" when HOME is unset).
std::string DefaultDeploymentPath();

// A connected command: the deployment (when one was found or required), the node, its chain id.
struct ChainSession {
  std::string deployment_path;
  std::optional<chain::Deployment> deployment;
  std::unique_ptr<chain::HttpEthRpc> rpc;
  uint64_t chain_id = 0;
  chain::BlockRef block = chain::BlockRef::Latest();

  // The deployment's registry / factory (requires a deployment).
  const chain::Deployment& dep() const { return *deployment; }
};

// Loads the deployment (when `use_deployment`; `chain deploy` makes a new one instead), picks
// the RPC URL (--rpc, else the deployment's), connects and checks that the node's chain id is
// the deployment's.
Result<ChainSession> OpenChainSession(const ChainOptions& o, bool use_deployment);

// The signer from --key-file or TEECLOUD_PRIVATE_KEY.
Result<chain::Signer> LoadCommandSigner(const ChainOptions& o);

// Sends `request` and waits for the receipt (bounded by --timeout), reporting progress on
// io.err. Returns the mined transaction; a revert is kAborted with the decoded reason.
Result<chain::SentTx> SendAndWait(ChainSession& s, const chain::Signer& signer,
                                  const ChainOptions& o, const chain::TxRequest& request,
                                  std::string_view what, const CliIo& io);

// An app argument: an address, or a name recorded in the deployment's "apps" by `app create`.
Result<chain::Address> ResolveApp(const ChainSession& s, std::string_view app);

// Exit code for an error: reverts and node refusals are 1 (rejected), everything else 2.
int ExitCodeFor(const Error& e);
// Prints "teecloud <command>: <message>" on io.err and returns ExitCodeFor(e).
int ReportError(const CliIo& io, std::string_view command, const Error& e);

// Adds `teecloud app ...` (chain_app_command.cc).
void AddAppGovernanceCommands(CommandTable& table);

}  // namespace teecloud::cli
