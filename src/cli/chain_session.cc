#include "cli/chain_session.h"

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "chain/contracts.h"
#include "cli/exit_codes.h"

namespace teecloud::cli {

namespace {}  // namespace

void AddChainOptions(CLI::App* cmd, ChainOptions& o, int flags) {
  const char* group = "Chain";
  cmd->add_option("--deployment", o.deployment,
                  "Deployment JSON written by `teecloud chain deploy` "
                  "(default ~/.teecloud/deployment.json)")
      ->group(group);
  cmd->add_option("--rpc", o.rpc, "JSON-RPC URL of the node (default: the deployment's)")
      ->group(group);
  if (flags & static_cast<int>(ChainFlags::kSend)) {
    cmd->add_option("--key-file", o.key_file,
                    "File holding the hex private key, mode 0600 (default: $TEECLOUD_PRIVATE_KEY; "
                    "keys are never taken from the command line)")
        ->group(group);
    cmd->add_option("--timeout", o.timeout_seconds,
                    "Seconds to wait for the transaction's receipt (default 120)")
        ->group(group)
        ->check(CLI::Range(0.1, 86400.0));
    cmd->add_flag("--legacy-tx", o.legacy_tx,
                  "Send a legacy (EIP-155) transaction instead of EIP-1559")
        ->group(group);
  }
  if (flags & static_cast<int>(ChainFlags::kRead)) {
    cmd->add_option("--block", o.block,
                    "Block to read state at: latest (default), finalized, safe or a number")
        ->group(group);
  }
  if (flags & static_cast<int>(ChainFlags::kJson)) {
    cmd->add_flag("--json", o.json, "Print one JSON object");
  }
}

std::string DefaultDeploymentPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/.teecloud/deployment.json";
}

Result<ChainSession> OpenChainSession(const ChainOptions& o, bool use_deployment) {
  ChainSession s;
  if (use_deployment) {
    s.deployment_path = o.deployment.empty() ? DefaultDeploymentPath() : o.deployment;
    if (s.deployment_path.empty()) {
      return InvalidArgument("no deployment file: HOME is unset; pass --deployment FILE");
    }
    auto d = chain::LoadDeployment(s.deployment_path);
    if (!d) {
      if (d.error().code == Code::kNotFound) {
        return InvalidArgument(
            "no deployment at " + s.deployment_path +
            " (run `teecloud chain deploy --rpc URL` or pass --deployment FILE)");
      }
      return tl::unexpected(d.error());
    }
    s.deployment = std::move(*d);
  }
  std::string url = o.rpc;
  if (url.empty() && s.deployment) url = s.deployment->rpc;
  if (url.empty()) return InvalidArgument("no RPC URL: pass --rpc URL");

  ASSIGN_OR_RETURN(s.block, chain::ParseBlockRef(o.block));
  chain::RpcClientOptions options;
  options.revert_decoder = chain::DecodeTeeCloudRevert;
  ASSIGN_OR_RETURN(s.rpc, chain::HttpEthRpc::Create(url, options));
  ASSIGN_OR_RETURN(s.chain_id, s.rpc->ChainId());
  if (s.deployment && s.deployment->chain_id != s.chain_id) {
    return InvalidArgument("the node at " + s.rpc->endpoint() + " is chain " +
                           std::to_string(s.chain_id) + " but the deployment " + s.deployment_path +
                           " is on chain " + std::to_string(s.deployment->chain_id));
  }
  return s;
}

Result<chain::Signer> LoadCommandSigner(const ChainOptions& o) {
  std::optional<std::string> key_file;
  if (!o.key_file.empty()) key_file = o.key_file;
  auto signer = chain::LoadSigner(key_file, std::getenv(chain::kPrivateKeyEnv));
  if (!signer && signer.error().code == Code::kPermissionDenied) {
    // A key file readable by others is a usage problem (exit 2), not a chain refusal.
    return InvalidArgument(signer.error().message);
  }
  return signer;
}

Result<chain::SentTx> SendAndWait(ChainSession& s, const chain::Signer& signer,
                                  const ChainOptions& o, const chain::TxRequest& request,
                                  std::string_view what, const CliIo& io) {
  chain::SteadyTicker ticker;
  chain::TransactionSender sender(*s.rpc, signer, s.chain_id, ticker);
  chain::SendOptions options;
  options.legacy = o.legacy_tx;
  options.wait.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(o.timeout_seconds * 1000)));
  options.wait.poll_interval = std::chrono::milliseconds(250);
  auto last_note = std::make_shared<int64_t>(0);
  options.wait.on_wait = [&io, last_note](std::chrono::milliseconds elapsed) {
    const int64_t seconds = elapsed.count() / 1000;
    if (seconds >= *last_note + 5) {
      *last_note = seconds;
      io.err << "teecloud: still waiting for the receipt (" << seconds << " s)\n";
    }
  };
  options.progress = [&io, what](std::string_view line) {
    io.err << "teecloud: " << what << ": " << line << "\n";
  };
  ASSIGN_OR_RETURN(chain::SentTx sent, sender.Send(request, options));
  io.err << "teecloud: " << what << ": transaction " << chain::HexData(sent.hash)
         << " mined in block " << sent.receipt.block_number << " (gas used "
         << sent.receipt.gas_used << ")\n";
  return sent;
}

Result<chain::Address> ResolveApp(const ChainSession& s, std::string_view app) {
  if (app.size() == 42 && app.substr(0, 2) == "0x") return chain::ParseAddress(app);
  if (s.deployment) {
    auto it = s.deployment->apps.find(std::string(app));
    if (it != s.deployment->apps.end()) return it->second;
  }
  return InvalidArgument(
      "APP: \"" + std::string(app) +
      "\" is neither an address (0x + 40 hex digits) nor an app name in " +
      (s.deployment_path.empty() ? std::string("the deployment") : s.deployment_path));
}

int ExitCodeFor(const Error& e) {
  if (e.code == Code::kAborted || e.code == Code::kFailedPrecondition) return kExitRejected;
  return kExitUsage;
}

int ReportError(const CliIo& io, std::string_view command, const Error& e) {
  io.err << "teecloud " << command << ": " << e.message << "\n";
  return ExitCodeFor(e);
}

}  // namespace teecloud::cli
